"""Tiny finished runs of every plugin, trained once for the model-lifecycle tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from netyard_test_support import TINY_CNN

TEXT = "the quick brown fox jumps over the lazy dog. " * 120

# plugin, dataset (text: a file made here), hyperparameters: a few seconds each on one thread
RUNS = {
    "cnn": ("cnn", "digits", {**TINY_CNN, "steps": 30}),
    "rnn": ("rnn", "sines", {"steps": 30, "batch_size": 32}),
    "sort": ("transformer", "sort", {"steps": 30, "d_model": 16, "heads": 2, "layers": 1}),
    "text": ("transformer", "text", {"steps": 30, "d_model": 16, "heads": 2, "layers": 1}),
    "gan": ("gan", "ring8", {"steps": 30, "batch_size": 64, "g_width": 16, "d_width": 16}),
}


@pytest.fixture(scope="session")
def model_workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models-workspace")


@pytest.fixture(scope="session")
def trained_runs(model_workspace) -> dict[str, str]:
    """Run ids by RUNS key, every run FINISHED with its MLflow Model."""
    from engine.runner import RunConfig, run

    text_file = model_workspace / "fox.txt"
    text_file.write_text(TEXT)
    runs = {}
    for key, (plugin, dataset, hparams) in RUNS.items():
        if dataset == "text":
            dataset = f"text:{text_file}?block=16"
        config = RunConfig(
            plugin=plugin, dataset=dataset, hparams=hparams, device="cpu", threads=1,
            workspace=str(model_workspace),
        )  # fmt: skip
        outcome = run(config)
        assert outcome.status == "finished", outcome.error
        runs[key] = outcome.run_id
    return runs


@pytest.fixture(scope="session")
def tracking(model_workspace) -> str:
    return f"sqlite:///{model_workspace / 'mlflow.db'}"
