#!/usr/bin/env bash
# One entry point for set-up: `./radval.sh` installs and launches the app,
# `./radval.sh test` installs and runs every check. Both are idempotent: a second run
# only reinstalls when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-run}"
shift || true
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($python --version)"
  "$python" -m venv .venv
fi

extras=""
[ "$mode" = "test" ] && extras="[dev,training]"
stamp_file=".venv/.radval-setup-$mode"
stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
  echo "== installing RadVal$extras (the first time llama.cpp compiles from source: ~8 minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --config-settings editable_mode=compat --editable ".$extras"
  echo "$stamp" > "$stamp_file"
fi

case "$mode" in
  run)
    exec .venv/bin/radval "$@"
    ;;
  test)
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    # The study report's render test uses Debian's headless Chromium, its PDF test poppler's
    # pdftotext (package poppler-utils), the offline proof strace; where we may install them
    # (root with apt, RADVAL_NO_APT unset) we do, otherwise those tests skip.
    missing=""
    for tool in chromium strace; do command -v "$tool" >/dev/null || missing+=" $tool"; done
    command -v pdftotext >/dev/null || missing+=" poppler-utils"
    if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
        && [ -z "${RADVAL_NO_APT:-}" ]; then
      echo "== installing$missing for the report render, PDF and offline tests (RADVAL_NO_APT=1 skips this)"
      (apt-get update -qq && apt-get install -y -qq $missing >/dev/null) \
        || echo "   $missing could not be installed; the tests that need them will skip"
    fi
    # llama.cpp's converter of the installed llama-cpp-python (its sdist, from pip's cache
    # after the first time): the training tests export GGUFs with it.
    echo "== llama.cpp converter"
    RADVAL_CACHE=.cache/test-models .venv/bin/python -m training fetch-converter
    echo "== ruff";          .venv/bin/ruff check .
    echo "== import-linter"; .venv/bin/lint-imports
    echo "== mypy";          .venv/bin/mypy
    echo "== pytest";        .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: ./radval.sh [run|test] [args...]" >&2
    exit 2
    ;;
esac
