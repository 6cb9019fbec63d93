#!/usr/bin/env bash
# Build llama-cpp-python once as a wheel that runs on any x86-64 CPU (or with CUDA), cached.
#
# pip's own wheel cache is keyed by the sdist, not by CMAKE_ARGS: the developer's native
# (-march=native) wheel and this portable one would be mixed up. So the portable wheel is
# built with --no-cache-dir into its own folder, with the CMake flags written beside it;
# a later build reuses it only when the flags are the same.
#
#   packaging/llama-wheel.sh PYTHON            -> prints the wheel's path
#   CUDA=1 packaging/llama-wheel.sh PYTHON     -> the CUDA variant (needs the CUDA toolkit)
set -euo pipefail
cd "$(dirname "$0")/.."

python="${1:?usage: llama-wheel.sh PYTHON}"
version="0.3.36"  # = pyproject.toml's pin
cache=".cache/packaging"

# GGML_NATIVE=OFF: the default -march=native build dies with SIGILL on an older CPU.
# GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS: one libggml-cpu-<variant>.so per x86 level
# (x64, sse42, sandybridge ... haswell, skylakex, icelake, zen4, sapphirerapids); ggml
# loads the best one the CPU supports at start-up. GGML_BACKEND_DIR installs those modules
# beside libllama.so inside the wheel (without it they land in a top-level bin/); it must be
# typed :STRING, or CMake turns the relative PATH into one inside the temporary source tree
# and the modules never reach the wheel. LLAVA_BUILD=OFF: RadVal does not use images;
# saves compiling clip/mtmd.
args="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON"
args+=" -DGGML_BACKEND_DIR:STRING=llama_cpp/lib -DLLAVA_BUILD=OFF"
variant="portable-cpu"
if [ "${CUDA:-0}" = "1" ]; then
    # Needs nvcc and cuBLAS (CUDA toolkit 12.x) on the build machine; the workstation needs
    # the NVIDIA driver and the CUDA runtime libraries (see packaging/README.md).
    args+=" -DGGML_CUDA=on"
    variant="cuda"
    if ! command -v nvcc >/dev/null; then
        echo "llama-wheel.sh: CUDA=1 needs the CUDA toolkit (nvcc, cuBLAS) on PATH; none here" >&2
        exit 1
    fi
fi

out="$cache/wheels/$variant"
marker="$out/cmake-args.txt"
wheel="$(ls "$out"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -1 || true)"
if [ -n "$wheel" ] && [ "$(cat "$marker" 2>/dev/null)" = "$args" ]; then
    echo "$wheel"
    exit 0
fi

rm -rf "$out"
mkdir -p "$out" "$cache/sdist"
sdist="$cache/sdist/llama_cpp_python-$version.tar.gz"
if [ ! -f "$sdist" ]; then
    "$python" -m pip download --quiet --no-deps --no-binary :all: \
        "llama-cpp-python==$version" -d "$cache/sdist" >&2
fi
echo "compiling llama.cpp ($variant): $args" >&2
start=$SECONDS
CMAKE_ARGS="$args" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$python" -m pip wheel --quiet --no-cache-dir --no-deps "$sdist" -w "$out" >&2
wheel="$(ls "$out"/llama_cpp_python-"$version"-*.whl)"
bash packaging/check-llama-wheel.sh "$python" "$wheel"
echo "$args" > "$marker"
echo "llama.cpp $variant wheel built in $((SECONDS - start)) s" >&2
ls "$out"/llama_cpp_python-"$version"-*.whl
