"""The intra-op thread count: the recipe's number wins, a resume keeps its count, otherwise the free cores."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import trainlab
from trainlab import cores as cores_module
from trainlab.cores import cpu_quota, other_runnable_threads, usable_cores
from trainlab.errors import ConfigError, Problem
from trainlab.recipe import validate_recipe
from trainlab.train import threads as threads_module
from trainlab.train.checkpoint import CheckpointManager
from trainlab.train.distributed import ProcessContext
from trainlab.train.threads import choose_threads, free_cores, recorded_threads, split_threads

SINGLE = ProcessContext()


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def never_measured():
    raise AssertionError("the load was measured although the choice does not depend on it")


def load_of(busy):
    return lambda: busy


def a_machine_with(cpus, monkeypatch):
    """This process may run on all ``cpus`` CPUs of the machine."""
    monkeypatch.setattr(threads_module, "cpu_affinity", lambda: cpus)
    monkeypatch.setattr(cores_module, "cpu_affinity", lambda: cpus)
    monkeypatch.setattr(threads_module.os, "cpu_count", lambda: cpus)


# ------------------------------------------------------------------------------------------------
# The order of precedence


def test_a_number_in_the_recipe_wins_over_everything():
    for process in (SINGLE, ProcessContext(world_size=4, local_world_size=4)):
        choice = choose_threads(3, process, deterministic=True, recorded=1, cores=2, others=never_measured)
        assert (choice.count, choice.reason) == (3, "train.threads")


def test_a_resumed_run_keeps_the_count_its_checkpoints_were_written_with():
    choice = choose_threads("auto", SINGLE, recorded=2, cores=8, others=load_of(7.0))
    assert choice.count == 2
    assert "resumed" in choice.reason


def test_the_newest_complete_checkpoint_says_how_many_threads_wrote_it(tmp_path):
    assert recorded_threads(tmp_path / "checkpoints") is None
    torch.set_num_threads(1)
    CheckpointManager(tmp_path / "checkpoints").save({"step": 1}, step=1)
    torch.set_num_threads(3)
    CheckpointManager(tmp_path / "checkpoints").save({"step": 2}, step=2)
    assert recorded_threads(tmp_path / "checkpoints") == 3


@pytest.mark.parametrize(("local_processes", "cores", "expected"), [(2, 8, 4), (3, 8, 2), (4, 2, 1)])
def test_data_parallel_processes_split_the_cores(local_processes, cores, expected):
    process = ProcessContext(world_size=local_processes, local_world_size=local_processes)
    choice = choose_threads("auto", process, cores=cores, others=never_measured)
    assert choice.count == expected == split_threads(process, cores)
    assert choice.count * local_processes <= max(cores, local_processes)


def test_a_deterministic_run_keeps_torchs_count_whatever_the_load():
    torch.set_num_threads(3)
    choice = choose_threads("auto", SINGLE, deterministic=True, cores=8, others=never_measured)
    assert choice.count == 3


# ------------------------------------------------------------------------------------------------
# The free cores


@pytest.mark.parametrize(
    ("busy", "expected"),
    [(0.0, 2), (0.2, 2), (0.8, 1), (1.0, 1), (7.0, 1)],
    ids=["quiet", "noise", "mostly one core", "one core", "overloaded"],
)
def test_the_automatic_count_is_the_cores_other_processes_leave_free(busy, expected, monkeypatch):
    a_machine_with(2, monkeypatch)
    choice = choose_threads("auto", SINGLE, cores=2, others=load_of(busy))
    assert choice.count == expected
    assert f"{busy:.1f} threads of other processes" in choice.reason


def test_only_the_share_of_the_load_on_this_process_cpus_counts():
    # Pinned to 4 of 16 CPUs: 8 busy threads spread over 16 CPUs leave 2 of the 4 free.
    assert free_cores(4, 8.0, cpus=16, affinity=4) == 2
    # A container's quota of 2 cores on a 64-CPU host with 40 busy: 24 CPUs are free, 2 usable.
    assert free_cores(2, 40.0, cpus=64, affinity=64) == 2


def test_omp_num_threads_caps_the_automatic_count(monkeypatch):
    a_machine_with(8, monkeypatch)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert choose_threads("auto", SINGLE, cores=8, others=never_measured).count == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3,2")
    choice = choose_threads("auto", SINGLE, cores=8, others=load_of(0.0))
    assert choice.count == 3 and "OMP_NUM_THREADS=3" in choice.reason


def test_without_a_measurement_every_usable_core_is_used():
    choice = choose_threads("auto", SINGLE, cores=4, others=load_of(None))
    assert choice.count == 4 and "not measurable" in choice.reason


def test_the_run_queue_is_read_from_loadavg_without_the_reading_thread(tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("0.52 0.58 0.59 3/467 12345\n")
    assert other_runnable_threads(0.002, loadavg) == 2.0
    assert other_runnable_threads(0.002, tmp_path / "missing") is None


def test_a_spinning_process_counts_as_a_busy_core():
    if not Path("/proc/loadavg").exists():
        pytest.skip("no /proc/loadavg on this system")
    hog = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 30\nwhile time.time() < end: pass"]
    )
    try:
        time.sleep(0.3)  # past the interpreter's start-up, into the loop
        assert other_runnable_threads(0.05) >= 0.9
    finally:
        hog.kill()
        hog.wait()


# ------------------------------------------------------------------------------------------------
# The usable cores: affinity and container quotas


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_cgroup_v2_quota_is_the_smallest_on_the_way_up(tmp_path):
    write(tmp_path / "self", "not a cgroup line\n0::/outer/inner\n")
    write(tmp_path / "root" / "outer" / "inner" / "cpu.max", "max 100000\n")
    write(tmp_path / "root" / "outer" / "cpu.max", "150000 100000\n")
    write(tmp_path / "root" / "cpu.max", "400000 100000\n")
    assert cpu_quota(tmp_path / "root", tmp_path / "self") == 1.5


def test_a_cgroup_v1_quota_and_no_quota(tmp_path):
    write(tmp_path / "self", "4:cpu,cpuacct:/job\n3:memory:/job\n")
    job = tmp_path / "root" / "cpu,cpuacct" / "job"
    write(job / "cpu.cfs_quota_us", "-1\n")
    write(job / "cpu.cfs_period_us", "100000\n")
    assert cpu_quota(tmp_path / "root", tmp_path / "self") is None
    write(job / "cpu.cfs_quota_us", "250000\n")
    assert cpu_quota(tmp_path / "root", tmp_path / "self") == 2.5
    assert cpu_quota(tmp_path / "root", tmp_path / "missing") is None


def test_usable_cores_are_the_affinity_capped_by_the_quota(monkeypatch):
    a_machine_with(16, monkeypatch)
    monkeypatch.setattr(cores_module, "cpu_quota", lambda: None)
    assert usable_cores() == 16
    monkeypatch.setattr(cores_module, "cpu_quota", lambda: 2.5)
    assert usable_cores() == 3
    monkeypatch.setattr(cores_module, "cpu_quota", lambda: 0.2)
    assert usable_cores() == 1


# ------------------------------------------------------------------------------------------------
# The recipe field and the run


def test_threads_default_to_auto_and_bad_values_get_one_message():
    base = {"data": "iris", "model": "mlp", "train": {"steps": 1}}
    assert validate_recipe(base).train.threads == "auto"
    for bad in (0, "many", [1, 2]):
        with pytest.raises(ConfigError) as caught:
            validate_recipe({**base, "train": {"steps": 1, "threads": bad}})
        message = f"must be 'auto' or a number of threads, 1 or more (got {bad!r})"
        assert caught.value.problems == [Problem("train.threads", message)]


def test_the_run_trains_with_the_choice_and_its_summary_says_why(monkeypatch):
    a_machine_with(2, monkeypatch)
    monkeypatch.setattr(cores_module, "cpu_quota", lambda: None)
    monkeypatch.setattr(threads_module, "other_runnable_threads", load_of(1.0))
    quick = {"data": "iris", "model": "mlp", "steps": 2, "save": False}
    torch.set_num_threads(2)
    busy = trainlab.fit(**quick, overrides=["train.progress=false"])
    assert torch.get_num_threads() == 1
    assert busy.summary["run"]["threads"] == {
        "count": 1,
        "reason": "2 usable cores; 1.0 threads of other processes ready to run at start-up",
    }
    chosen = trainlab.fit(**quick, overrides=["train.progress=false", "train.threads=2"])
    assert torch.get_num_threads() == 2
    assert chosen.summary["run"]["threads"] == {"count": 2, "reason": "train.threads"}
