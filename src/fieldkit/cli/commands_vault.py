"""Vault commands: init, status, passphrase, identity, audit, settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import emit_json, pairs, table
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _

if TYPE_CHECKING:
    from fieldkit.cli.context import Context

# The services (and through them the vault and SQLAlchemy) are imported by the commands that
# use them, not when the parser is built: `fieldkit-cli --help` does not load them.


def register(commands: Any) -> None:
    p = commands.add_parser("init", help=_("create the vault and install the shipped forms"))
    p.add_argument(
        "--device-name", default="", metavar="NAME", help=_("a name for this device, shown to HQ")
    )
    p.set_defaults(handler=cmd_init)

    p = commands.add_parser("status", help=_("device fingerprint and record counts"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.set_defaults(handler=cmd_status)

    p = commands.add_parser("passphrase", help=_("change, remember or forget the passphrase"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    change = sub.add_parser(
        "change", help=_("new passphrase from $FIELDKIT_NEW_PASSPHRASE or a prompt")
    )
    change.add_argument(
        "--rotate-key",
        action="store_true",
        help=_(
            "also replace the database key and re-encrypt the vault (when the old passphrase "
            "may be known to someone else: an old copy of vault.key then opens nothing)"
        ),
    )
    change.set_defaults(handler=cmd_passphrase_change)
    sub.add_parser(
        "remember", help=_("remember the passphrase in this device's keyring")
    ).set_defaults(handler=cmd_passphrase_remember)
    sub.add_parser("forget", help=_("forget a remembered passphrase")).set_defaults(
        handler=cmd_passphrase_forget
    )

    p = commands.add_parser("audit", help=_("the audit log"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("verify", help=_("check the audit log's hash chain")).set_defaults(
        handler=cmd_audit_verify
    )

    p = commands.add_parser("settings", help=_("vault settings"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("show", help=_("show the settings")).set_defaults(handler=cmd_settings_show)
    setter = sub.add_parser("set", help=_("change a setting"))
    setter.add_argument(
        "key",
        metavar="KEY",
        choices=["attachment-max-mib", "device-name", "purge-acknowledged"],
        help=_(
            "attachment-max-mib (the largest attachment, in MiB), device-name (shown to HQ) or "
            "purge-acknowledged (on or off: remove the content of records HQ acknowledged)"
        ),
    )
    setter.add_argument("value", metavar="VALUE", help=_("the setting's new value"))
    setter.set_defaults(handler=cmd_settings_set)


def cmd_init(ctx: Context) -> int:
    from fieldkit.services import vaults

    if vaults.vault_exists(ctx.folder):
        raise InvalidInputError(_("A vault already exists in {folder}.").format(folder=ctx.folder))
    vaults.check_not_erased(ctx.folder)  # before the passphrase is asked for
    passphrase = ctx.passphrase(creating=True)
    vault = vaults.create_vault(ctx.folder, passphrase, device_name=ctx.args.device_name)
    try:
        identity = vaults.device_identity(vault)
    finally:
        vault.close()
    print(_("Vault created in {folder}").format(folder=ctx.folder))
    print(_("Device fingerprint: {fp}").format(fp=identity.fingerprint))
    print(_("Keep the passphrase safe: nothing can recover the vault without it."))
    return 0


def cmd_status(ctx: Context) -> int:
    from fieldkit.services import vaults
    from fieldkit.vault import repo

    vault = ctx.vault()
    identity = vaults.device_identity(vault)
    with vault.read() as session:
        counts = repo.counts_by_form_and_status(session)
    kdf = vaults.kdf_description(ctx.folder)
    if ctx.args.json:
        emit_json(
            {
                "vault": str(ctx.folder),
                "device_name": identity.device_name,
                "key_id": identity.key_id,
                "fingerprint": identity.fingerprint,
                "records": counts,
                "kdf": kdf,
            }
        )
        return 0
    pairs(
        [
            (_("Vault"), str(ctx.folder)),
            (_("Device name"), identity.device_name or "-"),
            (_("Device key id"), identity.key_id),
            (_("Fingerprint"), identity.fingerprint),
            (
                _("Key derivation"),
                _("Argon2id, {mib} MiB, {t} passes").format(
                    mib=kdf["memory_kib"] // 1024, t=kdf["iterations"]
                ),
            ),
        ]
    )
    print()
    statuses = ["draft", "final", "exported", "acknowledged"]
    rows = [
        [form_id, *[by_status.get(s, 0) for s in statuses], sum(by_status.values())]
        for form_id, by_status in sorted(counts.items())
    ]
    if rows:
        table(
            [_("form"), _("draft"), _("final"), _("exported"), _("acknowledged"), _("total")], rows
        )
    else:
        print(_("No records yet."))
    return 0


def cmd_passphrase_change(ctx: Context) -> int:
    from fieldkit.services import passphrases, vaults

    old = ctx.passphrase()
    ctx.vault(old)  # a wrong old passphrase is a guess: counted, and waited for like any
    ctx.close()  # a rotation needs the vault closed everywhere
    new = ctx.new_passphrase()
    rotate = ctx.args.rotate_key
    vaults.change_passphrase(ctx.folder, old, new, rotate_key=rotate)
    if passphrases.recall(ctx.folder) is not None:
        passphrases.remember(ctx.folder, new)
    if rotate:
        print(_("Passphrase changed and database key replaced."))
    else:
        print(_("Passphrase changed."))
    return 0


def cmd_passphrase_remember(ctx: Context) -> int:
    from fieldkit.services import passphrases

    passphrase = ctx.passphrase()
    ctx.vault()  # proves the passphrase before remembering it
    passphrases.remember(ctx.folder, passphrase)
    print(_("The passphrase is remembered in this device's keyring."))
    return 0


def cmd_passphrase_forget(ctx: Context) -> int:
    from fieldkit.services import passphrases

    passphrases.forget(ctx.folder)
    print(_("The passphrase is no longer remembered on this device."))
    return 0


def cmd_audit_verify(ctx: Context) -> int:
    from fieldkit.vault import audit

    with ctx.vault().read() as session:
        report = audit.verify(session)
    if report.ok:
        print(_("Audit log intact: {n} entries.").format(n=report.entries))
        return 0
    for problem in report.problems[:20]:
        print(problem)
    raise InvalidInputError(
        _("The audit log has been tampered with: {n} problems.").format(n=len(report.problems))
    )


def cmd_settings_show(ctx: Context) -> int:
    from fieldkit.services import attachments as attachment_service
    from fieldkit.services import receipts, vaults
    from fieldkit.vault import repo

    vault = ctx.vault()
    with vault.read() as session:
        limit = attachment_service.max_bytes(session)
        name = repo.get_setting(session, vaults.SETTING_DEVICE_NAME, "")
        purge = receipts.purge_enabled(session)
    pairs(
        [
            ("attachment-max-mib", limit // (1024 * 1024)),
            ("device-name", name or "-"),
            ("purge-acknowledged", "on" if purge else "off"),
        ]
    )
    return 0


def cmd_settings_set(ctx: Context) -> int:
    from fieldkit.services import attachments as attachment_service
    from fieldkit.services import receipts, vaults
    from fieldkit.vault import repo

    vault = ctx.vault()
    key, value = ctx.args.key, ctx.args.value
    if key == "attachment-max-mib":
        try:
            mib = int(value)
        except ValueError:
            raise InvalidInputError(_("attachment-max-mib takes a whole number of MiB.")) from None
        attachment_service.set_max_bytes(vault, mib * 1024 * 1024)
    elif key == "purge-acknowledged":
        if value not in ("on", "off"):
            raise InvalidInputError(_("purge-acknowledged takes on or off."))
        receipts.set_purge(vault, value == "on")
    else:
        with vault.write() as session:
            repo.set_setting(session, vaults.SETTING_DEVICE_NAME, value.strip()[:80])
    print(_("Setting saved."))
    return 0
