"""docs/hq.md's walkthrough (section 18) shows what its commands print now.

The test builds the demonstration HQ with ``scripts/hq_demo.py`` in a fresh folder, then runs
every command of the section's ``console`` blocks in order, in that folder, with bash (``$ ``
starts a command, a line ending in ``\\`` continues it, the lines after it are what it prints,
stdout and stderr together). ``export NAME=VALUE`` lines set the environment of the commands
after them. Before comparing, both sides are normalised:

- the folder the demonstration runs in is removed from paths (``/tmp/x/demo/hq`` -> ``demo/hq``);
- times such as ``2026-12-08T00:04:12Z`` become ``<time>``;
- runs of 12 or more hex digits (keys, hashes, bundle and receipt names) become ``<hex>``,
  except the demonstration's record ids (``de0000...``), which are fixed;
- spaces at the ends of lines are dropped.

A line ``...`` in a shown output stands for any number of lines (the demo script's own output
is shown by its last lines only). To refresh the doc after a change of output, run this file:
``.venv/bin/python tests/hq/test_walkthrough_doc.py`` prints each command with its output now.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "hq.md"
SECTION = "## 18. "
TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
HEX = re.compile(r"(?<![0-9a-f])(?!de0{20})[0-9a-f]{12,}(?![0-9a-f])")


@dataclass
class Step:
    command: str
    shown: list[str]


def steps(text: str) -> list[Step]:
    """The commands of the walkthrough's console blocks, each with the output shown."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    found: list[Step] = []
    for block in re.findall(r"```console\n(.*?)```", section, flags=re.S):
        lines = block.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            if not line.startswith("$ "):
                found[-1].shown.append(line)
                index += 1
                continue
            command = line[2:]
            while command.endswith("\\"):
                index += 1
                command = command[:-1] + lines[index].strip()
            found.append(Step(command, []))
            index += 1
    return found


def normalise(text: str, folder: Path) -> list[str]:
    text = text.replace(f"{folder}{os.sep}", "")
    text = TIME.sub("<time>", text)
    text = HEX.sub("<hex>", text)
    return [line.rstrip() for line in text.splitlines()]


def matches(shown: list[str], actual: list[str]) -> bool:
    """``actual`` is ``shown``, where a ``...`` line of ``shown`` stands for any lines."""
    parts = "\n".join(shown).split("...")
    pattern = ".*".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, "\n".join(actual), flags=re.S) is not None


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.pop("LANGUAGE", None)
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", PYTHONHASHSEED="0")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(walk: list[Step], folder: Path) -> Iterator[tuple[Step, str]]:
    """Run the walkthrough in ``folder``; yields each step with what it printed, ``folder``
    removed from paths."""
    (folder / "scripts").symlink_to(ROOT / "scripts")
    env = environment()
    for step in walk:
        if step.command.startswith("export "):
            for assignment in shlex.split(step.command)[1:]:
                name, _sep, value = assignment.partition("=")
                env[name] = value
            yield step, ""
            continue
        done = subprocess.run(
            ["bash", "-c", step.command],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=300,
        )
        yield step, done.stdout.replace(f"{folder}{os.sep}", "")


@pytest.mark.slow
def test_the_walkthrough_shows_what_the_commands_print(tmp_path: Path) -> None:
    if shutil.which("unzip") is None:
        pytest.skip("the walkthrough reads exported tables with unzip, which is not installed")
    walk = steps(DOC.read_text("utf-8"))
    assert len(walk) >= 15, "the walkthrough's console blocks were not found"
    folder = tmp_path.resolve()
    for step, printed in run(walk, folder):
        shown, actual = normalise("\n".join(step.shown), folder), normalise(printed, folder)
        assert matches(shown, actual), (
            f"docs/hq.md shows for `{step.command}`:\n"
            + "\n".join(shown)
            + "\n\nbut it prints now:\n"
            + "\n".join(actual)
        )


def test_normalising_masks_only_what_changes_from_run_to_run() -> None:
    folder = Path("/tmp/abc")
    text = (
        "/tmp/abc/demo/stick/cf8106085dd36b5dbe2668ed32de082d.fkb: accepted (6dda1b79a320)\n"
        "de000000000000000000000000000007  2026-12-08T00:04:12Z  age_30_44  \n"
    )
    assert normalise(text, folder) == [
        "demo/stick/<hex>.fkb: accepted (<hex>)",
        "de000000000000000000000000000007  <time>  age_30_44",
    ]
    assert matches(["...", "b", "c"], ["a", "x", "b", "c"])
    assert not matches(["...", "b", "c"], ["a", "b", "c", "d"])
    assert not matches(["a"], ["a", "b"])


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temporary:
        for step, actual in run(steps(DOC.read_text("utf-8")), Path(temporary).resolve()):
            print(f"$ {step.command}")
            print(actual, end="")
