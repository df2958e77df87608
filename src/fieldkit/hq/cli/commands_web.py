"""``fieldkit-hq web``: the analysts' workspace in a browser."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from fieldkit.console import pairs
from fieldkit.hq.cli.commands_serve import _check_free, _listen, _usable
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository import display_url
from fieldkit.hq.tls import TlsFiles
from fieldkit.i18n import _

DEFAULT_LISTEN = "127.0.0.1:8080"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "web", help=_("run the analysts' workspace (pages in a browser; needs the passphrase)")
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=_(
            "address to listen on (default: {value}); without --cert, a loopback address for a "
            "reverse proxy"
        ).format(value=DEFAULT_LISTEN),
    )
    p.add_argument(
        "--cert", type=Path, metavar="FILE", help=_("PEM certificate: serve HTTPS (TLS 1.3)")
    )
    p.add_argument("--key", type=Path, metavar="FILE", help=_("its PEM key"))
    p.add_argument(
        "--idle-timeout",
        type=int,
        metavar="SECONDS",
        default=1800,
        help=_("end a session unused for this long (default: 1800)"),
    )
    p.add_argument(
        "--session-lifetime",
        type=int,
        metavar="SECONDS",
        default=12 * 3600,
        help=_("end every session this long after sign-in (default: 43200)"),
    )
    p.add_argument(
        "--sign-ins-per-minute",
        type=int,
        metavar="N",
        default=10,
        help=_("sign-in attempts one address may make per minute (default: 10)"),
    )
    p.set_defaults(handler=cmd_web)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_web(ctx: HqContext) -> int:
    from fieldkit.hq.web.run import serve
    from fieldkit.hq.web.state import WebSettings, WebState

    args = ctx.args
    host, port = _listen(args.listen)
    for value, name in (
        (args.idle_timeout, "--idle-timeout"),
        (args.session_lifetime, "--session-lifetime"),
        (args.sign_ins_per_minute, "--sign-ins-per-minute"),
    ):
        if value < 1:
            raise InvalidInputError(_("{option} must be 1 or more.").format(option=name))
    if (args.cert is None) != (args.key is None):
        raise InvalidInputError(_("Give --cert and --key together."))
    tls = None if args.cert is None else TlsFiles(args.cert, args.key)
    if tls is None and not _loopback(host):
        raise InvalidInputError(
            _(
                "Without --cert and --key the workspace listens on a loopback address only "
                "(127.0.0.1 or ::1), behind a reverse proxy that does TLS; not {host}."
            ).format(host=host)
        )
    config = ctx.config()
    if tls is not None:
        _usable(tls)
    _check_free(host, port)
    secret = ctx.keys()  # identifying answers are decrypted in memory after a reveal
    repository = ctx.repository()
    settings = WebSettings.from_seconds(
        tls=True,
        idle=args.idle_timeout,
        lifetime=args.session_lifetime,
        sign_ins_per_minute=args.sign_ins_per_minute,
    )
    scheme = "https" if tls is not None else "http"
    pairs(
        [
            (_("Headquarters"), config.name),
            (_("Workspace"), f"{scheme}://{host}:{port}"),
            (_("Repository"), display_url(ctx.db_url)),
        ]
    )
    if tls is None:
        print(_("Serve it to browsers through a reverse proxy that does TLS (see docs/hq.md)."))
    state = WebState(repository, secret, ctx.paths, config, settings)
    serve(state, host, port, tls)
    return 0
