"""The fast cases of benchmarks/chaos.py: corrupted files, fuzzed input, faulty evaluators, two writers."""

import importlib.util
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos.py"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chaos():
    spec = importlib.util.spec_from_file_location("predictnas_chaos_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def setup(chaos, tmp_path_factory):
    work = tmp_path_factory.mktemp("chaos")
    os.chmod(work, 0o755)
    table, metrics, _ = chaos.find_table(None, work)
    return work, table, metrics, chaos.Workbench(work / "bench", table, metrics)


def test_every_corruption_case_gives_one_clear_error_and_keeps_the_intact_trials(chaos, setup):
    cases = chaos.corruption_cases(setup[3])
    assert len(cases) >= 15
    failed = [c for c in cases if not c["passed"]]
    assert not failed, failed
    # the salvage really recovers data from damaged files, not just an empty export
    assert any(c["case"].startswith("truncated to 60") and c["rows_recovered"] > 20 for c in cases)
    assert any(c["case"].startswith("flipped byte in event data") and c["rows_recovered"] > 20 for c in cases)


def test_fuzzed_specs_definitions_and_values_never_give_an_internal_traceback(chaos, setup):
    work, table, metrics, _ = setup
    log = chaos.fuzz(40, work, table=table, metrics=metrics)
    assert log.internal == []
    assert log.outcomes["accepted"] > 0 and log.outcomes["clear_error"] > 0  # the fuzzer reaches both sides


def test_fuzz_log_counts_internal_errors(chaos):
    log = chaos.FuzzLog()
    log.run("x", lambda: {}["missing"], "input")
    log.run("x", lambda: None, "input")
    assert log.outcomes == {"accepted": 1, "clear_error": 0, "internal": 1} and "KeyError" in log.internal[0]["error"]


def test_faulty_evaluators_fail_only_their_trials(chaos, setup):
    _, table, metrics, _ = setup
    rows = chaos.evaluator_faults(table, metrics, n_trials=24)
    assert all(r["passed"] for r in rows), rows
    assert all(r["hung"] and r["raised"] and r["nan"] for r in rows)


def test_a_second_writer_is_refused_and_the_file_stays_whole(chaos, setup):
    result = chaos.two_writers(setup[3])
    assert result["passed"], result


def test_forged_files_run_nothing_and_ordinary_faults_stop_cleanly(chaos, setup):
    adversarial = chaos.adversarial_cases(setup[3])
    assert len(adversarial) == 5 and all(c["passed"] for c in adversarial), adversarial
    faults = chaos.fault_cases(setup[3])
    assert len(faults) == 6 and all(c["passed"] for c in faults), faults
