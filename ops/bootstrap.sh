# Sourced by ops/demo.sh and ops/test.sh: a virtualenv in .venv with the project installed.
# Needs only Python 3.11+; missing system packages come from the system package manager.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "bootstrap: please install with your package manager: $*" >&2; exit 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "bootstrap: County Portal needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install "python3-venv"
    "$PYTHON" -m venv .venv
  fi
fi
# Reinstall only when the dependencies changed.
EXTRAS="${PORTAL_EXTRAS:-}"
STAMP=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ]; then
  echo "bootstrap: installing County Portal into .venv (first run takes a minute)" >&2
  if ! .venv/bin/python -m pip install -q -e ".${EXTRAS:+[$EXTRAS]}" >.venv/pip.log 2>&1; then
    cat .venv/pip.log >&2
    echo "bootstrap: FAILED to install the project (log above)" >&2
    exit 1
  fi
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
