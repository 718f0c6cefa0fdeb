"""``RunConfig.to_command_line``: the line, read back by the real ``netyard run``, gives the
same config (the "Copy as CLI command" of the app relies on it)."""

from __future__ import annotations

import shlex

import pytest

import engine.runner
from engine.cli import main
from engine.runner import RunConfig


class _Parsed(Exception):
    def __init__(self, config: RunConfig) -> None:
        super().__init__(config)
        self.config = config


def parsed_by_cli(line: str, monkeypatch: pytest.MonkeyPatch) -> RunConfig:
    """The RunConfig that ``netyard run`` builds from ``line``, caught before it runs."""

    def capture(config: RunConfig):
        raise _Parsed(config)

    monkeypatch.setattr(engine.runner, "prepare_run", capture)
    words = shlex.split(line)
    assert words[:2] == ["netyard", "run"]
    with pytest.raises(_Parsed) as parsed:
        main(words[1:])
    return parsed.value.config


CONFIGS = {
    "defaults": RunConfig(plugin="cnn", dataset="digits"),
    "everything": RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={
            "lr": 1e-3,
            "weight_decay": 1.2345678901234567e-5,
            "grad_clip": 2.5e-7,
            "lr_schedule": "cosine",
            "amp": False,
            "dropout": 0.0,
            "channels": 8,
            "depth": 2,
            "steps": 30,
            "batch_norm": False,
            "optimizer": "sgd",
            "activation": "gelu",
        },
        seed=4294967295,
        device="cuda:1",
        threads=3,
        workspace="/tmp/my workspace/it's here",
        tracking_uri="sqlite:////tmp/my workspace/mlflow.db",
        experiment="cnn digits; $(rm -rf ~)",
        run_name="-leading dash",
        resume="/tmp/ckpt dir/last.pt",
        track=False,
    ),
    "true-bool-and-empty-strings": RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={"batch_norm": True, "lr": 0.5},
        seed=7,
        experiment="",
        run_name="",
    ),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_the_command_line_parses_back_to_the_same_config(name, monkeypatch):
    config = CONFIGS[name]
    line = config.to_command_line()
    assert parsed_by_cli(line, monkeypatch) == config, line


def test_only_flags_away_from_the_cli_defaults_are_written():
    line = RunConfig(plugin="cnn", dataset="digits", hparams={"lr": 1e-3}).to_command_line()
    assert line == "netyard run cnn --dataset digits --set lr=0.001"


def test_what_the_cli_cannot_say_is_refused():
    config = RunConfig(plugin="cnn", dataset="digits", tags={"sweep": "s1"}, checkpoints=False)
    with pytest.raises(ValueError, match="tags, checkpoints"):
        config.to_command_line()
