"""Use cases behind the analysts' workspace pages (no web framework here)."""
