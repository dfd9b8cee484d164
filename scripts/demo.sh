#!/usr/bin/env bash
# The main job: set up, generate the demo event log, dbt build into DuckDB, print the segments.
# Extra arguments go to scripts/run_pipeline.py (e.g. --users 50000, --events-path FILE).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_venv.sh"
cd "$PROJECT_DIR"
exec "$VENV_PY" -m scripts.run_pipeline "$@"
