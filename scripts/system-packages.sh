#!/usr/bin/env bash
# Debian packages Loom's tests need beyond npm:
#   chromium     the real browser the hosted-page tests drive (playwright-core)
# (Loom draws OCR-B from outlines it ships, src/engine/mrz/ocrb-glyphs.ts: no font is needed.)
# Installs what is missing when run as root with apt-get; otherwise says what to install.
set -euo pipefail
packages=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Loom's tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
