"""The one scheduler's parts: placement (pure: GPUs as names, no GPU needed) and the pool's
reuse of workers by environment (real worker processes)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from engine.errors import UsageError
from engine.sweeps import SweepSpec
from engine.sweeps._slots import slot_environments
from engine.worker import WorkerPool, cpu_share, jobs_at_once, place

RUN = {"plugin": "cnn", "dataset": "digits", "hparams": {"steps": 5}, "seed": 0}


def test_a_job_goes_to_the_least_busy_gpu_unless_it_named_one():
    placement = place("auto", ["0", "1"], Counter({"0": 1}), 2)
    assert (placement.environment, placement.gpu) == ({"CUDA_VISIBLE_DEVICES": "1"}, "1")
    assert place("cuda", ["3", "5"], Counter(), 4).gpu == "3"  # the first of the least busy
    named = place("cuda:0", ["0", "1"], Counter(), 2)
    assert (named.environment, named.gpu, named.threads) == ({}, None, None)
    assert named.run_config({**RUN, "device": "cuda:0"})["device"] == "cuda:0"


def test_cpu_jobs_share_the_cores_unless_alone_or_they_chose_their_threads():
    shared = place("auto", [], Counter(), 2)  # no GPU: on the CPU
    assert shared.environment == {} and shared.threads == cpu_share(2) >= 1
    config = shared.run_config(RUN)
    assert config["threads"] == cpu_share(2) and json.loads(json.dumps(config)) == config
    assert shared.run_config({**RUN, "threads": 7})["threads"] == 7
    # Alone, a run's open thread count follows the machine's load (ThreadGovernor).
    assert "threads" not in place("cpu", ["0"], Counter(), 1).run_config(RUN)
    assert jobs_at_once(None, ["0", "1"]) == 2 and jobs_at_once(None, []) == 1
    assert jobs_at_once(3, ["0"]) == 3


def test_sweep_slots_spread_over_the_gpus_up_to_trials_per_gpu():
    spec = SweepSpec("cnn", "digits", parallel=5, trials_per_gpu=2, device="auto")
    pinned = [env["CUDA_VISIBLE_DEVICES"] for env in slot_environments(spec, ["0", "1"])]
    assert sorted(pinned) == ["0", "0", "1", "1"]  # 2 GPUs x 2 trials: 4 slots, not 5
    spec.parallel = 2  # one on each GPU, not both on the first
    pinned = [env["CUDA_VISIBLE_DEVICES"] for env in slot_environments(spec, ["0", "1"])]
    assert sorted(pinned) == ["0", "1"]
    spec.device = "cuda:1"
    assert slot_environments(spec, ["0", "1"]) == [{"CUDA_VISIBLE_DEVICES": "1"}] * 2
    with pytest.raises(UsageError, match="no CUDA GPU is available"):
        slot_environments(spec, [])
    spec.device, spec.threads = "cpu", None
    assert slot_environments(spec, ["0"]) == [{"OMP_NUM_THREADS": str(cpu_share(2))}] * 2


def test_a_released_worker_is_reused_for_the_next_job_with_its_environment():
    pool = WorkerPool()
    try:
        first = pool.worker("a", {"NETYARD_TEST_POOL": "1"})
        pool.release("a")
        assert pool.worker("b", {"NETYARD_TEST_POOL": "1"}) is first
        assert pool.worker("b", {"NETYARD_TEST_POOL": "1"}) is first and pool.get("a") is None
        pool.kill("b")  # returns once its exit is in the queue
        assert first.poll() is not None and pool.get("b") is first
        assert pool.events.get(timeout=5)[0] == "b"  # its exit, under the job it ran
    finally:
        pool.close()
