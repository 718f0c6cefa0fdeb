"""``python -m app.browser._counting '[tracking_uri, experiment_ids, filter, view_type]'``
prints how many runs match. The runs browser counts here, in a process of its own (see
``count_runs``); nothing here imports Qt."""

from __future__ import annotations

import gc
import json
import sys

from app.browser._query import count_matches
from engine.worker import die_with_parent

# The count makes millions of short-lived objects; with the default threshold (700) the
# collector's passes over the page in memory tripled its time (15 s instead of 5 s for
# 10 000 runs). Cycles are rare in them, and this process ends with the count.
GC_THRESHOLD = 50_000


def main(argv: list[str]) -> int:
    die_with_parent()  # a count nobody waits for any more ends with the app
    tracking_uri, experiment_ids, filter_string, view_type = json.loads(argv[0])
    from engine.tracking import open_client

    client = open_client(tracking_uri)
    gc.freeze()  # what the imports made is never garbage: no collection goes through it
    gc.set_threshold(GC_THRESHOLD)
    print(count_matches(client, experiment_ids, filter_string, view_type))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
