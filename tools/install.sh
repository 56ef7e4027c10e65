#!/usr/bin/env bash
# Create (or refresh) gml's virtual environment with the pinned stack.
#
#   bash tools/install.sh            # into ./.venv
#   GML_VENV=/path/venv bash tools/install.sh
#
# Idempotent: a stamp holding the hash of the requirement files makes a second
# run a no-op. Full mmcv (with compiled ops, needed by mmdet) exists only as a
# source tarball; it is built once (~15 min on 2 cores) and the wheel is kept in
# GML_WHEEL_CACHE (default ~/.cache/gml/wheels) for every later install.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${GML_VENV:-$ROOT/.venv}
WHEELS=${GML_WHEEL_CACHE:-$HOME/.cache/gml/wheels}
PYTHON=${PYTHON:-python3.11}
CONSTRAINTS=$ROOT/requirements/constraints.txt
MMCV_VERSION=$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")

stamp_hash=$(cat "$CONSTRAINTS" "$ROOT"/requirements/*.txt "$ROOT/setup.py" | sha256sum | cut -c1-16)
if [ -f "$VENV/.gml-stamp" ] && [ "$(cat "$VENV/.gml-stamp")" = "$stamp_hash" ]; then
    exit 0
fi

command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# pip warns about every index location it cannot list; keep its real output.
pip_install() {
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" "$@" 2>&1 |
        { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    return "${PIPESTATUS[0]}"
}

echo "[gml install] torch, torchvision and build tools into $VENV"
pip_install setuptools wheel ninja psutil torch torchvision

mmcv_wheel=$(ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$mmcv_wheel" ]; then
    echo "[gml install] building mmcv $MMCV_VERSION with its CPU ops (once; ~15 min on 2 cores)"
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    "$VENV/bin/python" -m pip download -q --no-deps --no-binary=:all: "mmcv==$MMCV_VERSION" -d "$build"
    tar -xzf "$build"/mmcv-"$MMCV_VERSION".tar.gz -C "$build"
    # torch >= 2.6 headers require C++20; mmcv 2.1.0 asks for c++14/17.
    sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$build/mmcv-$MMCV_VERSION/setup.py"
    pip_install opencv-python addict mmengine numpy packaging Pillow pyyaml yapf
    mkdir -p "$WHEELS"
    (cd "$build/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} FORCE_CUDA=0 \
        "$VENV/bin/python" -m pip wheel -q --no-build-isolation --no-deps -w "$build/dist" .)
    mv "$build"/dist/mmcv-*.whl "$WHEELS"/
    mmcv_wheel=$(ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)
fi

echo "[gml install] mmcv, OpenMMLab zoos and gml"
pip_install "$mmcv_wheel"
pip_install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
pip_install --no-deps -e "$ROOT"
echo "$stamp_hash" > "$VENV/.gml-stamp"
echo "[gml install] ready: $VENV"
