"""The packaging scripts' own logic, on made-up wheels and packages (issue 17, the installer).

Building the real package takes 10-15 minutes; these run the scripts' checks and process
handling in seconds, on files that only look like the real ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK_WHEEL = REPO / "packaging" / "check-llama-wheel.sh"
VERIFY_DEB = REPO / "packaging" / "verify-deb.sh"


def _wheel(path: Path, cpu_module: bool, entries: int = 20_000) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        if cpu_module:
            # First in the listing: grep finds it at once and stops reading.
            wheel.writestr("llama_cpp/lib/libggml-cpu-x64.so", b"\x7fELF")
        for i in range(entries):  # a listing far larger than a pipe's buffer
            wheel.writestr(f"llama_cpp/vendor/file_{i:05d}.h", b"")
    return path


def test_a_good_wheel_with_a_long_listing_is_kept(tmp_path: Path) -> None:
    # The check once piped the listing into `grep -q` under pipefail: grep left at the first
    # match, the listing died of SIGPIPE, and the good wheel was deleted (3 of 3 builds).
    wheel = _wheel(tmp_path / "llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl", True)
    for _ in range(3):
        done = subprocess.run(["bash", str(CHECK_WHEEL), sys.executable, str(wheel)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert wheel.exists()


def test_a_wheel_without_the_cpu_modules_is_refused_and_removed(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl", False,
                   entries=50)
    done = subprocess.run(["bash", str(CHECK_WHEEL), sys.executable, str(wheel)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "lacks llama_cpp/lib/libggml-cpu-x64.so" in done.stderr
    assert not wheel.exists()


_FAKE_RADVAL = """#!/bin/sh
# A stand-in for the frozen app: the window starts a helper process, as Qt and llama.cpp do.
case "$1" in
  --version) echo "radval 0"; exit 0 ;;
  --self-test) echo PASS; exit 0 ;;
  app)
    state="$HOME/.local/state/radval"
    /bin/mkdir -p "$state"
    /bin/sleep MARKER &
    echo "2026-11-30 INFO radval.app x y model loaded in 0.1 s" > "$state/radval.log"
    wait ;;
esac
"""


def _fake_deb(tmp_path: Path, marker: str) -> Path:
    root = tmp_path / "pkg"
    for path in ("opt/radval-desktop/radval", "etc/radval/config.toml",
                 "usr/share/applications/radval-desktop.desktop",
                 "usr/share/icons/hicolor/256x256/apps/radval-desktop.png"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")
    app = root / "usr" / "bin" / "radval"
    app.parent.mkdir(parents=True)
    app.write_text(_FAKE_RADVAL.replace("MARKER", marker))
    app.chmod(0o755)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        "Package: radval-desktop\nVersion: 0.0.1\nArchitecture: amd64\n"
        "Maintainer: test <t@example.org>\nDescription: test\n")
    deb = tmp_path / "radval-desktop_0.0.1_amd64.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)],
                   check=True, capture_output=True)
    return deb


def _running(marker: str) -> list[int]:
    """Live processes (not zombies) whose command line is `sleep MARKER`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and (proc / "cmdline").read_bytes().split(b"\0")[:2]
                    == [b"/bin/sleep", marker.encode()] and _alive(int(proc.name))):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose; it only waits for its parent.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is Debian/Ubuntu only")
def test_verify_deb_leaves_no_process_behind(tmp_path: Path) -> None:
    # It once killed the bash subshell that started the app, and left the app (~730 MB) running.
    marker = f"{600 + os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    deb = _fake_deb(tmp_path, marker)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(["bash", str(VERIFY_DEB), str(deb)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify-deb.sh: PASS" in done.stdout
    deadline = time.monotonic() + 5
    while _running(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _running(marker)
    for pid in left:
        os.kill(pid, 9)
    assert not left, "verify-deb.sh left the app's processes running"


def test_purge_says_where_users_data_stays_and_its_wipe_command_wipes_only_radval(
        tmp_path: Path) -> None:
    # After `apt purge` each user's history (with findings) stayed, with no word to IT.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    done = subprocess.run(["sh", str(REPO / "packaging" / "linux" / "postrm"), "purge"],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert done.returncode == 0
    assert "~/.local/share/radval (history with findings" in done.stdout
    wipe = next(line.strip() for line in done.stdout.splitlines()
                if line.strip().startswith("getent passwd"))
    homes = [tmp_path / "home" / name for name in ("ana", "li wei")]
    kept = []
    for home in homes:
        for folder in (".local/share/radval", ".local/state/radval", ".config/radval",
                       ".cache/radval"):
            (home / folder).mkdir(parents=True)
            (home / folder / "radval.db").write_text("findings")
        (home / ".local/share/other-app").mkdir(parents=True)
        kept.append(home / ".local/share/other-app")
    # getent stood in for by the two accounts: the command must never touch a real home here.
    fake = bin_dir / "getent"
    fake.write_text("#!/bin/sh\n" + "".join(f"echo '{h.name}:x:1000:1000::{h}:/bin/sh'\n"
                                           for h in homes))
    fake.chmod(0o755)
    subprocess.run(["sh", "-c", wipe], check=True, timeout=30,
                   env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    for home in homes:
        assert not list(home.glob("**/radval")), home
    assert all(path.is_dir() for path in kept)
