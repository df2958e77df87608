"""Printing results: aligned text tables for people, JSON for programs (shared with fieldkit-hq)."""

from fieldkit.console import clean, emit_json, pairs, table

__all__ = ["clean", "emit_json", "pairs", "table"]
