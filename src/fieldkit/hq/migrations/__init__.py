"""Alembic migrations of the HQ repository, shared by the SQLite and PostgreSQL backends.

They are run by :func:`fieldkit.hq.repository.sql.upgrade` (every time a repository is opened),
never by an ``alembic.ini``: the connection comes from the caller.
"""
