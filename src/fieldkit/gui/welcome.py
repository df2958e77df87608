"""The first page of a first run: what fieldkit protects, in two sentences, and the way on."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QPushButton, QWidget

from fieldkit.gui.language import LanguageCombo
from fieldkit.gui.page import CentredPage, heading, paragraph
from fieldkit.i18n import _


class WelcomePage(CentredPage):
    start_requested = Signal()
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column.addWidget(heading(_("Welcome to fieldkit")))
        self.column.addWidget(
            paragraph(
                _(
                    "fieldkit keeps your records of crimes and attacks in an encrypted vault on "
                    "this computer, so that a lost or seized laptop reveals nothing without your "
                    "passphrase. Each record you finalize is signed by this device, so that "
                    "headquarters can prove where it came from and that nobody changed it."
                )
            )
        )
        self.language = LanguageCombo()
        self.language.language_chosen.connect(self.language_chosen)
        form = QFormLayout()
        form.addRow(_("Language:"), self.language)
        self.column.addLayout(form)
        self.start = QPushButton(_("Create a vault…"))
        self.start.setAccessibleName(_("Create a vault"))
        self.start.setDefault(True)
        self.start.clicked.connect(self.start_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        self.column.addLayout(buttons)
        self.setFocusProxy(self.start)
