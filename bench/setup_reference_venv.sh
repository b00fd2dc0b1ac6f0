#!/usr/bin/env bash
# Create .venv-bench with the OpenSanctions reference matcher (nomenklatura) for bench/screening.py.
# Usage: bench/setup_reference_venv.sh   (from the repository root; needs PyPI access)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.13}"
command -v "$PY" >/dev/null || PY=.venv/bin/python
"$PY" -m venv .venv-bench
.venv-bench/bin/pip install --quiet -r bench/requirements.in
.venv-bench/bin/python -c "import nomenklatura, sys; print('nomenklatura', nomenklatura.__version__ if hasattr(nomenklatura, '__version__') else '', 'ready in', sys.prefix)"
