"""The one mapping of file errors to the line a user reads."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from fieldkit.errors import InvalidInputError, NotFoundError, reading_file


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file"), NotFoundError, "no such file."),
        (IsADirectoryError(errno.EISDIR, "Is a directory"), InvalidInputError, "is a folder"),
        (PermissionError(errno.EACCES, "Permission denied"), InvalidInputError, "denied"),
        (OSError(errno.EIO, "Input/output error"), InvalidInputError, "Input/output error"),
    ],
)
def test_each_file_error_becomes_one_line_naming_the_file(
    error: OSError, kind: type[Exception], says: str
) -> None:
    path = Path("/media/stick/report.yaml")
    with pytest.raises(kind) as raised, reading_file(path):
        raise error
    message = raised.value.user_message  # type: ignore[attr-defined]
    assert message.startswith(f"{path}: ") and says in message and "\n" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_other_errors_pass_through() -> None:
    with pytest.raises(ValueError, match=r"^not a file error$"), reading_file(Path("x")):
        raise ValueError("not a file error")
