"""Shared CLI fixtures: a vault named by the environment, and a runner that checks exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.cli.main import main
from tests.conftest import DATA, PASSPHRASE


@pytest.fixture
def env(vault_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIELDKIT_VAULT", str(vault_dir))
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    return vault_dir


class Run:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, code: int = 0) -> str:
        try:
            result = main(list(args))
        except SystemExit as exit_:  # argparse exits for usage and --help
            result = int(exit_.code or 0)
        out, err = self.capsys.readouterr()
        assert result == code, (args, out, err)
        self.err = err
        if code == 1:
            assert err.count("\n") == 1 and err.startswith("fieldkit-cli: "), err
        return out


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], env: Path) -> Run:
    runner = Run(capsys)
    runner("init", "--device-name", "field laptop 7")
    runner("forms", "install", str(DATA / "forms" / "all-types.yaml"))
    return runner
