"""``fieldkit-hq web``: the analysts' workspace, server-rendered pages over HQ's repository.

- :mod:`~fieldkit.hq.web.routing`: the ``route`` decorator (session, role, CSRF, worker thread);
- :mod:`~fieldkit.hq.web.templating`: ``render`` and the error pages (Jinja2, gettext);
- :mod:`~fieldkit.hq.web.context`: ``workspace(request)``, the app's :class:`WebState`;
- :mod:`~fieldkit.hq.web.security`: headers on every response, the request log line;
- :mod:`~fieldkit.hq.web.pages`: one module per page group, found at start-up;
- :mod:`~fieldkit.hq.web.app` and :mod:`~fieldkit.hq.web.run`: the app and its server.
"""
