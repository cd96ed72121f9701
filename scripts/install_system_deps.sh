#!/usr/bin/env bash
# Installs what the workbench needs beyond requirements.txt, from Debian's packages:
#   tesseract-ocr  - OCR engine for the offline vision agent (screenshots)
#   chromium       - headless browser for the end-to-end tests (Playwright drives it; no browser download)
# Idempotent: does nothing when both are already present. Needs root (or sudo) for apt-get.
set -euo pipefail

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ "${#need[@]}" -eq 0 ]; then
  echo "system deps: tesseract and chromium already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
echo "system deps: done"
