"""Dask distributed: a real LocalCluster (2 worker processes); a worker killed mid-run loses nothing."""

import os
import signal
import threading

import pytest
from _faulty import Faulty, Synthetic, kind

import predictnas as pn

distributed = pytest.importorskip("distributed", reason="Dask tests need `pip install predictnas[dask]`")
dask = pytest.importorskip("dask")

pytestmark = pytest.mark.slow
OBJECTIVES = {"acc": "maximize", "flops": "minimize"}


@pytest.fixture
def client():
    # allowed-failures=0: a task whose worker dies fails at once instead of being re-run by Dask,
    # so that the trial shows the failure and predictnas's own retry runs it again
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
        yield client
        client.close()
        cluster.close()


def test_killed_worker_marks_its_trial_failed_and_the_retry_completes(client, tmp_path):
    study = pn.create_study(proposer="random", space="nb201", objectives=OBJECTIVES, seed=4, storage=tmp_path / "d.db")
    victim = next(iter(client.run(os.getpid).values()))
    threading.Timer(2.0, os.kill, (victim, signal.SIGKILL)).start()
    study.optimize(Synthetic(delay=0.5, payload_mb=8), 16, executor=client, retries=2)
    trials = study.trials
    complete = [t for t in trials if t.state.value == "complete"]
    assert len(complete) == 16 and len({t.key for t in complete}) == 16
    failed = [t for t in trials if t.state.value == "failed"]
    assert failed and all("WorkerLost" in t.error for t in failed)
    for t in failed:  # every failure was retried under a new number, same architecture
        assert any(r.user_attrs.get("retry_of") == t.number and r.key == t.key for r in trials)
    assert victim not in {t.user_attrs["pid"] for t in trials if t.number > max(f.number for f in failed)}
    # the evaluator (and its 8 MB payload) reached each worker once, also the restarted one
    assert {t.user_attrs["loads"] for t in complete} == {1}
    assert len({t.user_attrs["pid"] for t in complete}) >= 2


def test_dask_timeouts_and_faults_fail_only_their_trials(client):
    study = pn.create_study(proposer="random", space="nb201", objectives=OBJECTIVES, seed=8)
    study.optimize(Faulty(), 16, executor=client, timeout=2.0)
    assert len(study.trials) == 16
    kinds = {kind(t.arch) for t in study.trials}
    assert "hang" in kinds and "ok" in kinds
    for t in study.trials:
        assert (t.state.value == "complete") == (kind(t.arch) == "ok"), (kind(t.arch), t.error)
        if kind(t.arch) == "hang":
            assert "EvaluationTimeout" in t.error


DEFINITION = """
schema_version = 1
kind = "study"
name = "cli-dask"
seed = 2
space = "nb201"
storage = "cli.db"
budget = 12
[objectives]
acc = "maximize"
flops = "minimize"
[evaluator]
type = "function"
entry_point = "_faulty:synthetic"
[proposer]
name = "random"
"""


def test_cli_runs_on_a_scheduler_address_and_resumes_with_local_workers(client, tmp_path, capsys):
    from predictnas.cli import main

    (tmp_path / "s.toml").write_text(DEFINITION)
    address = client.scheduler.address
    assert main(["run", str(tmp_path / "s.toml"), "--no-progress", "--scheduler", address, "--timeout", "30"]) == 0
    assert main(["resume", str(tmp_path / "cli.db"), "--budget", "20", "--no-progress", "--workers", "2"]) == 0
    study = pn.load_study(tmp_path / "cli.db", readonly=True)
    assert len(study.trials) == 20 and all(t.state.value == "complete" for t in study.trials)
    assert len({t.key for t in study.trials}) == 20
    pids = {t.user_attrs["pid"] for t in study.trials}
    assert os.getpid() not in pids and len(pids) >= 3  # Dask workers, then local worker processes
    bad = ["run", str(tmp_path / "s.toml"), "--storage", str(tmp_path / "x.db"), "--scheduler", "tcp://127.0.0.1:1"]
    assert main(bad) == 2 and not (tmp_path / "x.db").exists()
    assert "Cannot reach the Dask scheduler" in capsys.readouterr().err


def test_a_study_run_again_replaces_the_plugin_a_killed_client_left(client):
    from predictnas.executors._dask import DaskExecutor

    for _ in range(3):  # never shut down, like a client killed mid-run
        DaskExecutor(client, Synthetic(), name="same-study")
    plugins = client.run(lambda dask_worker: sorted(p for p in dask_worker.plugins if p.startswith("predictnas-")))
    assert plugins and all(names == ["predictnas-same-study"] for names in plugins.values())
