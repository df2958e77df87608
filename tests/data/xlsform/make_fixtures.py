"""Regenerate simple.csv, simple.xlsx and simple.xls: the same small XLSForm in three formats.

Run from anywhere: ``python tests/data/xlsform/make_fixtures.py`` (needs openpyxl and xlwt).
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent

SURVEY = [
    ["type", "name", "label::English (en)", "label::French (fr)", "required", "constraint"],
    ["start", "start"],
    ["text", "reporter", "Reporter", "Rapporteur", "yes"],
    ["integer", "age", "Age", "Âge", "", ". >= 0 and . < 120"],
    ["select_one yes_no", "witnessed", "Witnessed?", "Témoin ?", "yes"],
    ["begin group", "when", "When", "Quand"],
    ["date", "day", "Day", "Jour"],
    ["end group"],
    ["begin repeat", "items", "Items", "Objets"],
    ["text", "item", "Item", "Objet"],
    ["end repeat"],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::French (fr)"],
    ["yes_no", "yes", "Yes", "Oui"],
    ["yes_no", "no", "No", "Non"],
]
SETTINGS = [
    ["form_title", "form_id", "version", "default_language"],
    ["Simple form", "simple_form", "3", "English (en)"],
]
SHEETS = {"survey": SURVEY, "choices": CHOICES, "settings": SETTINGS}


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for sheet, rows in SHEETS.items():
            writer.writerow([sheet])
            for row in rows:
                writer.writerow(["", *row])


def write_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in SHEETS.items():
        page = book.create_sheet(sheet)
        for row in rows:
            page.append(row)
    book.save(path)


def write_xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for sheet, rows in SHEETS.items():
        page = book.add_sheet(sheet)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value:
                    page.write(r, c, value)
    book.save(str(path))


if __name__ == "__main__":
    write_csv(HERE / "simple.csv")
    write_xlsx(HERE / "simple.xlsx")
    write_xls(HERE / "simple.xls")
