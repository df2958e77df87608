"""Use cases of the analysts' workspace's pages: queries, record views, reveals, overviews.

Each page group adds its own modules here; none imports Starlette or Jinja. The web pages in
:mod:`fieldkit.hq.web.pages` parse a request, call these and render the answer.
"""
