"""Use cases shared by the desktop app and the CLI. No Qt here."""
