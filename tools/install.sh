#!/usr/bin/env bash
# Create (or refresh) gml's virtual environment with the pinned stack.
#
#   bash tools/install.sh               # the core: everything but detection (~1-2 min)
#   bash tools/install.sh --detection   # also mmdet and full mmcv with its compiled ops
#   GML_VENV=/path/venv bash tools/install.sh
#
# Idempotent: a stamp per level holding the hash of the requirement files
# makes a second run a no-op. The core uses mmcv-lite (mmcv's Python parts,
# no compiled ops), which is all mmengine, mmpretrain and gml need. mmdet's
# models need full mmcv, whose ops exist only as a source tarball: the
# detection level builds it once (7-15 min on 2 cores, progress printed) and
# keeps the wheel in GML_WHEEL_CACHE (default ~/.cache/gml/wheels).
set -euo pipefail

DETECTION=0
for arg in "$@"; do
    case $arg in
        --detection) DETECTION=1 ;;
        *) echo "tools/install.sh: unknown argument '$arg' (expected --detection)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${GML_VENV:-$ROOT/.venv}
WHEELS=${GML_WHEEL_CACHE:-$HOME/.cache/gml/wheels}
PYTHON=${PYTHON:-python3.11}
CONSTRAINTS=$ROOT/requirements/constraints.txt
MMCV_VERSION=$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")

stamp_hash=$(cat "$CONSTRAINTS" "$ROOT"/requirements/*.txt "$ROOT/setup.py" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
fresh() { [ -f "$VENV/$1" ] && [ "$(cat "$VENV/$1")" = "$stamp_hash" ]; }

command -v "$PYTHON" >/dev/null || PYTHON=python3
# pip warns about every index location it cannot list; keep its real output.
pip_install() {
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" "$@" 2>&1 |
        { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    return "${PIPESTATUS[0]}"
}
has_dist() { "$VENV/bin/python" -m pip show -q "$1" >/dev/null 2>&1; }

if ! fresh .gml-stamp; then
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    echo "[gml install] torch, torchvision and the pinned stack into $VENV"
    pip_install setuptools wheel torch torchvision
    # Full mmcv (the detection level) provides everything mmcv-lite does;
    # both own the `mmcv` package, so never install lite over full.
    has_dist mmcv || pip_install "mmcv-lite==$MMCV_VERSION"
    pip_install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
    pip_install --no-deps -e "$ROOT"
    # Real data for the Fashion-MNIST configs (from Debian's package where
    # apt exists); the embedded digits need nothing, so a failure here only
    # warns: those configs then stop with one line naming this command.
    "$VENV/bin/python" "$ROOT/tools/dataset_converters/prepare_fashion_mnist.py" ||
        echo "[gml install] Fashion-MNIST not prepared (see above); the digits configs are unaffected" >&2
    echo "$stamp_hash" > "$VENV/.gml-stamp"
    echo "[gml install] core ready: $VENV"
fi

[ "$DETECTION" = 1 ] || exit 0
fresh .gml-stamp-detection && exit 0

mmcv_wheel=$(ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$mmcv_wheel" ]; then
    echo "[gml install] building mmcv $MMCV_VERSION with its CPU ops for detection (once; 7-15 min on 2 cores)"
    pip_install ninja psutil
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    "$VENV/bin/python" -m pip download -q --no-deps --no-binary=:all: "mmcv==$MMCV_VERSION" -d "$build" 2>&1 |
        { grep -v 'is ignored: it is neither a file nor a directory' || true; }
    tar -xzf "$build"/mmcv-"$MMCV_VERSION".tar.gz -C "$build"
    # torch >= 2.6 headers require C++20; mmcv 2.1.0 asks for c++14/17.
    sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$build/mmcv-$MMCV_VERSION/setup.py"
    mkdir -p "$WHEELS"
    # ninja numbers the compile steps ([12/96] ...): print those as progress,
    # keep the whole verbose log for a failure.
    log="$build/mmcv-build.log"
    if ! (cd "$build/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} FORCE_CUDA=0 \
            "$VENV/bin/python" -m pip wheel -v --no-build-isolation --no-deps -w "$build/dist" . 2>&1 |
            tee "$log" | awk '/^\[[0-9]+\/[0-9]+\] /{split(substr($1,2),a,"/"); printf "[gml install] mmcv: compiled %d of %d\n", a[1], a[2]; fflush()}'
          exit "${PIPESTATUS[0]}"); then
        tail -n 40 "$log" >&2
        echo "[gml install] the mmcv build failed; the last 40 lines of its log are above" >&2
        exit 1
    fi
    mv "$build"/dist/mmcv-*.whl "$WHEELS"/
    mmcv_wheel=$(ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)
fi

echo "[gml install] detection: full mmcv and mmdet"
has_dist mmcv-lite && "$VENV/bin/python" -m pip uninstall -q -y mmcv-lite
pip_install "$mmcv_wheel"
pip_install -r "$ROOT/requirements/detection.txt"
echo "$stamp_hash" > "$VENV/.gml-stamp-detection"
echo "[gml install] detection ready: $VENV"
