#!/usr/bin/env bash
# Create .venv (if absent) and install Wenshu with the given extras, e.g. `scripts/setup-env.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
