"""What inputs a trained model takes, checked from its run config before the model loads.

Loading a model (MLflow, torch, the weights) takes seconds, a minute on a busy machine; a CSV
given to an image model used to fail only after that, with "cannot read image 'x.csv'".
The run's ``config.json`` (its plugin and data kind) is enough to refuse an input of the
wrong kind at once, in a sentence that says what the model takes. Reading the input itself
stays ``read_inputs``'s (``_inputs``), which follows the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import UsageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# What ``read_inputs`` reads for each data kind, in the words of an error message.
TAKES = {
    "image": f"an image file ({', '.join(IMAGE_SUFFIXES)}) or a folder of them",
    "timeseries": "a CSV file of the series, its columns named in a header row",
    "text": "a text file of prompts, one a line",
}
ROWS = "a CSV file with one input per row"
GENERATOR = "--count N (samples to draw), a file holding N, or a CSV of latent vectors"


def describe_inputs(data_kind: str, generative: bool = False) -> str:
    """What a model trained on ``data_kind`` data takes for ``netyard predict``."""
    return GENERATOR if generative else TAKES.get(data_kind, ROWS)


def check_input_kind(config: dict[str, Any], path: str | None, count: int | None = None) -> None:
    """``check_input`` for the model of a run whose config is ``config`` (``read_run_config``:
    its plugin and data spec), before the model is built; no torch is used."""
    from engine.plugin import get_plugin

    plugin_id = config["plugin"]
    check_input(
        plugin_id, config["data_spec"]["kind"], get_plugin(plugin_id).generative, path, count
    )


def check_input(
    plugin_id: str, kind: str, generative: bool, path: str | None, count: int | None = None
) -> None:
    """One ``UsageError`` naming ``path`` (``--input``) and what the model takes when it is
    not an input of the model's kind: none or a missing file, a CSV for an image model, an
    image or a folder for the others, ``--count`` for a model that is not a generator."""
    takes = describe_inputs(kind, generative)
    model = f"this model ({plugin_id}, trained on {kind} data) takes {takes}"
    if generative:
        if path is None and count is None:
            raise UsageError(f"give --count N or --input FILE: {model}")
        if path is None:
            return
    elif count is not None:
        raise UsageError(f"--count is for generators; {model}")
    elif path is None:
        raise UsageError(f"give --input FILE (what to predict on): {model}")
    source = Path(path).expanduser()
    if not source.exists():
        raise UsageError(f"input {str(path)!r} does not exist; {model}")
    if generative:
        return
    if kind == "image":
        if source.is_file() and not _is_image(source):
            raise UsageError(f"input {str(path)!r} is not an image: {model}")
    elif source.is_dir():
        raise UsageError(f"input {str(path)!r} is a folder: {model}")
    elif source.suffix.lower() in IMAGE_SUFFIXES:
        raise UsageError(f"input {str(path)!r} is an image: {model}")


def _is_image(path: Path) -> bool:
    """Whether Pillow knows the file's format (it reads the header only)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path):
            return True
    except (UnidentifiedImageError, OSError):
        return False
