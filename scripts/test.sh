#!/usr/bin/env bash
# One command for a newcomer and for CI: environment, system packages, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh test
bash scripts/system-deps.sh
exec .venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
