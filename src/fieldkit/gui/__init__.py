"""The desktop app (PySide6): widgets only, over the services."""
