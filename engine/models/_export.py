"""Exporting a trained model: ONNX, TorchScript or safetensors, each checked after writing.

The export is made in memory and loaded back from there (ONNX Runtime for ONNX,
``torch.jit.load`` for TorchScript, a freshly built model for safetensors) and run on the
model's input example; its outputs must match the PyTorch model's within ``TOLERANCE``, or
nothing is written. Only then is it written, whole or not at all (``engine.atomic_files``):
torch's serialisers abort the whole process on a full disk ("enforce fail at
inline_container.cc", exit 134), so they never write to the user's disk themselves; a full
disk is one ``NoSpaceLeft`` and no file, partial or not, at the destination.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.atomic_files import write_atomically
from engine.errors import UsageError, as_no_space
from engine.models._trained import TrainedModel

FORMATS = ("onnx", "torchscript", "safetensors")
TOLERANCE = 1e-4
ONNX_OPSET = 18


class ExportMismatch(Exception):
    """The exported file does not compute what the model does (a bug, not bad input)."""


@dataclass(frozen=True)
class Exported:
    path: Path
    format: str
    max_abs_diff: float
    how: str  # the exporter used: dynamo or torchscript-based ONNX, trace, weights


def check_destination(out: str | Path) -> Path:
    """``out`` as a path whose folder exists and is writable; ``UsageError`` otherwise."""
    path = Path(out).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--out {str(out)!r} is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"cannot write {str(out)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {str(out)!r}: folder {str(folder)!r} is not writable")
    return path


def export_model(trained: TrainedModel, examples: np.ndarray, fmt: str, out: str | Path):
    """Write ``trained`` as ``fmt`` to ``out`` and check it; returns an ``Exported``."""
    import torch

    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    path = check_destination(out)
    module = trained.module.eval().cpu()
    x = trained.plugin.network_input(trained.check_inputs(examples))
    with torch.no_grad():
        expected = module(x).float().numpy()
    if fmt == "onnx":
        how, data = _onnx_bytes(module, x)
        got = _run_onnx(data, x)
    elif fmt == "torchscript":
        how, data = "torch.jit.trace", _torchscript_bytes(module, x)
        with torch.no_grad():
            got = torch.jit.load(io.BytesIO(data))(x).float().numpy()
    else:
        how = "weights of the whole model (rebuild it with the plugin to use them)"
        data, got = _weights_bytes(trained, x)
    diff = float(np.max(np.abs(got - expected))) if expected.size else 0.0
    if not diff <= TOLERANCE:
        raise ExportMismatch(
            f"the {fmt} export differs from the PyTorch model by up to {diff:.3g} on the "
            f"input example (tolerance {TOLERANCE:g}); nothing was written to {path}"
        )
    write_atomically(path, data)
    return Exported(path, fmt, diff, how)


def _onnx_bytes(module, x) -> tuple[str, bytes]:
    """The dynamo exporter with a dynamic batch axis; the TorchScript-based one where the
    dynamo exporter cannot take the model. The exporter used and the ONNX file's bytes."""
    import torch

    try:
        with _quiet_exporter():
            program = _dynamo_export(module, x)
        return "torch.onnx.export (dynamo)", program.model_proto.SerializeToString()
    except Exception:  # noqa: BLE001 - the dynamo exporter fails in many ways; fall back
        pass
    buffer = io.BytesIO()
    with _quiet_exporter():
        torch.onnx.export(
            module, (x,), buffer, dynamo=False, opset_version=ONNX_OPSET,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )  # fmt: skip
    return "torch.onnx.export (TorchScript-based)", buffer.getvalue()


def _torchscript_bytes(module, x) -> bytes:
    import torch

    buffer = io.BytesIO()
    with torch.no_grad(), _quiet_exporter():
        torch.jit.save(torch.jit.trace(module, x), buffer)
    return buffer.getvalue()


def _dynamo_export(module, x):
    import torch

    batch = torch.export.Dim("batch", min=1)
    return torch.onnx.export(
        module, (x,), dynamo=True, dynamic_shapes=({0: batch},), opset_version=ONNX_OPSET,
        input_names=["input"], output_names=["output"], verbose=False,
    )  # fmt: skip


@contextlib.contextmanager
def _quiet_exporter():
    """torch's exporters log and warn about what they skip (torchvision ops, deprecations):
    noise in an export that the check after writing vouches for."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _run_onnx(data: bytes, x) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.asarray(session.run(None, {name: x.numpy()})[0], dtype=np.float32)


def _weights_bytes(trained: TrainedModel, x) -> tuple[bytes, np.ndarray]:
    """The safetensors file's bytes (``save_model``: tensors that share memory kept once)
    and what a freshly built model with them computes. Made in the system's temporary
    folder, which safetensors writes itself; a full one there is said as such."""
    import torch
    from safetensors.torch import load_model, save_model

    with tempfile.TemporaryDirectory(prefix="netyard-export-") as folder:
        path = Path(folder) / "model.safetensors"
        try:
            save_model(trained.model, str(path))
        except Exception as error:  # noqa: BLE001 - safetensors' SafetensorError wraps OSError
            no_space = as_no_space(error, folder)  # "os error 28", said by the Rust library
            if no_space is not None:
                raise no_space from None
            raise
        fresh = trained.plugin.build_model()
        load_model(fresh, str(path))
        data = path.read_bytes()
    with torch.no_grad():
        return data, trained.plugin.inference_module(fresh.eval())(x).float().numpy()


def export_run(
    client,
    reference: str,
    fmt: str,
    out: str | Path,
    datasets_dir: Path,
    say: Callable[[str], None] = lambda text: None,
):
    """Export the model of the finished run ``reference`` names, checked on its input
    example; returns (``Exported``, the run). ``say`` hears each step as it begins (seconds
    each: the model's loading, torch's exporter on its first use)."""
    from engine.models._runs import load_run_model

    check_destination(out)
    say(f"Loading the model of run {reference}")
    trained, run = load_run_model(client, reference)
    examples = trained.example_inputs(datasets_dir)
    say(f"Exporting it as {fmt} and checking the file on its input example")
    return export_model(trained, examples, fmt, out), run
