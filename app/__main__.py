"""``python -m app`` opens the Netyard window (as ``netyard gui``, with its error handling)."""

import sys

from engine.cli import main

sys.exit(main(["gui", *sys.argv[1:]]))
