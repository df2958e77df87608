"""Headquarters: bundle ingest, the central repository, exports (and, later, indicators).

HQ imports only the domain, crypto and bundle layers (and files, errors, i18n): never the
device's vault, services, CLI or GUI. Its pieces:

- ``paths``: the HQ folder and what lives in it;
- ``keys``: HQ's age ingest identity and Ed25519 signing key, passphrase-protected at rest;
- ``sealing``: encryption at rest to HQ's own age recipients (identifying answers, originals,
  attachments);
- ``answers``: splitting identifying answers from the rest, per the form's sensitivity labels;
- ``repository``: one interface, three backends (SQLite, PostgreSQL, an in-memory fake);
- ``ingest``: verify, store and answer with receipts; replay, fork and gap handling (with
  ``batches``, what a bundle adds, and ``receipting``, the receipt of a stored bundle);
- ``export``: CSV, GeoJSON and JSON Lines that honour sensitivity labels (with ``records``,
  records read back with their own form version, laid out as columns);
- ``cli``: the ``fieldkit-hq`` command (operator guide: ``docs/hq.md``).
"""
