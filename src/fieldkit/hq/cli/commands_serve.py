"""``fieldkit-hq serve`` (the network sync server) and ``fieldkit-hq tls create``."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from fieldkit.console import pairs
from fieldkit.files import atomic_write_bytes
from fieldkit.hq import keys, tls
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.repository import display_url
from fieldkit.i18n import _

DEFAULT_LISTEN = "0.0.0.0:8443"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "serve", help=_("run the network sync server (HTTPS, TLS 1.3) for enrolled devices")
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=_("address to listen on (default: {value})").format(value=DEFAULT_LISTEN),
    )
    p.add_argument(
        "--workers", type=int, default=1, metavar="N", help=_("worker processes (default: 1)")
    )
    p.add_argument(
        "--cert", type=Path, metavar="FILE", help=_("PEM certificate (default: tls.crt)")
    )
    p.add_argument("--key", type=Path, metavar="FILE", help=_("its PEM key (default: tls.key)"))
    p.add_argument(
        "--max-upload",
        type=int,
        metavar="BYTES",
        default=2 * 1024**3,
        help=_("largest bundle accepted (default: 2 GiB)"),
    )
    p.add_argument(
        "--max-chunk",
        type=int,
        metavar="BYTES",
        default=64 * 1024**2,
        help=_("largest body of one upload request (default: 64 MiB)"),
    )
    p.add_argument(
        "--requests-per-minute",
        type=int,
        metavar="N",
        default=120,
        help=_("requests one device may make per minute and worker (default: 120)"),
    )
    p.add_argument(
        "--sweep-every",
        type=int,
        metavar="SECONDS",
        default=3600,
        help=_(
            "remove unfinished uploads past their expiry at the start and then this often "
            "(default: 3600)"
        ),
    )
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser("tls", help=_("the sync server's TLS certificate"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    creator = sub.add_parser(
        "create",
        help=_("make a self-signed certificate and put its pin in the enrolment file"),
    )
    creator.add_argument(
        "--host",
        action="append",
        metavar="NAME",
        help=_("a host name or IP address devices use (repeatable; default: from --address)"),
    )
    creator.add_argument(
        "--replace", action="store_true", help=_("replace the existing certificate and key")
    )
    creator.set_defaults(handler=cmd_tls_create)
    importer = sub.add_parser(
        "import",
        help=_("use your own certificate and key, and put its pin in the enrolment file"),
    )
    importer.add_argument("--cert", type=Path, metavar="FILE", required=True, help=_("PEM chain"))
    importer.add_argument("--key", type=Path, metavar="FILE", required=True, help=_("its PEM key"))
    importer.set_defaults(handler=cmd_tls_import)


def cmd_serve(ctx: HqContext) -> int:
    from fieldkit.hq.server.run import serve
    from fieldkit.hq.server.service import Settings
    from fieldkit.hq.server.uploads import Limits

    args = ctx.args
    host, port = _listen(args.listen)
    for value, name in (
        (args.workers, "--workers"),
        (args.max_upload, "--max-upload"),
        (args.max_chunk, "--max-chunk"),
        (args.requests_per_minute, "--requests-per-minute"),
        (args.sweep_every, "--sweep-every"),
    ):
        if value < 1:
            raise InvalidInputError(_("{option} must be 1 or more.").format(option=name))
    files, pin = _tls_files(ctx)
    _check_free(host, port)
    secret = ctx.keys()  # the keys stay in memory only, in this process and its workers
    ctx.repository()  # reachable, and migrated before any worker starts
    settings = Settings.of(
        ctx.paths.root,
        ctx.db_url,
        secret,
        limits=Limits(max_upload=args.max_upload, max_chunk=args.max_chunk),
        requests_per_minute=args.requests_per_minute,
        sweep_seconds=args.sweep_every,
    )
    pairs(
        [
            (_("Headquarters"), ctx.config().name),
            (_("Listening on"), f"https://{host}:{port}"),
            (_("Certificate pin"), pin),
            (_("Repository"), display_url(ctx.db_url)),
        ]
    )
    ctx.close()
    serve(settings, files, host, port, args.workers)
    return 0


def cmd_tls_create(ctx: HqContext) -> int:
    config = ctx.config()
    secret = ctx.keys()  # the enrolment file is signed again, with the pin
    hosts = ctx.args.host or keys.tls_hosts(config.address)
    pin = tls.create(keys.tls_files(ctx.paths), config.name, hosts, replace=ctx.args.replace)
    keys.write_enrolment(ctx.paths, config, secret)
    _print_certificate(ctx, ctx.paths.tls_cert, pin)
    return 0


def cmd_tls_import(ctx: HqContext) -> int:
    config = ctx.config()
    given = tls.TlsFiles(ctx.args.cert, ctx.args.key)
    pin = _usable(given)
    secret = ctx.keys()
    target = keys.tls_files(ctx.paths)
    atomic_write_bytes(target.key, given.key.read_bytes())
    atomic_write_bytes(target.cert, given.cert.read_bytes())
    keys.write_enrolment(ctx.paths, config, secret)
    _print_certificate(ctx, target.cert, pin)
    return 0


def _print_certificate(ctx: HqContext, cert: Path, pin: str) -> None:
    pairs([(_("Certificate"), cert), (_("Certificate pin"), pin)])
    print(
        _("Give the new enrolment file {path} to devices that will sync over the network.").format(
            path=ctx.paths.enrolment
        )
    )


def _tls_files(ctx: HqContext) -> tuple[tls.TlsFiles, str]:
    """The certificate and key to serve with, and the certificate's pin."""
    args = ctx.args
    if (args.cert is None) != (args.key is None):
        raise InvalidInputError(_("Give --cert and --key together."))
    ctx.config()
    if args.cert is not None:
        files = tls.TlsFiles(args.cert, args.key)
    else:
        files = keys.tls_files(ctx.paths)
        if not files.cert.exists() or not files.key.exists():
            raise NotFoundError(
                _(
                    "{path} has no TLS certificate yet: run `fieldkit-hq tls create`, or give "
                    "--cert and --key."
                ).format(path=ctx.paths.root)
            )
    return files, _usable(files)


def _usable(files: tls.TlsFiles) -> str:
    """The certificate's pin; refuse a missing file, or a certificate and key that do not
    pair."""
    for path in (files.cert, files.key):
        if not path.is_file():
            raise NotFoundError(_("{path}: no such file.").format(path=path))
    try:
        tls.server_context(files)
        return tls.read_pin(files.cert)
    except (OSError, ValueError) as error:
        raise InvalidInputError(
            _("The certificate and key cannot be used together ({reason}).").format(
                reason=getattr(error, "strerror", None) or error
            )
        ) from None


def _check_free(host: str, port: int) -> None:
    """Refuse, in one line, an address this process cannot listen on (in use, not local)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise InvalidInputError(
            _("Cannot listen on {host}:{port} ({reason}).").format(
                host=host, port=port, reason=error.strerror or error
            )
        ) from None


def _listen(value: str) -> tuple[str, int]:
    host, _colon, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise InvalidInputError(
            _("--listen must be HOST:PORT, like 0.0.0.0:8443; not {value}.").format(value=value)
        )
    return host.strip("[]"), int(port)
