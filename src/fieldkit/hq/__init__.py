"""Headquarters: bundle ingest, the central repository, exports and indicators."""
