#!/usr/bin/env bash
# Print the path of a Python >= 3.12 with a working venv module, installing one if
# none is found (harness-climb and Harbor both need 3.12+).
#
# Looks, in order, at: $CLIMB_PYTHON; python3.12, python3.13, python3.14 and python3
# on PATH; pyenv's versions ($PYENV_ROOT, default ~/.pyenv); /usr/local/bin and /opt;
# interpreters uv installed. Then installs: Debian/Ubuntu's python3.12 package when
# apt has one, else uv (from PyPI) and `uv python install 3.12`. With
# CLIMB_NO_PYTHON_INSTALL=1 it only looks. Exits 1 with what to do when all fails.
#
# Usage: scripts/find-python.sh            (prints e.g. /usr/bin/python3.12)
set -euo pipefail

MIN_MINOR=12

ok() {  # a runnable CPython 3.12+ that can make venvs with pip
  [ -n "${1:-}" ] || return 1
  "$1" -c "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] < (3, $MIN_MINOR))" >/dev/null 2>&1
}

resolve() {  # the real interpreter behind a name, so a pyenv shim is not recorded
  "$1" -c "import sys; print(sys.executable)"
}

candidates() {
  if [ -n "${CLIMB_PYTHON:-}" ]; then echo "$CLIMB_PYTHON"; fi
  for name in python3.12 python3.13 python3.14 python3; do
    command -v "$name" 2>/dev/null || true
  done
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  if [ -d "$pyenv_root/versions" ]; then
    # 3.12 first (what CI runs), then newer releases; no virtualenvs or betas.
    ls -1 "$pyenv_root/versions" 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k1,1n -k2,2n -k3,3nr \
      | while read -r version; do echo "$pyenv_root/versions/$version/bin/python3"; done || true
  fi
  ls -1 /usr/local/bin/python3.1[2-9] /opt/python*/bin/python3 /opt/python3*/bin/python3 2>/dev/null || true
  ls -1d "$HOME"/.local/share/uv/python/cpython-3.1[2-9]*/bin/python3 2>/dev/null || true
}

find_python() {
  local candidate
  while read -r candidate; do
    if ok "$candidate"; then
      resolve "$candidate"
      return 0
    fi
  done < <(candidates)
  return 1
}

install_python() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -q >&2 || true
    if apt-cache policy python3.12 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      echo "find-python: installing python3.12 with apt" >&2
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3.12 python3.12-venv >&2 && return 0
    fi
  fi
  # uv ships as a wheel on PyPI and can install a standalone CPython build.
  local base="" tmp
  for name in python3 python; do
    if command -v "$name" >/dev/null 2>&1 && "$name" -c "import venv, ensurepip" >/dev/null 2>&1; then
      base="$name"
      break
    fi
  done
  if [ -z "$base" ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3 python3-venv >&2 || true
    base="python3"
  fi
  [ -n "$base" ] || return 1
  tmp="$(mktemp -d)"
  echo "find-python: installing uv from PyPI, then CPython 3.$MIN_MINOR with uv" >&2
  local status=1
  if "$base" -m venv "$tmp/uv" >&2 && "$tmp/uv/bin/pip" install -q --disable-pip-version-check uv >&2 \
      && "$tmp/uv/bin/uv" python install "3.$MIN_MINOR" >&2; then
    status=0
  fi
  rm -rf "$tmp"
  return $status
}

if find_python; then
  exit 0
fi
if [ "${CLIMB_NO_PYTHON_INSTALL:-0}" != "1" ] && install_python && find_python; then
  exit 0
fi
cat >&2 <<EOF
find-python: no Python >= 3.$MIN_MINOR with the venv module was found$([ "${CLIMB_NO_PYTHON_INSTALL:-0}" = "1" ] && echo " (CLIMB_NO_PYTHON_INSTALL=1: none installed)" || echo ", and installing one failed").
Install one (e.g. 'apt-get install python3.12 python3.12-venv', 'pyenv install 3.12',
or 'uv python install 3.12' with a reachable UV_PYTHON_INSTALL_MIRROR) and run setup again,
or point CLIMB_PYTHON at it: CLIMB_PYTHON=/path/to/python3.12 scripts/setup.sh
EOF
exit 1
