#!/usr/bin/env bash
# The llama.cpp wheel must carry its CPU modules inside the package, or the frozen app
# finds no CPU backend. Removes a wheel that lacks them.
#
#   packaging/check-llama-wheel.sh PYTHON WHEEL
set -euo pipefail
python="${1:?usage: check-llama-wheel.sh PYTHON WHEEL}"
wheel="${2:?usage: check-llama-wheel.sh PYTHON WHEEL}"
# The listing is read whole before grep: piped into `grep -q` under pipefail, grep leaves at
# the first match, the listing dies of SIGPIPE and a good wheel was taken for a bad one.
listing="$("$python" -m zipfile -l "$wheel")"
if ! grep -Eq "llama_cpp/lib/(lib)?ggml-cpu-x64\.(so|dll)" <<<"$listing"; then
    echo "llama-wheel.sh: $wheel lacks llama_cpp/lib/libggml-cpu-x64.so; not kept" >&2
    rm -f "$wheel"
    exit 1
fi
