"""``netyard completion bash|zsh``: a script made from the parser, so that every command and
option completes; bash runs its script here on typed lines (issue 25, part 5)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from netyard_test_support import netyard_here

from engine.cli._completion import commands_of
from engine.cli._main import build_parser

# Lines typed so far (the last word is being completed) and what bash must offer.
TYPED = {
    "netyard ": {"runs", "completion", "run", "predict", "queue"},
    "netyard run ": {"cnn", "rnn", "transformer", "gan"},
    "netyard run cnn --da": {"--dataset"},
    "netyard run cnn --dataset ": {"digits", "mnist1d"},
    "netyard export RUN --format ": {"onnx", "torchscript", "safetensors"},
    "netyard export RUN --format=t": {"--format=torchscript"},
    "netyard ui ": {"mlflow", "optuna"},
    "netyard queue add run cnn --st": {"--steps"},  # 'queue add run' takes run's arguments
    "netyard --workspace DIR r": {"run", "runs", "register", "report"},
    "netyard runs --js": {"--json"},
}

# Puts each typed line in COMP_WORDS (split at spaces) and prints the suggestions.
HARNESS = """
source "$1"
shift
for line in "$@"; do
    read -ra COMP_WORDS <<< "$line"
    [[ $line == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _netyard
    echo "${COMPREPLY[*]}"
done
"""


def script(shell: str, capsys) -> str:
    assert netyard_here("completion", shell) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_script_names_every_command_and_option_and_parses(shell, tmp_path, capsys):
    text = script(shell, capsys)
    for command in commands_of(build_parser(), {}):
        if command.path:
            assert f"'{' '.join(command.path)}')" in text, command.path
        for option in command.options:
            for flag in option.flags:
                assert flag in text, (command.path, flag)
    path = tmp_path / f"netyard.{shell}"
    path.write_text(text)
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell} here to check the script's syntax")
    checked = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_bash_completes_commands_options_and_their_values(tmp_path, capsys):
    path = tmp_path / "netyard.bash"
    path.write_text(script("bash", capsys))
    done = subprocess.run(
        ["bash", "-c", HARNESS, "harness", str(path), *TYPED],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    offered = [set(line.split()) for line in done.stdout.splitlines()]
    for (typed, expected), got in zip(TYPED.items(), offered, strict=True):
        assert expected <= got, (typed, got)


def test_the_help_says_how_to_install_it(capsys):
    with pytest.raises(SystemExit):
        netyard_here("completion", "--help")
    out = capsys.readouterr().out
    assert "bash-completion/completions/netyard" in out and "fpath=(~/.zfunc $fpath)" in out
