"""Analysis: HQ's records as flat, countable rows (the ``an_*`` tables and the ``fk_*`` views).

- :mod:`.tables`: the tables, on the repository's metadata (created by migration 0004);
- :mod:`.facts`: the rows of one record, as plain dataclasses;
- :mod:`.mapping`: answers of a form (either version of the shipped forms, or any other form)
  to their facts;
- :mod:`.store`: writing a record's facts (at ingest, inside the revision's transaction, and by
  :mod:`.rebuild`);
- :mod:`.places`: first-level places: matching free text, settling what does not match;
- :mod:`.views`: the ``fk_*`` views and the read-only role of PostgreSQL.

This package's ``__init__`` imports nothing: the repository imports :mod:`.tables` while it is
itself being imported.
"""
