#!/usr/bin/env bash
# Install the headless browser used by the HTML briefing test: Debian's `chromium` and
# `chromium-driver` packages, only when they are missing. Safe to run repeatedly.
#
#   scripts/install_browser.sh            # installs with apt-get (root or sudo)
#   CHROMIUM_SKIP_INSTALL=1 scripts/...   # only report what is there
set -euo pipefail

have_browser() {
  command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1
}

if have_browser; then
  echo "chromium present: $(chromium --version 2>/dev/null || echo unknown)"
  exit 0
fi

if [[ "${CHROMIUM_SKIP_INSTALL:-0}" == "1" ]]; then
  echo "chromium or chromedriver missing (CHROMIUM_SKIP_INSTALL=1: not installing)" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install chromium and its driver with your system's package manager" >&2
  exit 1
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "need root (or sudo) to install chromium with apt-get" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-liberation

if ! have_browser; then
  echo "chromium installation did not provide both chromium and chromedriver" >&2
  exit 1
fi
echo "chromium installed: $(chromium --version 2>/dev/null || echo unknown)"
