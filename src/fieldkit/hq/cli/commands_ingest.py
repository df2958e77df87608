"""``fieldkit-hq ingest``: one line per bundle, then the gaps, then a count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldkit.console import clean
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.cli.describe import describe_numbers, device_label
from fieldkit.hq.errors import FieldkitError
from fieldkit.hq.ingest import BundleResult, Gap, Ingestor, Outcome
from fieldkit.hq.repository import Repository
from fieldkit.i18n import _, ngettext


def register(commands: Any) -> None:
    p = commands.add_parser(
        "ingest", help=_("verify, decrypt and store bundles; write a signed receipt for each")
    )
    p.add_argument(
        "bundles", nargs="+", type=Path, metavar="BUNDLE", help=_("a bundle file, or a folder")
    )
    p.add_argument(
        "--receipts",
        type=Path,
        metavar="DIR",
        help=_("where to write receipts (default: receipts/ in the headquarters folder)"),
    )
    p.set_defaults(handler=cmd_ingest)


def cmd_ingest(ctx: HqContext) -> int:
    secret = ctx.keys()  # first: a wrong passphrase opens nothing and changes nothing
    repository = ctx.repository()
    ingestor = Ingestor(repository, ctx.paths, ctx.config(), secret, receipts_dir=ctx.args.receipts)
    report = ingestor.run(ctx.args.bundles)
    for result in report.results:
        print(f"{clean(result.source)}: {clean(describe(repository, result))}")
    for gap in report.gaps:
        print(clean(describe_gap(repository, gap)))
    counts = dict.fromkeys(Outcome, 0)
    for result in report.results:
        counts[result.outcome] += 1
    total = len(report.results)
    print(
        ngettext("{n} bundle:", "{n} bundles:", total).format(n=total)
        + " "
        + _("{accepted} accepted, {held} already ingested, {rejected} rejected.").format(
            accepted=counts[Outcome.ACCEPTED],
            held=counts[Outcome.ALREADY_INGESTED],
            rejected=counts[Outcome.REJECTED],
        )
    )
    if counts[Outcome.REJECTED]:
        raise FieldkitError(
            ngettext(
                "{n} bundle of {total} was rejected; see the lines above.",
                "{n} bundles of {total} were rejected; see the lines above.",
                counts[Outcome.REJECTED],
            ).format(n=counts[Outcome.REJECTED], total=total)
        )
    if not report.ok:
        raise FieldkitError(
            _("Some receipts could not be written; fix the cause and ingest those bundles again.")
        )
    return 0


def describe(repository: Repository, result: BundleResult) -> str:
    """The line an operator reads for one bundle."""
    if result.outcome is Outcome.REJECTED or result.bundle is None:
        return _("rejected: {reason}").format(reason=result.reason)
    which = _("bundle {seq} of device {device}").format(
        seq=result.bundle.sequence, device=device_label(repository, result.bundle.device_key_id)
    )
    if result.outcome is Outcome.ACCEPTED:
        text = _("accepted: {which}: {new} and {known}.").format(
            which=which,
            new=ngettext("{n} new revision", "{n} new revisions", len(result.accepted)).format(
                n=len(result.accepted)
            ),
            known=ngettext("{n} already held", "{n} already held", len(result.known)).format(
                n=len(result.known)
            ),
        )
    else:
        text = _("already ingested: {which}; nothing added.").format(which=which)
    if result.receipt is not None:
        text += " " + _("Receipt: {path}").format(path=result.receipt)
    if result.receipt_error is not None:
        text += " " + _("No receipt was written: {reason}").format(reason=result.receipt_error)
    return text


def describe_gap(repository: Repository, gap: Gap) -> str:
    text = ngettext(
        "Device {device}: bundle {numbers} not received yet (lost, or still to come).",
        "Device {device}: bundles {numbers} not received yet (lost, or still to come).",
        len(gap.missing),
    ).format(
        device=device_label(repository, gap.device_key_id), numbers=describe_numbers(gap.missing)
    )
    if gap.new:
        text += " " + _("GAP alarm raised for {numbers}.").format(numbers=describe_numbers(gap.new))
    return text
