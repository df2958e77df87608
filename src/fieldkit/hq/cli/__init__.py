"""``fieldkit-hq``: the headquarters command (entry point :func:`main`)."""

from fieldkit.hq.cli.main import main

__all__ = ["main"]
