"""The workspace's pages: one module per page group, each with a ``routes`` list built with
:func:`fieldkit.hq.web.routing.route`. The app imports every module found here."""
