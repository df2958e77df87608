"""``fieldkit-cli``: headless device operations. Never imports Qt, so it runs on a server."""
