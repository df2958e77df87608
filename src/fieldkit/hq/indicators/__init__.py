"""Indicators HQ computes from the analysis tables, with disclosure control.

- :mod:`.definitions`: every indicator in one place (id, title, source, unit, dimensions, query);
- :mod:`.queries_attacks`, :mod:`.queries_markets`, :mod:`.queries_quality`: their SQL
  (SQLAlchemy Core over the ``an_*`` tables), helped by :mod:`.sqlparts`;
- :mod:`.disclosure`: small-cell and secondary suppression for the ``release`` tier (pure);
- :mod:`.service`: the use cases the ``fieldkit-hq indicators`` commands (and later the web
  workspace) call; :mod:`.render`: an output as a table, CSV or JSON.

docs/indicators.md describes each indicator in words.
"""
