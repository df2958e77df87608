"""Start-up of fieldkit-cli: the parser and `--help` load neither the vault nor SQLAlchemy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "sqlcipher3", "fieldkit.vault", "fieldkit.bundle")

PROGRAM = """
import json, sys
from fieldkit.cli.main import main
try:
    main(["--help"])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_help_loads_no_vault_storage_or_services() -> None:
    """The command modules import the services inside the commands that use them, so printing
    the help (or a usage error) does not pay for importing the vault and SQLAlchemy."""
    # As a user runs it: without the test suite's sitecustomize, which loads the key file module
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    loaded = [m for m in result["modules"] if m.startswith(HEAVY)]
    assert loaded == []
    services = {m for m in result["modules"] if m.startswith("fieldkit.services.")}
    # where the log goes, and the JSON readers the parser's types use: no vault behind them
    assert services <= {"fieldkit.services.locations", "fieldkit.services.datafiles"}
