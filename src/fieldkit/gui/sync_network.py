"""What the system says about the network, for the background sync: reachable or not, metered or
not, and when that changes.

Qt's ``QNetworkInformation`` reads it from the platform (NetworkManager, glib, the Windows and
macOS network APIs). Its backend is loaded once per process; where none can be loaded, or the one
loaded cannot tell, the network counts as reachable and not metered: the signed ping of a sync
attempt then finds out whether headquarters really answers. Behind a captive portal (a hotel or
airport sign-in page) nothing reaches headquarters, so it counts as not reachable.
"""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtNetwork import QNetworkInformation

log = logging.getLogger(__name__)

Reachability = QNetworkInformation.Reachability
Feature = QNetworkInformation.Feature
UNREACHABLE = (Reachability.Disconnected, Reachability.Local)
"""No route out of this machine (or only to itself and its own link): no try."""


class NetworkSource(Protocol):
    """What the sync scheduler asks about the network (Qt's, or a stand-in in tests)."""

    @property
    def changed(self) -> SignalInstance: ...

    def reachable(self) -> bool: ...

    def metered(self) -> bool: ...


class _Backend:
    """The one ``QNetworkInformation`` of the process, loaded on first use (or None)."""

    tried = False
    instance: QNetworkInformation | None = None


def network_information() -> QNetworkInformation | None:
    """Load Qt's default network backend once; None where the platform has none."""
    if not _Backend.tried:
        _Backend.tried = True
        try:
            loaded = QNetworkInformation.loadDefaultBackend()
        except RuntimeError:  # no backend plugin at all
            loaded = False
        _Backend.instance = QNetworkInformation.instance() if loaded else None
        if _Backend.instance is None:
            log.info("no network information backend: the network counts as reachable")
        else:
            log.info("network information from %s", _Backend.instance.backendName())
    return _Backend.instance


class QtNetwork(QObject):
    """The system's view of the network through ``QNetworkInformation``."""

    changed = Signal()
    """Reachability, the captive portal or the metered state changed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loaded = False
        self._info: QNetworkInformation | None = None

    def _load(self) -> QNetworkInformation | None:
        """The backend, loaded at the first question (after unlock: loading it takes tens of
        milliseconds that the first window should not wait for)."""
        if not self._loaded:
            self._loaded = True
            self._info = network_information()
            if self._info is not None:
                self._info.reachabilityChanged.connect(self._changed)
                self._info.isBehindCaptivePortalChanged.connect(self._changed)
                self._info.isMeteredChanged.connect(self._changed)
        return self._info

    def _changed(self, *_args: object) -> None:
        log.info("network: reachable %s, metered %s", self.reachable(), self.metered())
        self.changed.emit()

    def _supports(self, feature: Feature) -> bool:
        info = self._load()
        return info is not None and info.supports(feature)

    def reachable(self) -> bool:
        info = self._load()
        if info is None:
            return True
        if self._supports(Feature.CaptivePortal) and info.isBehindCaptivePortal():
            return False
        if self._supports(Feature.Reachability):
            return info.reachability() not in UNREACHABLE
        return True

    def metered(self) -> bool:
        info = self._load()
        return info is not None and self._supports(Feature.Metered) and info.isMetered()
