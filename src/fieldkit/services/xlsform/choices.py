"""Converting choice lists."""

from __future__ import annotations

import re
from typing import Any

from fieldkit.domain.forms import CODE_PATTERN
from fieldkit.i18n import _
from fieldkit.services.xlsform.base import ConverterBase, Row
from fieldkit.services.xlsform.model import CHOICES, SURVEY, short

_CODE = re.compile(CODE_PATTERN)
_LIST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


class ChoiceConversion(ConverterBase):
    def choice_list(self, list_name: str, element: dict[str, Any], row: Row) -> str:
        if list_name in self.vocabulary_lists or list_name in self.lists:
            return list_name
        if not _LIST_NAME.match(list_name):
            raise self.error(
                _(
                    "the choice list name '{name}' cannot be used in fieldkit: use letters, "
                    "digits, _, . and -, at most 64 characters."
                ).format(name=short(list_name, 64)),
                sheet=SURVEY,
                row=row.row,
                column="type",
            )
        choices = element.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self.error(
                _("the choice list '{name}' has no choices; add them to the choices sheet.").format(
                    name=short(list_name, 64)
                ),
                sheet=SURVEY,
                row=row.row,
                column="type",
            )
        result: list[dict[str, Any]] = []
        missing_label = False
        known_columns = {"name", "label", "media", "__row", "list_name"}
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            code = str(choice.get("name", "")).strip()
            choice_row = self.choice_rows.get((list_name, code))
            if not _CODE.match(code):
                raise self.error(
                    _(
                        "the choice name '{code}' in list '{list}' cannot be used in fieldkit: use "
                        "letters, digits and _ . + - only, starting with a letter, digit or _."
                    ).format(code=short(code, 64), list=short(list_name, 64)),
                    sheet=CHOICES,
                    row=choice_row,
                    column="name",
                )
            label = self.texts(choice.get("label"), CHOICES)
            if not label.get(self.default_language):
                label[self.default_language] = code
                missing_label = True
            result.append({"code": code, "label": label})
            if choice.get("media"):
                self.report(
                    choice_row,
                    CHOICES,
                    None,
                    _("images, audio and video in choice labels are not carried over"),
                    once=("choice-media",),
                )
            for column in choice:
                if column not in known_columns:
                    self.report(
                        choice_row,
                        CHOICES,
                        None,
                        _(
                            "the column '{column}' (such as a choice filter) is not supported; its "
                            "values were ignored"
                        ).format(column=short(str(column), 60)),
                        once=("choice-column", str(column)),
                    )
        if missing_label:
            self.report(
                self.choice_rows.get((list_name, str(choices[0].get("name", "")).strip())),
                CHOICES,
                None,
                _(
                    "some choices of list '{list}' have no label in the default language '{lang}'; "
                    "their names are used as labels"
                ).format(list=short(list_name, 64), lang=self.default_language),
            )
        self.lists[list_name] = result
        return list_name

    def acknowledge_choices(self) -> str:
        if self.acknowledge_list is None:
            taken = {*(self.raw_list_names()), *self.vocabulary_lists}
            name, n = "acknowledge", 1
            while name in taken:
                n += 1
                name = f"acknowledge_{n}"
            self.acknowledge_list = name
            self.lists[name] = [{"code": "OK", "label": {self.default_language: "OK"}}]
        return self.acknowledge_list

    def raw_list_names(self) -> set[str]:
        return {list_name for list_name, _code in self.choice_rows}
