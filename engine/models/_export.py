"""Exporting a trained model: ONNX, TorchScript or safetensors, each checked after writing.

The exported file is loaded back (ONNX Runtime for ONNX, ``torch.jit.load`` for TorchScript,
a freshly built model for safetensors) and run on the model's input example; its outputs
must match the PyTorch model's within ``TOLERANCE``, or nothing is left at the destination.
The file is written under a temporary name beside the destination and renamed when it
passed, so a failed or interrupted export leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import UsageError
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
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        if fmt == "onnx":
            how = _write_onnx(module, x, partial)
            got = _run_onnx(partial, x)
        elif fmt == "torchscript":
            how = "torch.jit.trace"
            with torch.no_grad(), _quiet_exporter():
                torch.jit.save(torch.jit.trace(module, x), str(partial))
                got = torch.jit.load(str(partial))(x).float().numpy()
        else:
            how = "weights of the whole model (rebuild it with the plugin to use them)"
            got = _write_weights(trained, partial, x)
        diff = float(np.max(np.abs(got - expected))) if expected.size else 0.0
        if not diff <= TOLERANCE:
            raise ExportMismatch(
                f"the {fmt} export differs from the PyTorch model by up to {diff:.3g} on the "
                f"input example (tolerance {TOLERANCE:g}); nothing was written to {path}"
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Exported(path, fmt, diff, how)


def _write_onnx(module, x, path: Path) -> str:
    """The dynamo exporter with a dynamic batch axis; the TorchScript-based one where the
    dynamo exporter cannot take the model."""
    import torch

    try:
        with _quiet_exporter():
            program = _dynamo_export(module, x)
        program.save(str(path))
        return "torch.onnx.export (dynamo)"
    except Exception:  # noqa: BLE001 - the dynamo exporter fails in many ways; fall back
        path.unlink(missing_ok=True)
    with _quiet_exporter():
        torch.onnx.export(
            module, (x,), str(path), dynamo=False, opset_version=ONNX_OPSET,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )  # fmt: skip
    return "torch.onnx.export (TorchScript-based)"


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


def _run_onnx(path: Path, x) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.asarray(session.run(None, {name: x.numpy()})[0], dtype=np.float32)


def _write_weights(trained: TrainedModel, path: Path, x) -> np.ndarray:
    import torch
    from safetensors.torch import load_model, save_model

    save_model(trained.model, str(path))
    fresh = trained.plugin.build_model()
    load_model(fresh, str(path))
    with torch.no_grad():
        return trained.plugin.inference_module(fresh.eval())(x).float().numpy()


def export_run(client, reference: str, fmt: str, out: str | Path, datasets_dir: Path):
    """Export the model of the finished run ``reference`` names, checked on its input
    example; returns (``Exported``, the run)."""
    from engine.models._runs import load_run_model

    check_destination(out)
    trained, run = load_run_model(client, reference)
    return export_model(trained, trained.example_inputs(datasets_dir), fmt, out), run
