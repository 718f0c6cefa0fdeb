#!/usr/bin/env bash
# Install Netyard and its development tools into ./.venv (idempotent; fast when up to date).
#
# torch is pinned to the CPU build first, so that the unpinned range in pyproject.toml does
# not pull a multi-GB CUDA build. For a GPU, install a CUDA build of torch into the venv first
# (see README, "GPUs") and this script keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
if ! python -c "import torch" 2>/dev/null; then
  python -m pip install --quiet "torch==2.13.0"
fi
python -m pip install --quiet -e ".[dev]"
echo "Netyard installed in $(pwd)/.venv"
