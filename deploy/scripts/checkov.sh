#!/usr/bin/env bash
# Run checkov over deploy/ and docker/ from its own virtualenv (.venv-checkov).
#
# checkov pins versions that conflict with python-hcl2 and pytest in .venv, so it
# gets a virtualenv of its own, created on first use from requirements/checkov.txt.
# Always runs with --skip-download: no calls to Bridgecrew/Prisma, offline only.
#
# Usage: deploy/scripts/checkov.sh [--help] [extra checkov args...]
#   e.g. deploy/scripts/checkov.sh --output junitxml > checkov.xml
# Env:   CHECKOV_VENV (default: <repo>/.venv-checkov)
#        CHECKOV_PYTHON (default: pyenv's 3.13.0, else python3.13 on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CHECKOV_VENV:-$ROOT/.venv-checkov}"
LOCK="$ROOT/requirements/checkov.txt"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

find_python() {
  if [[ -n "${CHECKOV_PYTHON:-}" ]]; then echo "$CHECKOV_PYTHON"; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    local p; p="$(pyenv root)/versions/3.13.0/bin/python"
    if [[ -x "$p" ]]; then echo "$p"; return; fi
  fi
  if command -v python3.13 >/dev/null 2>&1; then command -v python3.13; return; fi
  echo "checkov.sh: no Python 3.13 found; install it (pyenv install 3.13.0) or set CHECKOV_PYTHON" >&2
  exit 2
}

# (Re)install when the venv is missing or the lock changed since the last install.
STAMP="$VENV/.lock.sha256"
WANT="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/checkov" || "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]]; then
  PY="$(find_python)"
  echo "checkov.sh: creating $VENV from $LOCK (one-off, about a minute)" >&2
  "$PY" -m venv "$VENV"
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$LOCK" \
      >"$VENV/install.log" 2>&1; then
    tail -n 30 "$VENV/install.log" >&2
    echo "checkov.sh: installing $LOCK failed (log: $VENV/install.log); check access to PyPI and retry." >&2
    exit 2
  fi
  echo "$WANT" > "$STAMP"
fi

cd "$ROOT"
exec "$VENV/bin/checkov" \
  --skip-download \
  --config-file "$ROOT/.checkov.yaml" \
  "$@"
