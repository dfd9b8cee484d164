#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv from the pinned requirements.
# Sourced by scripts/demo.sh and scripts/test.sh; sets VENV_PY to the venv's python.
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="${BEHAVIORAL_SEGMENTS_VENV:-$PROJECT_DIR/.venv}"

pick_python() {
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
            echo "$candidate"; return 0
        fi
    done
    echo "behavioral_segments needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

if [ ! -x "$VENV_DIR/bin/python" ]; then
    echo "Creating virtualenv $VENV_DIR ..."
    "$(pick_python)" -m venv "$VENV_DIR"
fi
# Extra engines (BEHAVIORAL_SEGMENTS_ENGINES="postgres spark") add requirements-<engine>.txt.
req_args=(-r "$PROJECT_DIR/requirements.txt")
req_files=("$PROJECT_DIR/requirements.txt" "$PROJECT_DIR/constraints.txt")
for engine in ${BEHAVIORAL_SEGMENTS_ENGINES:-}; do
    req_args+=(-r "$PROJECT_DIR/requirements-$engine.txt")
    req_files+=("$PROJECT_DIR/requirements-$engine.txt")
done
wanted="$( (cat "${req_files[@]}"; echo "${BEHAVIORAL_SEGMENTS_ENGINES:-}") | sha256sum | cut -d' ' -f1)"
engines_tag="$(echo "${BEHAVIORAL_SEGMENTS_ENGINES:-base}" | tr ' ' '_')"
stamp="$VENV_DIR/.requirements-$engines_tag.sha256"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "Installing pinned requirements into $VENV_DIR (first run takes a minute) ..."
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "${req_args[@]}" -c "$PROJECT_DIR/constraints.txt"
    echo "$wanted" > "$stamp"
fi
VENV_PY="$VENV_DIR/bin/python"
export VENV_PY PROJECT_DIR
# dbt writes no anonymous usage events from this project
export DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false
