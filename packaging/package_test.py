"""``make package-test``: build the Linux installers in a clean folder and use what they hold.

1. ``build.py`` builds into ``build/package-test`` (removed first), signing with a minisign key
   made for this run; the checksums and signatures are verified as docs/packaging.md says.
2. The ``.deb`` and the ``.tar.gz`` are unpacked; both must hold SQLCipher's library, every
   translation and every shipped form (``contents.py``); the ``.deb`` the commands and the
   desktop entry.
3. With ``HOME``, the ``XDG_*`` folders and ``TMPDIR`` pointing into a fresh folder, and every
   packaged program run under ``strace``: the packaged desktop app starts under Xvfb, its window
   appears, and it is driven with ``xdotool`` keystrokes to create a vault; the packaged
   ``fieldkit-cli`` then reads that vault, seals a record in a shipped form and exports a bundle,
   and the packaged ``fieldkit-hq`` initialises headquarters, registers the device and ingests the
   bundle.
4. No packaged program wrote outside fieldkit's data, configuration and log folders and the
   folders named on its command line, and none opened a network connection.

Prints one line per check and ``package-test: N passed, N failed`` at the end; exits 1 on any
failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import contents  # noqa: E402
import tracing  # noqa: E402

ROOT = HERE.parent
PASSPHRASE = "orchard copper lantern seventeen drizzle"  # noqa: S105 - a test vault
DEVICE_NAME = "Packaged laptop 7"
RECORD = ROOT / "tests" / "data" / "records" / "v2" / "illicit-market-observation.valid.json"
FORM_ID = "illicit-market-observation"
WAIT_S = 60.0


class CheckFailedError(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailedError(message)


class Sandbox:
    """A fresh home for the packaged programs, and the log of what they did."""

    def __init__(self, base: Path, programs: Path) -> None:
        self.base = base
        self.programs = programs
        self.home = base / "home"
        self.tmp = base / "tmp"
        self.work = base / "work"  # the user's own folder: bundles, identity files
        self.hq = base / "hq"
        self.traces = base / "traces"
        for folder in (self.home, self.tmp, self.work, self.traces):
            folder.mkdir(parents=True)
        runtime = self.home / "runtime"
        runtime.mkdir(mode=0o700)
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_RUNTIME_DIR": str(runtime),
            "TMPDIR": str(self.tmp),
            "LANG": "C.UTF-8",
            "LANGUAGE": "en",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        self.vault = Path(self.env["XDG_DATA_HOME"]) / "fieldkit" / "vault"
        self.count = 0

    def allowed(self) -> list[Path]:
        """fieldkit's own folders (platformdirs: data, configuration, state with the logs) and
        those the commands were given."""
        return [
            Path(self.env["XDG_DATA_HOME"]) / "fieldkit",
            Path(self.env["XDG_CONFIG_HOME"]) / "fieldkit",
            Path(self.env["XDG_STATE_HOME"]) / "fieldkit",
            self.work,
            self.hq,
        ]

    def command(self, program: str, *args: str) -> list[str]:
        self.count += 1
        log = self.traces / f"{self.count:02d}-{program}"
        strace = ["strace", "-f", "-ff", "-qq", "-y", "-e", f"trace={tracing.STRACE_CALLS}"]
        return [*strace, "-o", str(log), str(self.programs / program), *args]

    def run(self, program: str, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            self.command(program, *args),
            env=self.env | (env or {}),
            cwd=self.work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        check(
            done.returncode == 0,
            f"{program} {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}",
        )
        return done.stdout

    def trace(self) -> tracing.Trace:
        total = tracing.Trace()
        for log in sorted(self.traces.iterdir()):
            one = tracing.read(log, self.work)
            total.written |= one.written
            total.connections += one.connections
        return total


def build(out: Path, key: Path) -> Path:
    env = dict(os.environ, FIELDKIT_MINISIGN_KEY=str(key))
    subprocess.run(
        [sys.executable, str(HERE / "build.py"), "--quick", "--work", str(out / "work"),
         "--dist", str(out / "dist")],
        env=env,
        check=True,
    )  # fmt: skip
    return out / "dist"


def verify_release(dist: Path, public_key: Path | None) -> list[Path]:
    installers = sorted([*dist.glob("*.deb"), *dist.glob("*.tar.gz")])
    check(len(installers) == 2, f"expected a .deb and a .tar.gz in {dist}, found {installers}")
    subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=dist, check=True)
    for path in [*installers, dist / "SHA256SUMS"] if public_key else []:
        subprocess.run(
            ["minisign", "-V", "-m", str(path), "-p", str(public_key)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return installers


def unpack(installers: list[Path], into: Path) -> Path:
    """Both installers unpacked and checked; returns a folder of links to the .deb's programs."""
    (deb,) = [p for p in installers if p.suffix == ".deb"]
    (tarball,) = [p for p in installers if p.name.endswith(".tar.gz")]
    deb_root = into / "deb"
    deb_root.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(deb_root)], check=True)
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Depends"], capture_output=True, text=True
    ).stdout
    check("Package: fieldkit" in fields and "libxcb-cursor0" in fields, f"control: {fields}")
    for program in contents.PROGRAMS:
        link = deb_root / "usr" / "bin" / program
        check(
            str(link.readlink()) == f"/opt/fieldkit/{program}", f"{link} does not point into /opt"
        )
    check((deb_root / "usr/share/applications/fieldkit.desktop").is_file(), "no desktop entry")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        check(all(n.split("/")[0] == names[0] for n in names), "the archive has one top folder")
        tar.extractall(into / "tar", filter="tar")
    for root in (deb_root / "opt" / "fieldkit", into / "tar" / names[0]):
        missing = contents.problems(root, ROOT)
        check(not missing, "; ".join(missing))
    # The programs are run as the installed package runs them: through links like /usr/bin's,
    # pointing to /opt/fieldkit, here the unpacked copy of it.
    usr_bin = into / "bin"
    usr_bin.mkdir()
    for program in contents.PROGRAMS:
        (usr_bin / program).symlink_to(deb_root / "opt" / "fieldkit" / program)
    return usr_bin


def xdotool(display: str, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=WAIT_S + 10,
        check=False,
    )
    return done.stdout.strip()


def wait_for(what: str, condition: Callable[[], bool], seconds: float = WAIT_S) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        check(time.monotonic() < deadline, f"timed out waiting for {what}")
        time.sleep(0.2)


def start_xvfb(base: Path) -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=(base / "xvfb.log").open("wb"),
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    check(number.isdigit(), "Xvfb did not start")
    return xvfb, f":{number}"


def drive_desktop_app(box: Sandbox, display: str) -> None:
    """Start the packaged app, wait for its window, create a vault with keystrokes, quit."""
    env = box.env | {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    app = subprocess.Popen(
        box.command("fieldkit"),
        env=env,
        cwd=box.work,
        stdin=subprocess.DEVNULL,
        stdout=(box.base / "fieldkit.out").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        window = xdotool(display, "search", "--sync", "--onlyvisible", "--name", "^fieldkit")
        check(window, "the desktop app's window did not appear")
        window = window.splitlines()[0]
        xdotool(display, "windowfocus", "--sync", window)
        time.sleep(1.0)  # the welcome page takes the keyboard focus once shown
        xdotool(display, "key", "--window", window, "Return")  # "Create a vault…"
        time.sleep(1.0)
        for text in (PASSPHRASE, PASSPHRASE, DEVICE_NAME):
            xdotool(display, "type", "--delay", "20", text)
            xdotool(display, "key", "Tab")
        xdotool(display, "key", "Return")  # the focus is on "Create the vault"
        wait_for("the vault created by the desktop app", lambda: (box.vault / "vault.key").exists())
        time.sleep(2.0)  # the workspace opens
        check(app.poll() is None, "the desktop app stopped after creating the vault")
        xdotool(display, "key", "ctrl+q")  # Quit: the vault is locked and closed
        app.wait(timeout=WAIT_S)
    finally:
        if app.poll() is None:  # strace forwards no signal: stop the app itself, then strace
            for child in Path(f"/proc/{app.pid}/task/{app.pid}/children").read_text().split():
                os.kill(int(child), signal.SIGKILL)
            app.kill()
            app.wait()
    check(app.returncode == 0, f"the desktop app exited {app.returncode}")


def use_command_line_tools(box: Sandbox) -> int:
    """The packaged fieldkit-cli on the vault the app made, then fieldkit-hq on its bundle."""
    device = {"FIELDKIT_PASSPHRASE": PASSPHRASE}
    status = json.loads(box.run("fieldkit-cli", "status", "--json", env=device))
    identity = json.loads(box.run("fieldkit-cli", "identity", "show", "--json", env=device))
    check(identity["device_name"] == DEVICE_NAME, f"device name: {identity['device_name']}")
    check(status["fingerprint"] == identity["fingerprint"], "status and identity disagree")
    forms = box.run("fieldkit-cli", "forms", "list", env=device)
    check(FORM_ID in forms and "attack-on-activist" in forms, f"shipped forms: {forms}")
    answers = json.loads(RECORD.read_text(encoding="utf-8"))
    del answers["attachments"]  # a reference to a file of the test vault: attach a real one
    data = box.work / "answers.json"
    data.write_text(json.dumps(answers), encoding="utf-8")
    photo = box.work / "IMG_0412.jpg"
    photo.write_bytes(os.urandom(200_000))
    record = box.run("fieldkit-cli", "record", "new", FORM_ID, "--data", str(data),
                     "--attach", f"attachments={photo}", "--final", env=device).strip()  # fmt: skip
    shown = json.loads(box.run("fieldkit-cli", "record", "show", record, "--json", env=device))
    check(shown["chain_valid"] and shown["revisions"][0]["signature_valid"], "record not sealed")
    hq = {"FIELDKIT_HQ": str(box.hq), "FIELDKIT_HQ_PASSPHRASE": PASSPHRASE}
    box.run("fieldkit-hq", "init", "--name", "Packaged HQ", env=hq)
    box.run("fieldkit-cli", "enroll", str(box.hq / "enrolment.fke"), "--fingerprint",
            json.loads(box.run("fieldkit-hq", "status", "--json", env=hq))["fingerprint"],
            env=device)  # fmt: skip
    identity_file = box.work / "device.json"
    box.run("fieldkit-cli", "identity", "export", "--out", str(identity_file), env=device)
    check("Device registered." in box.run("fieldkit-hq", "devices", "add", str(identity_file),
                                          env=hq), "HQ did not register the device")  # fmt: skip
    stick = box.work / "stick"
    stick.mkdir()
    bundle = Path(box.run("fieldkit-cli", "export", "--to", str(stick), env=device).strip())
    check(bundle.is_file() and bundle.parent == stick, f"no bundle: {bundle}")
    box.run("fieldkit-hq", "ingest", str(stick), env=hq)
    held = json.loads(box.run("fieldkit-hq", "records", "list", "--json", env=hq))
    check([r["record_id"] for r in held] == [record], f"HQ holds {held}, not {record}")
    box.run("fieldkit-cli", "audit", "verify", env=device)
    return len(held)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/package_test.py", description=__doc__)
    parser.add_argument(
        "--installers",
        type=Path,
        metavar="DIR",
        help="test the installers already in DIR (with its SHA256SUMS) instead of building them; "
        "the signatures are then not checked",
    )
    given = parser.parse_args(argv).installers
    started = time.monotonic()
    out = ROOT / "build" / "package-test"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    results: list[tuple[str, str | None]] = []

    def step(name: str, action: Callable[[], object]) -> object:
        try:
            value = action()
        except Exception as error:  # any failure is reported, and the next checks still run
            results.append((name, str(error) or type(error).__name__))
            print(f"FAILED  {name}: {error}", flush=True)
            return None
        results.append((name, None))
        print(f"ok      {name}", flush=True)
        return value

    keys = out / "release-key"
    keys.mkdir()
    subprocess.run(
        ["minisign", "-G", "-W", "-p", str(keys / "test.pub"), "-s", str(keys / "test.key")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if given:
        installers = step("SHA-256 sums verify", lambda: verify_release(given.resolve(), None))
    else:
        dist = step(
            "build the Linux installers in a clean folder", lambda: build(out, keys / "test.key")
        )
        if dist is None:
            return report(results, started)
        installers = step(
            "SHA-256 sums and minisign signatures verify",
            lambda: verify_release(Path(str(dist)), keys / "test.pub"),
        )
    if installers is None:
        return report(results, started)
    programs = step(
        "the .deb and the .tar.gz hold SQLCipher, the translations, the shipped forms",
        lambda: unpack(list(installers), out / "unpacked"),  # type: ignore[call-overload]
    )
    if programs is None:
        return report(results, started)
    box = Sandbox(out / "sandbox", Path(str(programs)))
    xvfb, display = start_xvfb(out)
    try:
        step("the packaged desktop app shows its window and creates a vault by keystrokes",
             lambda: drive_desktop_app(box, display))  # fmt: skip
    finally:
        xvfb.terminate()
        xvfb.wait()
    step("packaged fieldkit-cli seals and exports; packaged fieldkit-hq ingests",
         lambda: use_command_line_tools(box))  # fmt: skip
    trace = box.trace()
    stray = tracing.outside(trace.written, box.allowed())
    seen = [box.vault / "vault.key", box.hq / "hq.keys", box.work / "device.json"]
    unseen = [str(p) for p in seen if p not in trace.written]
    step("the trace saw the vault, HQ's keys and the identity file written",
         lambda: check(not unseen, f"not in the trace: {unseen}"))  # fmt: skip
    step("nothing written outside fieldkit's folders (and none in TMPDIR or /tmp)",
         lambda: check(not stray, "written: " + ", ".join(map(str, stray[:20]))))  # fmt: skip
    step("no network connection attempted",
         lambda: check(not trace.connections, "; ".join(trace.connections[:5])))  # fmt: skip
    return report(results, started)


def report(results: list[tuple[str, str | None]], started: float) -> int:
    failed = sum(1 for _name, error in results if error)
    print(f"\npackage-test took {time.monotonic() - started:.0f} s")
    print(f"package-test: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
