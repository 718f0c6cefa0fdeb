"""The character model's probability columns are named by character, not by code: ``p_e``,
``p_space``, not ``p_0 ... p_100`` (issue 25, part 5)."""

from __future__ import annotations

import contextlib
import io
import json

from engine.cli import main
from engine.data import character_name


def test_whitespace_and_control_characters_get_readable_distinct_names():
    names = {char: character_name(char) for char in "a.Zé_ \n\t\r\x00\x7f\xa0"}
    assert names == {
        "a": "a", ".": ".", "Z": "Z", "é": "é", "_": "_", " ": "space", "\n": "newline",
        "\t": "tab", "\r": "return", "\x00": "U+0000", "\x7f": "U+007F", "\xa0": "U+00A0",
    }  # fmt: skip
    assert len(set(names.values())) == len(names)


def test_predict_names_the_character_models_columns_by_character(
    trained_runs, model_workspace, tmp_path
):
    prompts, out = tmp_path / "prompts.txt", tmp_path / "next.json"
    prompts.write_text("the lazy\n")
    argv = ["predict", trained_runs["text"], "--input", str(prompts), "--out", str(out)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([*argv, "--workspace", str(model_workspace)]) == 0
    [row] = json.loads(out.read_text())
    # The run's text (tests/models/conftest.py): lower-case letters, spaces and full stops.
    expected = {"p_space", "p_."} | {f"p_{letter}" for letter in "abcdefghijklmnopqrstuvwxyz"}
    assert {key for key in row if key.startswith("p_")} == expected
    assert abs(sum(row[key] for key in expected) - 1) < 1e-5
    assert row[f"p_{character_name(row['next'])}"] == max(row[key] for key in expected)
