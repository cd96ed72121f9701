#!/usr/bin/env bash
# The README's test command: system packages (tesseract, chromium) then the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_system_deps.sh
exec python -m pytest "$@"
