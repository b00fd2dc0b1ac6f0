#!/usr/bin/env bash
# What `make test` needs beyond the Python lock: Chromium for the browser tests (Playwright drives
# Debian's chromium; it never downloads a browser of its own).
#
# Installs it when it can (root with apt-get, as on CI and a fresh Debian machine); otherwise stops
# at once and names the one command to run. CDD_CHROMIUM points at another Chromium binary.
#
# Usage: scripts/test_prerequisites.sh [--help]
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

CHROMIUM="${CDD_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi

if [[ -n "${CDD_CHROMIUM:-}" ]]; then
  echo "CDD_CHROMIUM=$CDD_CHROMIUM is not an executable; point it at a Chromium binary, or unset it to use /usr/bin/chromium." >&2
  exit 1
fi

if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser tests (Debian package 'chromium'; once per machine)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
  exit 0
fi

cat >&2 <<'MSG'
The browser tests need Chromium, which is not installed. Run this once, then `make test` again:

    sudo apt-get install -y chromium

(Or set CDD_CHROMIUM to a Chromium binary you have.)
MSG
exit 1
