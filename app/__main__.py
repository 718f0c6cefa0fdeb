"""``python -m app`` opens the Netyard window."""

import sys

from app.main import main

sys.exit(main())
