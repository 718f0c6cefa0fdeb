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

# The app's window needs the X libraries Qt's xcb platform plugin links against; a fresh
# Debian/Ubuntu lacks some (libxcb-cursor0, libxcb-icccm4, ...). ldd on the plugin says which:
# installed here when run as root, else the one command to run is printed.
packages=$(python -c "from app._platform import missing_xcb_packages as m; print(' '.join(m()))" \
  2>/dev/null || true)
if [ -n "$packages" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Qt's xcb plugin lacks libraries: installing $packages"
    # shellcheck disable=SC2086  # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null \
      || echo "warning: apt-get install $packages failed; the app needs them for its window" >&2
  else
    echo "The app's window needs: sudo apt-get install -y $packages (the CLI works without)"
  fi
fi
echo "Netyard installed in $(pwd)/.venv"
