"""What the libraries that read XLSForms say (Python warnings, their logs) never reaches the
user's terminal: a refused XLSForm gives one line on stderr and nothing else."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from fieldkit.services.xlsform import XLSFormError, convert_xlsform
from fieldkit.services.xlsform.reading import LIBRARY_LOGGERS
from tests.conftest import cli_env
from tests.services.test_xlsform_limits import text_row, write_sheets

DATA = Path(__file__).resolve().parents[1] / "data" / "xlsform"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def unstyled_form(path: Path) -> Path:
    """A refused XLSForm (a select without a choices sheet) whose empty stylesheet makes
    openpyxl warn "Workbook contains no stylesheet" from its site-packages file."""
    rows = iter([text_row(["type", "name", "label"]), text_row(["select_one nolist", "q", "Q"])])
    write_sheets(path, {"survey": rows})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/styles.xml", f'<styleSheet xmlns="{MAIN}"/>')
    return path


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    """``fieldkit-cli forms validate PATH`` in a process of its own, warnings shown by default."""
    script = Path(sys.executable).with_name("fieldkit-cli")
    return subprocess.run(
        [str(script), "forms", "validate", str(path)],
        env=cli_env(path.parent / "vault", PYTHONWARNINGS="default"),
        capture_output=True,
        text=True,
        check=False,
    )


def one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "site-packages" not in result.stderr and "WARNING" not in result.stderr.upper()
    return lines[0]


def test_forms_validate_prints_one_line_and_no_library_warning(tmp_path: Path) -> None:
    result = validate(unstyled_form(tmp_path / "unstyled.xlsx"))
    line = one_line_refusal(result)
    assert line.startswith("fieldkit-cli: unstyled.xlsx: sheet 'survey', row 2, column 'type'")


def test_xlrds_own_warnings_on_a_cut_xls_are_not_printed(tmp_path: Path) -> None:
    path = tmp_path / "cut.xls"
    path.write_bytes((DATA / "simple.xls").read_bytes()[:-700])
    line = one_line_refusal(validate(path))
    assert line.startswith("fieldkit-cli: cut.xls: could not read this XLSForm")


def test_library_warnings_are_caught_while_converting(tmp_path: Path) -> None:
    path = unstyled_form(tmp_path / "unstyled.xlsx")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(XLSFormError, match="has no 'choices' sheet"):
            convert_xlsform(path)
    assert shown == []


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_library_logs_do_not_reach_fieldkits_handlers() -> None:
    kept, root = Kept(), logging.getLogger()
    root.addHandler(kept)  # as the CLI's stderr handler and the log file are
    try:
        for name in LIBRARY_LOGGERS:
            logging.getLogger(f"{name}.inner").warning("a library's own words")
        logging.getLogger("fieldkit.services.xlsform").warning("fieldkit's own words")
    finally:
        root.removeHandler(kept)
    assert [r.getMessage() for r in kept.records] == ["fieldkit's own words"]
