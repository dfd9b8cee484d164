#!/usr/bin/env bash
# Every test: pytest drives dbt (seeds, models, data tests, unit tests) on DuckDB and, for the
# cross-engine test, on PostgreSQL (started here on loopback when none answers) and a local
# Spark session (Java 17), and runs sqlfluff lint. Extra arguments go to pytest (-k lifecycle).
set -euo pipefail
export BEHAVIORAL_SEGMENTS_ENGINES="postgres spark"
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
cd "$PROJECT_DIR"
bash scripts/ensure_postgres.sh
exec "$VENV_PY" -m pytest "$@"
