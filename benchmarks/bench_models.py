"""Using a trained model (issue 10): what logging the MLflow Model costs a run, how fast
``netyard predict`` is next to a bare ``model(x)`` loop, ONNX Runtime next to PyTorch eager.

    python -m benchmarks.bench_models logging   # a default CNN run, model logged vs not
    python -m benchmarks.bench_models predict   # 10 000 MNIST-1D sequences
    python -m benchmarks.bench_models onnx      # latency per batch of 1 and of 256

``logging``: ``execute_run`` of the CNN with its defaults on MNIST-1D, ``log_model`` on (A)
and off (B), interleaved rounds; the figure is the median per-round ratio (goal <= 1.02).
``predict``: a short CNN run, then the same 10 000 test sequences through
``TrainedModel.predict`` (what ``netyard predict`` runs: batches of 1024, the plugin's input
conversion and output columns) and through a bare ``model(x)`` loop over the same batches,
in one process, alternating; startup (``netyard predict`` as a whole process, minus its own
prediction time) is reported separately. ``onnx``: the same model exported to ONNX, median
latency over 200 calls per batch size in ONNX Runtime and in PyTorch eager, one thread.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks._bare_loop import interleave, new_workspace, prepare, report_ratio, timed_execute

CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"


def logging_overhead(args) -> None:
    from engine.plugin import get_plugin

    torch.set_num_threads(args.threads)
    workspace = new_workspace("netyard-bench-models-")
    hparams = {"steps": args.steps} if args.steps else {}
    steps = args.steps or get_plugin("cnn").full_schema().defaults()["steps"]

    def run(log_model: bool, override: dict | None = None):
        prepared = prepare(workspace, override or hparams, 0, args.threads, log_model=log_model)
        return timed_execute(prepared)[1]

    try:
        print(f"warm-up (50 steps each), then {args.repeats} rounds of the CNN, {steps} steps")
        run(True, {"steps": 50})
        run(False, {"steps": 50})
        on, off = interleave(args.repeats, lambda: run(True), lambda: run(False))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    print(f"A = MLflow Model logged, B = not; threads {args.threads}")
    report_ratio("model/no model", on, off, 1.02)


def _short_run(workspace: Path) -> str:
    from engine.runner import RunConfig, run

    outcome = run(RunConfig(plugin="cnn", dataset="mnist1d", hparams={"steps": 200},
                            device="cpu", threads=1, workspace=str(workspace)))  # fmt: skip
    assert outcome.status == "finished", outcome.error
    return outcome.run_id


def predict_throughput(args) -> None:
    from engine.data import dataset_info
    from engine.models import load_run_model
    from engine.tracking import open_client
    from engine.workspace import Workspace

    torch.set_num_threads(args.threads)
    workspace = new_workspace("netyard-bench-predict-")
    try:
        run_id = _short_run(workspace)
        client = open_client(Workspace.resolve(str(workspace)).tracking_uri)
        trained, _run = load_run_model(client, run_id)
        data = dataset_info("mnist1d").load(Workspace.resolve(str(workspace)).datasets_dir)
        inputs = np.concatenate([data.test.x.numpy()] * 10)[: args.count]  # 10 000 sequences
        tensor = torch.as_tensor(inputs)
        model = trained.model.eval()

        def bare() -> float:
            began = time.perf_counter()
            with torch.no_grad():
                for start in range(0, len(tensor), 1024):
                    model(tensor[start : start + 1024]).softmax(dim=1).numpy()
            return time.perf_counter() - began

        def engine() -> float:
            began = time.perf_counter()
            trained.predict(inputs)
            return time.perf_counter() - began

        bare(), engine()  # warm-up
        rounds = [(engine(), bare()) for _ in range(args.repeats)]
        ratios = [a / b for a, b in rounds]
        print(f"{len(inputs)} sequences, batches of 1024, threads {args.threads}")
        for a, b in rounds:
            print(
                f"  predict {a * 1000:.1f} ms   bare model(x) {b * 1000:.1f} ms   ratio {a / b:.3f}"
            )
        median = statistics.median(ratios)
        verdict = "PASS" if median <= 1.3 else "FAIL"
        print(f"{verdict}: median predict/bare {median:.3f} (goal <= 1.3)")

        csv = workspace / "inputs.csv"
        np.savetxt(csv, inputs.reshape(len(inputs), -1), delimiter=",", fmt="%.6g")
        command = [sys.executable, "-c", CLI, "predict", run_id, "--input", str(csv),
                   "--out", str(workspace / "out.csv"), "--workspace", str(workspace)]  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        whole = time.perf_counter() - began
        print(f"netyard predict as a process: {whole:.2f} s in all; it says: {done.stderr.strip()}")
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def onnx_latency(args) -> None:
    import onnxruntime

    from engine.models import export_model, load_run_model
    from engine.tracking import open_client
    from engine.workspace import Workspace

    torch.set_num_threads(1)
    workspace = new_workspace("netyard-bench-onnx-")
    try:
        run_id = _short_run(workspace)
        trained, _run = load_run_model(
            open_client(Workspace.resolve(str(workspace)).tracking_uri), run_id
        )
        shape = trained.plugin.input_shape()
        rng = np.random.default_rng(0)
        out = Path(tempfile.mkdtemp()) / "cnn.onnx"
        exported = export_model(
            trained, rng.standard_normal((2, *shape)).astype(np.float32), "onnx", out
        )
        print(f"exported with {exported.how}, max abs diff {exported.max_abs_diff:.2g}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(out), options, providers=["CPUExecutionProvider"]
        )
        name = session.get_inputs()[0].name
        model = trained.model.eval()
        for batch in (1, 256):
            x = rng.standard_normal((batch, *shape)).astype(np.float32)
            tensor = torch.as_tensor(x)

            def ort(x=x) -> float:
                began = time.perf_counter()
                session.run(None, {name: x})
                return time.perf_counter() - began

            def eager(tensor=tensor) -> float:
                began = time.perf_counter()
                with torch.no_grad():
                    model(tensor)
                return time.perf_counter() - began

            for _ in range(20):
                ort(), eager()
            a = statistics.median(ort() for _ in range(200))
            b = statistics.median(eager() for _ in range(200))
            print(
                f"batch {batch:>3}: ONNX Runtime {a * 1000:.3f} ms, "
                f"PyTorch eager {b * 1000:.3f} ms (eager/ORT {b / a:.2f}x)"
            )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("logging", "predict", "onnx"))
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1)")
    parser.add_argument("--steps", type=int, help="steps of the logging run (the CNN's default)")
    parser.add_argument("--count", type=int, default=10_000, help="sequences to predict")
    args = parser.parse_args()
    {"logging": logging_overhead, "predict": predict_throughput, "onnx": onnx_latency}[args.what](
        args
    )


if __name__ == "__main__":
    main()
