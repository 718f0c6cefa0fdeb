"""User image data: ``folder:PATH[?size=N&color=gray|rgb]``, one subfolder per class.

Every PNG or JPEG image under ``PATH/CLASS/`` becomes one sample of class ``CLASS`` (classes
sorted by name). Images are read with Pillow (a dependency of matplotlib), converted to one
colour mode and, when ``size`` is given, resized to ``size`` x ``size``; without ``size`` all
images must already share one size. Values are scaled to [0, 1], shaped channels x h x w.
A fixed-seed 20 % goes to the test split, like the built-in digits.

Every problem (missing folder, no class subfolders or only one, an empty class, an unreadable image,
mixed sizes, a bad option) is one ``UsageError`` naming the path and the problem, raised
while the run is prepared, so nothing reaches the tracking store.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np

from engine.data._registry import DatasetInfo, register_source
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import three_splits
from engine.errors import UsageError

SYNTAX = "folder:PATH[?size=N&color=gray|rgb]"
EXTENSIONS = (".png", ".jpg", ".jpeg")
COLORS = ("gray", "rgb")
MIN_IMAGES = 3  # one each for train, validation and test
MAX_SIZE = 512
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # Pillow's single-channel modes


def _options(argument: str) -> tuple[Path, dict[str, str]]:
    path_text, _, query = argument.partition("?")
    if not path_text:
        raise UsageError(f"dataset 'folder:' needs a path: {SYNTAX}")
    options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    unknown = sorted(set(options) - {"size", "color"})
    if unknown:
        raise UsageError(
            f"unknown option {unknown[0]!r} in folder:{argument}; valid options: size, color"
        )
    return Path(path_text).expanduser(), options


def _size(options: dict[str, str], argument: str) -> int | None:
    if "size" not in options:
        return None
    text = options["size"]
    if not text.isdigit() or not 1 <= int(text) <= MAX_SIZE:
        raise UsageError(
            f"invalid size {text!r} in folder:{argument}: expected a whole number of pixels "
            f"from 1 to {MAX_SIZE}"
        )
    return int(text)


def _color(options: dict[str, str], argument: str) -> str | None:
    color = options.get("color")
    if color is not None and color not in COLORS:
        raise UsageError(
            f"invalid color {color!r} in folder:{argument}: expected one of {', '.join(COLORS)}"
        )
    return color


def class_folders(root: Path) -> list[Path]:
    """The class subfolders of ``root``, sorted; raises ``UsageError`` if there are fewer than 2."""
    if not root.exists():
        raise UsageError(f"image folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise UsageError(f"{str(root)!r} is not a folder; folder: expects one subfolder per class")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        loose = any(p.suffix.lower() in EXTENSIONS for p in root.iterdir())
        what = "only loose images" if loose else "nothing usable"
        raise UsageError(
            f"image folder {str(root)!r} has no class subfolders ({what}); put each class's "
            f"images in a subfolder named after the class"
        )
    if len(folders) < 2:
        raise UsageError(
            f"image folder {str(root)!r} has only one class subfolder ({folders[0].name!r}); "
            f"classification needs at least 2 classes (one subfolder of images per class)"
        )
    return folders


def _image_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
    if not files:
        raise UsageError(
            f"class folder {str(folder)!r} holds no images (expected {', '.join(EXTENSIONS)})"
        )
    return files


def _read(path: Path):
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except Exception as error:  # Pillow raises several types for a damaged or foreign file
        raise UsageError(f"cannot read image {str(path)!r}: {error}") from None


def read_images(
    root: Path, size: int | None, color: str | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """All images as float32 (n, channels, h, w) in [0, 1], their labels and class names."""
    folders = class_folders(root)
    files = [(label, path) for label, folder in enumerate(folders) for path in _image_files(folder)]
    if len(files) < MIN_IMAGES:
        raise UsageError(
            f"image folder {str(root)!r} holds {len(files)} images; at least {MIN_IMAGES} are "
            f"needed (train, validation and test each need one)"
        )
    images = [_read(path) for _, path in files]
    if color is None:  # grey unless some image has colour
        color = "gray" if all(image.mode in GRAY_MODES for image in images) else "rgb"
    if size is None:
        first_path, first = files[0][1], images[0]
        for (_, path), image in zip(files, images, strict=True):
            if image.size != first.size:
                raise UsageError(
                    f"images in {str(root)!r} differ in size ({first_path.name} is "
                    f"{first.size[0]}x{first.size[1]}, {path.name} is "
                    f"{image.size[0]}x{image.size[1]}); add ?size=N to resize all to N x N"
                )
    arrays = [_to_array(image, color, size) for image in images]
    labels = np.array([label for label, _ in files], dtype=np.int64)
    return np.stack(arrays), labels, tuple(folder.name for folder in folders)


def image_for(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """One image file as a model trained on images of ``shape`` (channels, height, width)
    takes it: grey or colour, resized, float32 in [0, 1]."""
    channels, height, width = shape
    return _to_array(_read(path), "gray" if channels == 1 else "rgb", (width, height))


def _to_array(image, color: str, size: int | tuple[int, int] | None) -> np.ndarray:
    from PIL import Image

    if image.mode in ("I", "I;16", "F"):  # 16-bit or float greys: scale to 8 bits first
        values = np.asarray(image, dtype=np.float64)
        top = values.max() or 1.0
        image = Image.fromarray((values / top * 255).astype(np.uint8))
    image = image.convert("L" if color == "gray" else "RGB")
    target = (size, size) if isinstance(size, int) else size
    if target is not None and image.size != target:
        image = image.resize(target, Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return array[None, :, :] if array.ndim == 2 else array.transpose(2, 0, 1)


def folder_source(argument: str) -> DatasetInfo:
    root, options = _options(argument)
    size, color = _size(options, argument), _color(options, argument)
    classes = class_folders(root)  # cheap checks now; images are read when the data loads
    dataset_id = f"folder:{argument}"

    def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
        images, labels, names = read_images(root, size, color)
        train, val, test = three_splits(images, labels, val_fraction, seed)
        spec = DataSpec(
            kind="image",
            task="classification",
            input_shape=tuple(int(n) for n in images.shape[1:]),
            num_classes=len(names),
            class_names=names,
            extra={"source": str(root)},
        )
        return Dataset(dataset_id, spec, train, val, test)

    return DatasetInfo(
        id=dataset_id,
        kind="image",
        task="classification",
        description=f"images in {root} ({len(classes)} classes)",
        loader=load,
    )


register_source("folder", folder_source, SYNTAX)
