#!/usr/bin/env bash
# Every test: pytest drives dbt (seeds, models, data tests, unit tests) and sqlfluff lint.
# Extra arguments go to pytest (e.g. -k lifecycle).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
cd "$PROJECT_DIR"
exec "$VENV_PY" -m pytest "$@"
