"""``python -m engine.lr_finder``: see ``engine.lr_finder._job``."""

import os
import sys

from engine.lr_finder._job import main

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # no second of torch's teardown for the app to wait on
