"""``python -m engine.worker``: see ``engine.worker._program``."""

from engine.worker._program import run_as_main

if __name__ == "__main__":
    run_as_main()
