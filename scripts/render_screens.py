"""Render the desktop app's main screens offscreen to PNG files: ``render_screens.py OUTDIR``.

English: welcome, create vault, unlock (after a wrong passphrase), the record list with 30 sample
records, the list filtered by a search, the Vault menu with its lock shortcut, the form picker,
settings, the record editor (also at a position and at a repeat entry with hidden identifying
answers), the problems before sealing, the record viewer and a revision history; then the way to
headquarters: export refused before enrolment, enrolment, the Headquarters dialog, export to a
stick, and a receipt; sending over the network: the status area while a bundle is sent (English
and Arabic) and after a failed try (English). French and Arabic: the record list (the same 30
records); Arabic: the export dialog. Everything happens in a throwaway vault under a temporary
home folder, with a fast key derivation and a headquarters made on the spot: nothing touches the
user's own vault, settings or keyring, and the "USB stick" is a temporary folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HOME = Path(tempfile.mkdtemp(prefix="fieldkit-screens-"))
os.environ.update(
    {
        "HOME": str(HOME),
        "XDG_DATA_HOME": str(HOME / "data"),
        "XDG_CONFIG_HOME": str(HOME / "config"),
        "XDG_STATE_HOME": str(HOME / "state"),
        "XDG_CACHE_HOME": str(HOME / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
)
# Qt's offscreen screen is 800x600 unless told otherwise, and Qt never opens a dialog larger than
# two thirds of the screen: French dialogs came out squeezed. A laptop's full-HD screen instead.
SCREEN = HOME / "screen.json"
SCREEN.write_text(
    json.dumps(
        {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1920, "height": 1080, "dpr": 1}]}
    ),
    encoding="utf-8",
)
if os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN}"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from collections.abc import Callable  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import sync_screens  # noqa: E402
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QPoint, QSize, Qt  # noqa: E402
from PySide6.QtGui import QPainter, QPixmap  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QWidget  # noqa: E402

from fieldkit.app import Desktop, build  # noqa: E402
from fieldkit.bundle import make_enrolment, make_receipt, open_bundle  # noqa: E402
from fieldkit.bundle.agefile import new_identity  # noqa: E402
from fieldkit.crypto.identity import SigningKey  # noqa: E402
from fieldkit.domain.records import RecordStatus  # noqa: E402
from fieldkit.errors import InvalidInputError  # noqa: E402
from fieldkit.gui.forms.editor import RecordEditor  # noqa: E402
from fieldkit.i18n import set_language  # noqa: E402
from fieldkit.services import drives, preferences, records, unlocking, vaults  # noqa: E402
from fieldkit.vault import keyfile  # noqa: E402
from fieldkit.vault.store import Vault  # noqa: E402

# A throwaway vault: derivation speed is not shown. The test suite's cheap parameters, in-process.
keyfile.TEST_PARAMS = keyfile.KdfParams(memory_kib=keyfile.FLOOR_MEMORY_KIB, iterations=1, lanes=1)

PASSPHRASE = "quartz lantern meadow oxide 31"  # noqa: S105 - a throwaway vault
SIZE = QSize(1200, 760)
PAGE_SIZE = QSize(900, 540)
"""The pages before the vault opens: one narrow column in the middle, no list."""
SEARCH = "checkpoint fuel"
"""A search with a few hits: the activity stage's option name and a commodity."""
DATA = ROOT / "tests" / "data" / "records" / "v2"
PLACES = {  # (ISO 3166-2 region, admin-2 name)
    "MLI": [("ML-1", "Kéniéba"), ("ML-3", "Kadiolo"), ("ML-5", "Bandiagara")],
    "BFA": [("BF-08", "Gourma"), ("BF-12", "Séno"), ("BF-02", "Comoé")],
    "NER": [("NE-6", "Téra"), ("NE-1", "Arlit"), ("NE-2", "Mainé-Soroa")],
}
MOTIVES = ("economic", "political", "criminal", "unknown")
MARKETS = (  # (markets, activity stages) of illicit-market observations
    (
        ["non_renewable_resource_crimes", "extortion_protection_racketeering"],
        ["checkpoint_taxation"],
    ),
    (["fauna_crimes"], ["transport"]),
    (["excisable_goods"], ["transport", "checkpoint_taxation"]),
    (["arms_trafficking"], ["sale"]),
    (["synthetic_drug_trade"], ["storage"]),
    (["flora_crimes"], ["extraction_production"]),
    (["human_smuggling"], ["payment_laundering"]),
)


T = TypeVar("T")


def need(value: T | None) -> T:
    if value is None:
        raise RuntimeError("the screen is not there")
    return value


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = QDeadlineTimer(int(seconds * 1000))
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError("the screen did not settle")
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents()


def settle(ms: int = 150) -> None:
    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        QCoreApplication.processEvents()


def save(widget: QWidget, out: Path, name: str) -> None:
    settle()
    write(widget.grab(), out, name)


def write(picture: QPixmap, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    if not picture.save(str(path)):
        raise OSError(f"could not write {path}")
    print(path)


def save_with_menu(window: QWidget, menu: QMenu, out: Path, name: str) -> None:
    """The window with an open menu drawn over it (a menu is a window of its own)."""
    settle()
    picture = window.grab()
    painter = QPainter(picture)
    offset = menu.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    painter.drawPixmap(offset, menu.grab())
    painter.end()
    write(picture, out, name)


def sample(name: str) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    answers.pop("attachments", None)
    return answers


def variants(i: int, answers: dict[str, Any]) -> dict[str, Any]:
    """The sample record moved to another place, month and (for attacks) motive."""
    country = list(PLACES)[i % len(PLACES)]
    admin1, admin2 = PLACES[country][(i // 3) % 3]
    day = f"2026-{1 + i % 10:02d}-{1 + (i * 7) % 27:02d}"
    changed = dict(answers, country=country, admin1=admin1, admin2=admin2, date_start=day)
    changed.pop("date_end", None)
    if "motive" in changed:
        changed["motive"] = MOTIVES[i % len(MOTIVES)]
    if "market" in changed:
        changed["market"], changed["activity_stage"] = MARKETS[i % len(MARKETS)]
    return changed


def fill(vault: Vault) -> None:
    """About 30 records of both shipped forms, in every status."""
    sealed: list[str] = []
    for i in range(30):
        form = "attack-on-activist" if i % 3 == 0 else "illicit-market-observation"
        base = sample(f"{form}.valid.json")
        try:
            record_id = records.create(vault, form, variants(i, base))
        except InvalidInputError:
            record_id = records.create(vault, form, base)
        if i % 4 != 1:
            try:
                records.finalize(vault, record_id)
                sealed.append(record_id)
            except InvalidInputError:
                pass
    heads = [records.detail(vault, r).revisions[-1].sha256 for r in sealed]
    with vault.write() as session:
        records.mark_status(
            session, heads[:8], RecordStatus.EXPORTED, exported_at="2026-11-20T09:00:00Z"
        )
        records.mark_status(
            session,
            heads[:4],
            RecordStatus.ACKNOWLEDGED,
            acknowledged_at="2026-11-22T15:30:00Z",
        )
    records.start_amendment(vault, sealed[-1])


def desktop(folder: Path, language: str, size: QSize = SIZE, sync: Any = None) -> Desktop:
    set_language(language)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("no QApplication")
    shell = build(app, folder, preferences.load(), None, sync)
    shell.window.resize(size)
    shell.window.show()
    return shell


def unlocked(folder: Path, language: str, sync: Any = None) -> Desktop:
    shell = desktop(folder, language, SIZE, sync)
    shell.session.open(unlocking.unlock(folder, PASSPHRASE))
    workspace = need(shell.window.workspace)
    wait_until(lambda: bool(workspace.offered_forms()) and not workspace.records.model.loading)
    return shell


def close(shell: Desktop) -> None:
    shell.window.lock()
    shell.window.close()
    shell.window.deleteLater()
    settle(50)


def render(out: Path) -> None:
    folder = HOME / "vault"
    app = QApplication([sys.argv[0]])
    app.setApplicationName("fieldkit")

    shell = desktop(folder, "en", PAGE_SIZE)
    shell.window.start()
    save(shell.window, out, "welcome")
    page = shell.window.show_create()
    page.passphrase.setText(PASSPHRASE)
    page.confirmation.setText(PASSPHRASE)
    page.device_name.setText("Laptop 3, Bamako office")
    wait_until(lambda: page.meter.verdict is not None)
    save(shell.window, out, "create-vault")
    page.submit()
    wait_until(lambda: shell.session.is_open)
    fill(shell.session.vault)
    close(shell)

    shell = desktop(folder, "en", PAGE_SIZE)
    shell.window.start()
    unlock = shell.window.show_unlock()
    unlock.passphrase.setText("not my passphrase")
    unlock.submit()
    wait_until(lambda: unlock.waiting_seconds > 0)
    save(shell.window, out, "unlock")
    close(shell)

    for language in ("en", "fr", "ar"):  # the same 30 records in each language
        shell = unlocked(folder, language)
        save(shell.window, out, f"records-{language}")
        if language == "en":
            screens_of_the_list(shell, out)
        close(shell)

    shell = unlocked(folder, "en")
    screens_of_the_workspace(shell, out)
    close(shell)

    stick = HOME / "media" / "KINGSTON"
    stick.mkdir(parents=True)
    the_stick = [drives.Drive(stick, "KINGSTON", 14_600_000_000, 15_500_000_000)]
    drives.removable_drives = lambda *_args: the_stick  # the "stick" is a folder
    hq = Headquarters(HOME / "hq")
    shell = unlocked(folder, "en")
    screens_of_enrolment(shell, out, hq)
    close(shell)
    shell = unlocked(folder, "ar")  # enrolled, with revisions to export
    export = need(need(shell.window.bundles).open_export())
    wait_until(lambda: export.drives.count() > 0 and export.export.isEnabled())
    save(export, out, "export-ar")
    export.reject()
    close(shell)
    shell = unlocked(folder, "en")
    screens_of_export(shell, out, stick, hq)
    close(shell)
    for language in ("en", "ar"):
        shell = sync_screens.sending(lambda sync, lang=language: unlocked(folder, lang, sync))
        save(shell.window, out, f"sync-{language}")
        sync_screens.finish(shell)
        close(shell)
    shell = sync_screens.failed_try(lambda sync: unlocked(folder, "en", sync))
    save(shell.window, out, "sync-error")
    close(shell)


def screens_of_the_list(shell: Desktop, out: Path) -> None:
    """The list filtered by a search, then the Vault menu open on its lock action."""
    window = shell.window
    workspace = need(window.workspace)
    model = workspace.records.model
    window.focus_search()
    QTest.keyClicks(workspace.records.filters.search, SEARCH)
    wait_until(lambda: model.filters.search == SEARCH and not model.loading)
    window.resize(SIZE.width(), 380)  # the hits, without an empty page below them
    save(window, out, "search")
    window.resize(SIZE)
    workspace.records.filters.search.clear()
    wait_until(lambda: model.filters.search is None and not model.loading)
    menus = window.menuBar().findChildren(QMenu)
    vault_menu = next(m for m in menus if window.lock_action in m.actions())
    window.menuBar().setActiveAction(vault_menu.menuAction())
    wait_until(vault_menu.isVisible)
    vault_menu.setActiveAction(window.lock_action)
    save_with_menu(window, vault_menu, out, "lock-menu")
    vault_menu.close()


def screens_of_the_workspace(shell: Desktop, out: Path) -> None:
    workspace = need(shell.window.workspace)
    picker = workspace.new_record()
    save(picker, out, "new-record")
    picker.reject()
    settings = need(shell.window.open_settings())
    wait_until(lambda: "Checking" not in settings.remember_note.text())
    save(settings, out, "settings")
    settings.reject()
    model = workspace.records.model
    sealed = next(
        item
        for row in range(model.rowCount())
        if (item := model.item(row)) is not None and item.status != "draft" and not item.has_draft
    )
    workspace.open_record(sealed.id)
    save(shell.window, out, "viewer")
    workspace.close_document()
    picker = workspace.new_record()
    ids = [picker.forms.item(i).data(Qt.ItemDataRole.UserRole) for i in range(picker.forms.count())]
    picker.forms.setCurrentRow(ids.index("attack-on-activist"))
    picker.accept()
    wait_until(lambda: workspace.editor is not None)
    editor = workspace.editor
    if isinstance(editor, RecordEditor):
        editor.flush()  # the first victim's entry, added as the record opens, is saved
    save(shell.window, out, "editor")
    workspace.close_document()
    if isinstance(editor, RecordEditor):  # leave the list as it was for the other languages
        records.discard_draft(shell.session.vault, editor.record_id)
    screens_of_recording(shell, out)


def scroll_to(renderer: Any, path: str) -> None:
    """Scroll the form so that the field or group at ``path`` is at the top."""
    node = need(renderer.node_at(path))
    top = node.mapTo(renderer.widget(), QPoint(0, 0)).y()
    renderer.verticalScrollBar().setValue(top - 2 * renderer.fontMetrics().height())


def screens_of_recording(shell: Desktop, out: Path) -> None:
    """The editor at a position and at a repeat group, the problems before sealing, history."""
    workspace = need(shell.window.workspace)
    vault = shell.session.vault
    answers = sample("attack-on-activist.valid.json")
    answers["coordinates"] = "12°10'44\"N 0°21'54\"E"
    victim = answers["victims"][0]
    victim.update(victim_name="Name given by the family", consent_by="victim")
    draft = records.create(vault, "attack-on-activist", answers)
    workspace.open_record(draft)
    editor = workspace.editor
    if not isinstance(editor, RecordEditor):
        raise RuntimeError("the editor is not there")
    renderer = need(editor.renderer)
    position = need(renderer.input_at("coordinates"))
    line = need(position.findChild(QLineEdit))
    line.clear()
    QTest.keyClicks(line, "12°10'44\"N 0°21'54\"E")  # typed: the other notations appear
    scroll_to(renderer, "place_name")
    status = editor.status
    wait_until(lambda: "Saving" not in status.text())
    save(shell.window, out, "editor-position")
    renderer.show_all_problems()
    scroll_to(renderer, "victims[1].victim_pseudonym")
    save(shell.window, out, "editor-victims")
    workspace.close_document()
    records.discard_draft(vault, draft)

    empty = records.create(vault, "attack-on-activist", {})
    workspace.open_record(empty)
    editor = need(workspace.editor)
    if isinstance(editor, RecordEditor):
        editor.request_finalize()
        save(need(editor.pending_dialog), out, "problems")
    workspace.close_document()
    records.discard_draft(vault, empty)

    sealed = records.create(vault, "attack-on-activist", sample("attack-on-activist.valid.json"))
    records.finalize(vault, sealed)
    corrected = records.start_amendment(vault, sealed)
    records.amend(vault, sealed, dict(corrected, admin2="Fada N'Gourma"))
    workspace.open_record(sealed)
    viewer = need(workspace.viewer)
    tabs = getattr(viewer, "tabs", None)
    if tabs is not None:
        tabs.setCurrentIndex(1)
    shell.window.resize(SIZE.width(), 330)  # two rows of history: no empty page below them
    save(shell.window, out, "history")
    shell.window.resize(SIZE)
    workspace.close_document()


class Headquarters:
    """A headquarters made for the screenshots: its keys and its signed enrolment file."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.signing = SigningKey.generate()
        self.identity, recipient = new_identity()
        self.enrolment = folder / "enrolment.fke"
        self.enrolment.write_bytes(
            make_enrolment(
                hq_key=self.signing,
                hq_name="Mission HQ, Bamako",
                ingest_recipient=recipient,
                address="https://hq.mission.example",
            )
        )
        self.folder = folder

    def receipt(self, vault: Vault, bundle: Path) -> Path:
        spool = self.folder / "spool"
        spool.mkdir(mode=0o700, exist_ok=True)
        with bundle.open("rb") as handle:
            opened = open_bundle(handle, [self.identity], lambda _k, _p: True, spool)
        device = vaults.device_identity(vault)
        path = self.folder / "receipt-1.fkr"
        path.write_bytes(
            make_receipt(
                hq_key=self.signing,
                device_recipient=device.age_recipient,
                bundle_id=opened.manifest.bundle_id,
                manifest_sha256=opened.manifest_sha256,
                device_key_id=device.key_id,
                sequence=opened.manifest.sequence,
                accepted=[revision.sha256 for revision in opened.revisions],
                known=[],
            )
        )
        return path


def screens_of_enrolment(shell: Desktop, out: Path, hq: Headquarters) -> None:
    bundles = need(shell.window.bundles)
    export = need(bundles.open_export())
    wait_until(lambda: export.drives.count() > 0 and "Counting" not in export.summary.text())
    save(export, out, "export-not-enrolled")
    export.reject()
    enrol = need(bundles.open_enrolment())
    enrol.load(hq.enrolment)
    wait_until(lambda: not enrol.working and enrol.fingerprint.text() != "")
    enrol.choose.setFocus()
    save(enrol, out, "enrol")
    enrol.confirm_match()
    wait_until(lambda: enrol.outcome.isVisible())
    enrol.accept()
    dialog = need(bundles.open_headquarters())
    wait_until(lambda: dialog.loaded)
    focused = QApplication.focusWidget()
    if focused is not None:  # a fingerprint with the focus shows a caret that blinks in and out
        focused.clearFocus()
    save(dialog, out, "headquarters")
    dialog.reject()


def screens_of_export(shell: Desktop, out: Path, stick: Path, hq: Headquarters) -> None:
    bundles = need(shell.window.bundles)
    export = need(bundles.open_export())
    wait_until(lambda: export.drives.count() > 0 and export.export.isEnabled())
    save(export, out, "export")
    export.start_export()
    wait_until(lambda: export.outcome.isVisible() or export.error.isVisible())
    save(export, out, "export-done")
    export.reject()
    bundle = next(stick.glob("*.fkb"))
    receipt = need(bundles.open_receipt())
    receipt.load(hq.receipt(shell.session.vault, bundle))
    wait_until(lambda: receipt.outcome.isVisible() or receipt.error.isVisible())
    save(receipt, out, "receipt")
    receipt.reject()
    workspace = need(shell.window.workspace)
    wait_until(lambda: not workspace.records.model.loading and not shell.runner.busy)
    save(shell.window, out, "records-after-receipt")


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: render_screens.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    render(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
