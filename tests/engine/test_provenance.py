"""Where a run came from: the git commit of the folder it was started in, requirements.txt."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient
from netyard_test_support import TINY_CNN, tracking_uri

from engine.runner import RunConfig, run
from engine.tracking import (
    GIT_BRANCH_TAG,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    REQUIREMENTS_FILE,
    RunTracker,
    git_tags,
    requirements_text,
)


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with one commit on the branch ``work``."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "work")
    (root / "train.yaml").write_text("lr: 0.01\n")
    git(root, "add", "train.yaml")
    git(root, "commit", "-q", "-m", "first")
    return root


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_run_started_in_a_changed_work_tree_records_its_commit_and_requirements(
    repo, tracked_workspace, monkeypatch, tmp_path
):
    (repo / "train.yaml").write_text("lr: 0.02\n")  # changed since the commit
    monkeypatch.chdir(repo)
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": 2},
        device="cpu",
        threads=1,
        workspace=str(tracked_workspace),
        log_model=False,
    )
    outcome = run(config)
    assert outcome.status == "finished", outcome.error

    client = MlflowClient(tracking_uri(tracked_workspace))
    tags = client.get_run(outcome.run_id).data.tags
    assert tags[GIT_COMMIT_TAG] == head(repo)
    assert tags[GIT_BRANCH_TAG] == "work"
    assert tags[GIT_DIRTY_TAG] == "true"
    local = client.download_artifacts(outcome.run_id, REQUIREMENTS_FILE, str(tmp_path))
    lines = Path(local).read_text().splitlines()
    assert f"torch=={torch.__version__}" in lines
    names = [line.partition("==")[0].lower().replace("_", "-") for line in lines]
    assert names == sorted(names) and len(names) == len(set(names))


def test_a_clean_work_tree_is_not_dirty_and_untracked_files_do_not_count(repo):
    (repo / "outputs.log").write_text("a run's output, never added\n")
    assert git_tags(repo) == {
        GIT_COMMIT_TAG: head(repo),
        GIT_BRANCH_TAG: "work",
        GIT_DIRTY_TAG: "false",
    }
    git(repo, "checkout", "-q", "--detach")  # no branch: the commit alone
    assert git_tags(repo) == {GIT_COMMIT_TAG: head(repo), GIT_DIRTY_TAG: "false"}
    (repo / "train.yaml").unlink()
    assert git_tags(repo)[GIT_DIRTY_TAG] == "true"


def test_no_repository_no_commit_and_no_git_no_tags(tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    assert git_tags(outside) == {}
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    assert git_tags(empty) == {}  # a repository without a commit yet
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert git_tags(tmp_path) == {}


def test_a_run_started_outside_a_repository_has_no_git_tags(
    tracked_workspace, tmp_path, monkeypatch
):
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    tracker = RunTracker(tracking_uri(tracked_workspace))
    run_id = tracker.start("provenance", "outside", params={}, tags={})
    tracker.end("FINISHED")
    client = MlflowClient(tracking_uri(tracked_workspace))
    tags = client.get_run(run_id).data.tags
    assert not {GIT_COMMIT_TAG, GIT_BRANCH_TAG, GIT_DIRTY_TAG} & set(tags)
    assert [a.path for a in client.list_artifacts(run_id)] == [REQUIREMENTS_FILE]


def test_requirements_match_what_pip_would_list():
    from importlib.metadata import version

    lines = requirements_text().splitlines()
    assert f"mlflow=={version('mlflow')}" in lines
    assert f"numpy=={version('numpy')}" in lines
    assert all(line.count("==") == 1 for line in lines)
