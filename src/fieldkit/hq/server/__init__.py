"""HQ's network sync server (``fieldkit-hq serve``): device sessions, tus uploads, receipts.

Use cases (:mod:`.sessions`, :mod:`.uploads`, :mod:`.ping`) hold the logic and are shared with
nothing HTTP-specific; :mod:`.app` maps HTTP onto them; :mod:`.run` starts uvicorn over TLS 1.3.
The protocol is described in ``docs/sync.md``.
"""
