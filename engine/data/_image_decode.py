"""Image files to uint8 pixels: the work each decoding process does on its chunk of files.

Kept apart from the cache's bookkeeping (``_image_cache``) so that what a decoding process
imports is Pillow and numpy. Every file that cannot be read is one ``UsageError`` naming it;
the error travels back from the decoding process to the load that asked.
"""

from __future__ import annotations

import numpy as np

from engine.errors import UsageError

GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # Pillow's single-channel modes


def preload() -> None:
    """Import what decoding needs, before decoding processes are forked from this one."""
    from PIL import Image, JpegImagePlugin, PngImagePlugin  # noqa: F401

    Image.init()


def read(path: str):
    """The decoded image at ``path`` (a Pillow image)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except Exception as error:  # Pillow raises several types for a damaged or foreign file
        raise UsageError(f"cannot read image {path!r}: {error}") from None


def to_pixels(image, color: str, size: int | tuple[int, int] | None) -> np.ndarray:
    """``image`` in ``color`` ("gray" or "rgb"), resized to ``size`` if given, as uint8
    channels x height x width."""
    from PIL import Image

    if image.mode in ("I", "I;16", "F"):  # 16-bit or float greys: scale to 8 bits first
        values = np.asarray(image, dtype=np.float64)
        top = values.max() or 1.0
        image = Image.fromarray((values / top * 255).astype(np.uint8))
    image = image.convert("L" if color == "gray" else "RGB")
    target = (size, size) if isinstance(size, int) else size
    if target is not None and image.size != target:
        image = image.resize(target, Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.uint8)
    return array[None, :, :] if array.ndim == 2 else array.transpose(2, 0, 1)


def probe(paths: list[str]) -> list[tuple[bool, tuple[int, int]]]:
    """Whether each file is grey, and its width and height, read from its header only."""
    from PIL import Image

    found = []
    for path in paths:
        try:
            with Image.open(path) as image:
                found.append((image.mode in GRAY_MODES, image.size))
        except Exception as error:  # as in ``read``: any failure is a file that cannot be used
            raise UsageError(f"cannot read image {path!r}: {error}") from None
    return found


def decode_into(store: str, start: int, paths: list[str], color: str, size: int | None) -> int:
    """Decode ``paths`` into rows ``start``... of the .npy file ``store``; returns how many."""
    images = np.load(store, mmap_mode="r+")
    for offset, path in enumerate(paths):
        images[start + offset] = to_pixels(read(path), color, size)
    images.flush()
    return len(paths)
