"""fieldkit: offline, encrypted field documentation for missions and monitors."""

__version__ = "0.1.0"
