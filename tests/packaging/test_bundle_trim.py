"""What the .deb leaves out of the build machine's libraries (issue 17, the installer).

PyInstaller copies every shared library the frozen app links to from the build machine,
and apt never patches those copies. `packaging/bundle-excludes.toml` names what the bundle
leaves out: the GTK 3 theme plugin and the libraries only it loads (the app never needs
them), and the security-relevant system libraries (OpenSSL, SQLite, Kerberos, D-Bus and
systemd, GLib, fontconfig/freetype, expat) that the workstation's own, apt-patched copies
replace, each listed in the package's Depends. These read the list, run the spec's filter on
a PyInstaller-shaped list, and run the build's bundle check on real library files; the real
package build (`RADVAL_BUILD_DEB=1`, tests/packaging/test_deb.py) is the lead's to run.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
# packaging/ is no package (the spec puts it on sys.path); loaded by file here so that its
# other scripts never shadow a module of the same name for the rest of the suite.
_spec = importlib.util.spec_from_file_location("bundle_trim", PACKAGING / "bundle_trim.py")
assert _spec is not None
assert _spec.loader is not None
bundle_trim = importlib.util.module_from_spec(_spec)
sys.modules["bundle_trim"] = bundle_trim  # dataclasses looks its module up by name
_spec.loader.exec_module(bundle_trim)

SYSTEM_LIB = Path("/usr/lib/x86_64-linux-gnu")


def _toc(names: list[str]) -> list[tuple[str, str, str]]:
    # PyInstaller's TOC entries: (name in the bundle, source path, type).
    return [(name, f"/usr/lib/x86_64-linux-gnu/{Path(name).name}", "BINARY") for name in names]


def test_every_entry_says_why_and_every_system_library_has_a_package() -> None:
    entries = bundle_trim.load()
    assert {e.kind for e in entries} == {"unused", "system"}
    for entry in entries:
        assert entry.names
        # A reason is a sentence a security reviewer can check, not a label.
        assert len(entry.reason.split()) >= 8, entry.reason
        assert entry.reason.rstrip().endswith("."), entry.reason
        if entry.kind == "system":
            package = r"[a-z0-9.+-]+( \| [a-z0-9.+-]+)*"
            assert re.fullmatch(rf"{package}(, {package})*", entry.depends), entry
        else:
            assert entry.depends == ""
    names = [n for e in entries for n in e.names]
    assert len(names) == len(set(names)), "a name listed twice"
    # What the review found in the bundle (README: OpenSSL, Kerberos, SQLite, systemd, GTK 3).
    for soname in ("libssl.so.3", "libcrypto.so.3", "libsqlite3.so.0", "libgssapi_krb5.so.2",
                   "libkrb5.so.3", "libsystemd.so.0", "libgtk-3.so.0", "libgdk-3.so.0",
                   "PySide6/Qt/plugins/platformthemes/libqgtk3.so"):
        assert soname in names, soname


def test_the_filter_drops_the_listed_and_keeps_what_the_app_loads() -> None:
    kept_names = ["PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt/lib/libQt6Gui.so.6",
                  "PySide6/Qt/lib/libicuuc.so.73", "PySide6/Qt/plugins/platforms/libqxcb.so",
                  "PySide6/Qt/plugins/platforms/libqwayland.so",
                  "PySide6/Qt/plugins/platforms/libqoffscreen.so",
                  "llama_cpp/lib/libllama.so", "llama_cpp/lib/libggml-cpu-haswell.so",
                  "libpython3.11.so.1.0", "libxkbcommon.so.0", "libX11.so.6", "libzstd.so.1",
                  # Not the listed names, though they start alike.
                  "libssl.so.3.extra", "mylibsqlite3.so.0"]
    dropped_names = ["libssl.so.3", "libcrypto.so.3", "libsqlite3.so.0", "libgtk-3.so.0",
                     "libgssapi_krb5.so.2", "libdbus-1.so.3", "libsystemd.so.0",
                     "libfontconfig.so.1", "libfreetype.so.6", "libglib-2.0.so.0",
                     "PySide6/Qt/plugins/platformthemes/libqgtk3.so"]
    toc = _toc(kept_names + dropped_names)
    kept, dropped = bundle_trim.trim(toc)
    assert [entry[0] for entry in kept] == kept_names
    assert sorted(entry[0] for entry in dropped) == sorted(dropped_names)


def test_the_spec_trims_binaries_and_data_and_the_package_depends_on_the_system_copies() -> None:
    spec = (PACKAGING / "radval.spec").read_text(encoding="utf-8")
    assert "import bundle_trim" in spec
    assert re.search(r"a\.binaries, *_dropped_binaries *= *bundle_trim\.trim\(a\.binaries\)", spec)
    assert re.search(r"a\.datas, *_dropped_datas *= *bundle_trim\.trim\(a\.datas\)", spec)
    # Trimmed before COLLECT copies the folder.
    assert spec.index("bundle_trim.trim(a.datas)") < spec.index("COLLECT(")
    build = (PACKAGING / "build-linux.sh").read_text(encoding="utf-8")
    assert "packaging/bundle_trim.py depends" in build
    assert "packaging/bundle_trim.py check" in build
    assert build.index("bundle_trim.py check") < build.index("dpkg-deb --build")
    depends = subprocess.run([sys.executable, str(PACKAGING / "bundle_trim.py"), "depends"],
                             capture_output=True, text=True, check=True).stdout.strip()
    for package in ("libssl3 | libssl3t64", "libsqlite3-0", "libgssapi-krb5-2",
                    "libdbus-1-3", "libfontconfig1"):
        assert package in depends.split(", "), depends


@pytest.mark.skipif(not (SYSTEM_LIB / "libssl.so.3").is_file() or not shutil.which("ldd"),
                    reason="needs a Debian-like x86-64 system with OpenSSL 3 and ldd")
def test_the_bundle_check_fails_on_a_listed_library_or_one_that_cannot_be_found(
        tmp_path: Path) -> None:
    bundle = tmp_path / "radval-desktop" / "_internal"
    bundle.mkdir(parents=True)
    # A clean folder: a library the bundle keeps (its needs all on the system) passes.
    shutil.copy2(SYSTEM_LIB / "libssl.so.3", bundle / "kept-libssl-copy.so")
    done = subprocess.run([sys.executable, str(PACKAGING / "bundle_trim.py"), "check",
                           str(bundle.parent)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # The build machine's OpenSSL in the bundle: refused, naming it.
    shutil.copy2(SYSTEM_LIB / "libssl.so.3", bundle / "libssl.so.3")
    done = subprocess.run([sys.executable, str(PACKAGING / "bundle_trim.py"), "check",
                           str(bundle.parent)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "_internal/libssl.so.3" in done.stderr
    assert "bundle-excludes.toml" in done.stderr
    (bundle / "libssl.so.3").unlink()
    # The GTK 3 theme plugin where PyInstaller puts it: refused too.
    import PySide6
    qt = Path(PySide6.__file__).parent / "Qt"
    themes = bundle / "PySide6" / "Qt" / "plugins" / "platformthemes"
    themes.mkdir(parents=True)
    shutil.copy2(qt / "plugins" / "platformthemes" / "libqgtk3.so", themes / "libqgtk3.so")
    done = subprocess.run([sys.executable, str(PACKAGING / "bundle_trim.py"), "check",
                           str(bundle.parent)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "_internal/PySide6/Qt/plugins/platformthemes/libqgtk3.so is in the bundle" in done.stderr
    shutil.rmtree(bundle / "PySide6")
    # A library whose own needs are neither in the bundle nor on the system (a Qt plugin
    # without Qt): the frozen app would fail to load it on every workstation.
    plugin = qt / "plugins" / "platforms" / "libqminimal.so"
    shutil.copy2(plugin, bundle / "libqminimal.so")
    done = subprocess.run([sys.executable, str(PACKAGING / "bundle_trim.py"), "check",
                           str(bundle.parent)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert re.search(r"_internal/libqminimal\.so needs libQt6\w+\.so\.6, found nowhere",
                     done.stderr), done.stderr
    (bundle / "libqminimal.so").unlink()
    # Qt's xcb library with the Qt it needs: what it needs from the system is either on this
    # machine or, like libxcb-icccm.so.4 on a headless build machine, in a Depends package.
    for name in ("libQt6XcbQpa.so.6", "libQt6Gui.so.6", "libQt6Core.so.6", "libQt6DBus.so.6",
                 "libicui18n.so.73", "libicuuc.so.73", "libicudata.so.73"):
        shutil.copy2(qt / "lib" / name, bundle / name)
    done = subprocess.run([sys.executable, str(PACKAGING / "bundle_trim.py"), "check",
                           str(bundle.parent)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_library_name_gives_its_debian_package() -> None:
    # Debian policy 8.1, on the Depends line's own libraries.
    assert [bundle_trim.policy_package(n) for n in (
        "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libwayland-client.so.0", "libGL.so.1",
        "libEGL.so.1", "libdrm.so.2", "libfontconfig.so.1", "libgssapi_krb5.so.2",
        "libsqlite3.so.0")] == [
        "libxcb-icccm4", "libxcb-keysyms1", "libwayland-client0", "libgl1", "libegl1",
        "libdrm2", "libfontconfig1", "libgssapi-krb5-2", "libsqlite3-0"]
