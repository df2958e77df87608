"""A live passphrase strength meter: zxcvbn's score as a bar, its label and its advice.

Scoring runs in the task runner (loading zxcvbn's dictionaries takes a moment the first time),
a short while after the last key stroke; a result for text typed over since is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _

if TYPE_CHECKING:
    from fieldkit.services.passphrases import Strength

DEBOUNCE_MS = 150
COLOURS = ("#b3261e", "#b3261e", "#a15c00", "#2e7d32", "#1b5e20")


def _score(text: str) -> Strength:
    from fieldkit.services import passphrases

    return passphrases.strength(text)


class StrengthMeter(QWidget):
    changed = Signal()
    """The advice shown changed (a dialog may need to grow to show all of it)."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._text = ""
        self._serial = 0
        self.verdict: Strength | None = None
        self._bar = QProgressBar()
        self._bar.setRange(0, 4)
        self._bar.setTextVisible(False)
        self._bar.setMaximumHeight(10)
        self._bar.setAccessibleName(_("Passphrase strength"))
        self._label = QLabel()
        self._label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._bar)
        layout.addWidget(self._label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._measure)
        self._show(None)

    @property
    def advice(self) -> str:
        return self._label.text()

    def set_passphrase(self, text: str) -> None:
        self._text = text
        self._serial += 1
        if not text:
            self._timer.stop()
            self._show(None)
            return
        self._timer.start()

    def _measure(self) -> None:
        serial, text = self._serial, self._text
        self._runner.run(
            "passphrase strength",
            lambda: _score(text),
            lambda v: self._scored(serial, v),
            owner=self,
        )

    def _scored(self, serial: int, verdict: Strength) -> None:
        if serial == self._serial:
            self._show(verdict)

    def _show(self, verdict: Strength | None) -> None:
        self.verdict = verdict
        score = verdict.score if verdict else 0
        self._bar.setValue(score if verdict else 0)
        self._bar.setStyleSheet(
            f"QProgressBar::chunk {{ background: {COLOURS[score]}; }}" if verdict else ""
        )
        if verdict is None:
            self._label.setText(_("Use several unrelated words; at least 12 characters."))
        elif verdict.acceptable:
            self._label.setText(_("Strength: {label}.").format(label=verdict.label))
        else:
            self._label.setText(
                _("Strength: {label}. {advice}").format(label=verdict.label, advice=verdict.advice)
            )
        self._bar.setAccessibleDescription(self._label.text())
        self.changed.emit()
