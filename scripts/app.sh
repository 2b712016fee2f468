#!/usr/bin/env bash
# One command for a newcomer: environment, install, demo databases (when absent), then the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
.venv/bin/wenshu demo-data --if-missing
exec .venv/bin/wenshu app "$@"
