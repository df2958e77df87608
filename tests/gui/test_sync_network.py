"""What the background sync makes of the system's network information: no network, a network
limited to this machine or behind a captive portal is not reachable; an unknown state, a site
network or the internet is; metered only where the backend can tell; without any backend the
network counts as reachable and not metered; every change is passed on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from fieldkit.gui import sync_network
from fieldkit.gui.sync_network import Feature, QtNetwork, Reachability

EVERYTHING = Feature.Reachability | Feature.CaptivePortal | Feature.Metered


class StubInformation(QObject):
    """Stands in for QNetworkInformation with the state a test sets."""

    reachabilityChanged = Signal(object)  # noqa: N815 - Qt's names
    isBehindCaptivePortalChanged = Signal(bool)  # noqa: N815
    isMeteredChanged = Signal(bool)  # noqa: N815

    def __init__(self, features: Feature = EVERYTHING) -> None:
        super().__init__()
        self.features = features
        self.state = Reachability.Online
        self.portal = False
        self.is_metered = False

    def supports(self, feature: Feature) -> bool:
        return bool(self.features & feature)

    def reachability(self) -> Reachability:
        return self.state

    def isBehindCaptivePortal(self) -> bool:  # noqa: N802 - Qt's name
        return self.portal

    def isMetered(self) -> bool:  # noqa: N802 - Qt's name
        return self.is_metered


def _network(monkeypatch: pytest.MonkeyPatch, info: StubInformation | None) -> QtNetwork:
    monkeypatch.setattr(sync_network, "network_information", lambda: info)
    return QtNetwork()


@pytest.mark.parametrize(
    ("state", "reachable"),
    [
        (Reachability.Disconnected, False),
        (Reachability.Local, False),
        (Reachability.Unknown, True),
        (Reachability.Site, True),
        (Reachability.Online, True),
    ],
)
def test_reachability(
    qapp: Any, monkeypatch: pytest.MonkeyPatch, state: Reachability, reachable: bool
) -> None:
    info = StubInformation()
    info.state = state
    assert _network(monkeypatch, info).reachable() is reachable


def test_a_captive_portal_is_not_reachable_and_changes_are_passed_on(
    qapp: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = StubInformation()
    network = _network(monkeypatch, info)
    assert network.reachable() and not network.metered()
    with qtbot.waitSignal(network.changed, timeout=1000):
        info.portal = True
        info.isBehindCaptivePortalChanged.emit(True)
    assert not network.reachable()
    with qtbot.waitSignal(network.changed, timeout=1000):
        info.is_metered = True
        info.isMeteredChanged.emit(True)
    assert network.metered()
    with qtbot.waitSignal(network.changed, timeout=1000):
        info.state = Reachability.Disconnected
        info.reachabilityChanged.emit(Reachability.Disconnected)


def test_what_a_backend_cannot_tell_does_not_hold_sending_back(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = StubInformation(features=Feature.Reachability)
    info.portal = info.is_metered = True  # not supported: not believed
    network = _network(monkeypatch, info)
    assert network.reachable() and not network.metered()
    nothing = _network(monkeypatch, None)
    assert nothing.reachable() and not nothing.metered()


def test_the_system_backend_loads_once(qapp: Any) -> None:
    first = sync_network.network_information()
    assert sync_network.network_information() is first
    network = QtNetwork()
    assert isinstance(network.reachable(), bool) and isinstance(network.metered(), bool)


STARTED = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from fieldkit.app import build
from fieldkit.services.preferences import Preferences
app = QApplication([])
build(app, Path(sys.argv[1]), Preferences()).window.start()
print(" ".join(m for m in %r if m in sys.modules))
"""


def test_the_window_is_built_without_the_services_and_the_states_match_theirs(
    tmp_path: Path,
) -> None:
    """The sync scheduler is part of the window from the start, yet the database engine and the
    network client are imported only once a vault opens, and the status area (its panel and
    table) is built at the first unlock; its states are the outbox's."""
    import subprocess
    import sys

    from fieldkit.gui import sync_states
    from fieldkit.services.sync import ItemState

    heavy = ("sqlalchemy", "httpx", "fieldkit.services.sync", "fieldkit.vault.store")
    heavy += ("fieldkit.gui.sync_panel",)
    done = subprocess.run(
        [sys.executable, "-c", STARTED % (heavy,), str(tmp_path / "vault")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == ""
    names = ("WAITING", "SENDING", "AT_HQ", "DELIVERED", "REFUSED")
    assert {getattr(sync_states, n) for n in names} == {state.value for state in ItemState}
    assert all(getattr(sync_states, n) == ItemState[n] for n in names)
