"""Warm starts from earlier studies: checked sources, a self-contained study file, exact resume."""

import textwrap

import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError, StudyNotFoundError

OBJ = {"acc": "maximize", "flops": "minimize"}


def _metrics(shift=0.0):
    import zlib

    def evaluate(arch):
        conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
        noise = (zlib.crc32(repr(sorted(arch.items())).encode()) % 1000) / 1000
        return {"acc": 60 + 2.0 * conv + 3 * noise + shift, "flops": 5 + 1.5 * conv + noise, "lat": 1 + 0.1 * conv}

    return pn.FunctionEvaluator(evaluate)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("source") / "c10.db"
    study = pn.create_study(space="nb201", objectives=OBJ, storage=path, seed=0, constraints=["lat <= 10"])
    study.optimize(_metrics(), 24, batch_size=4)
    study.close()
    return path


def test_a_warm_started_study_records_its_sources_and_starts_from_their_front(source, tmp_path):
    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "latency": "minimize"}, seed=1,
                            storage=tmp_path / "c100.db", warm_start=[{"path": source, "map": {"latency": "lat"}}])
    record = study.definition["warm_start"][0]
    assert record["path"] == str(source) and len(record["sha256"]) == 64 and record["map"] == {"acc": "acc", "latency": "lat"}
    assert len(record["trials"]) == 24
    evaluator = pn.FunctionEvaluator(lambda a: {"acc": _metrics(3.0).evaluate(a).values["acc"],
                                                "latency": _metrics().evaluate(a).values["lat"]})
    study.optimize(evaluator, 16, batch_size=4)
    assert [p["model"] for p in study.proposals] == ["warm-start front", "warm-start front", "gp", "gp"]
    earlier = pn.load_study(source, readonly=True)
    front = {t.key for t in earlier.pareto_front()}
    assert {t.key for t in study.trials[:4]} <= {t.key for t in earlier.trials}  # the first batch comes from the source
    assert front & {t.key for t in study.trials[:8]}


def test_resume_of_a_warm_started_study_is_exact_even_when_the_source_is_gone(source, tmp_path):
    import shutil

    moved = tmp_path / "moved.db"
    shutil.copyfile(source, moved)
    kwargs = dict(space="nb201", objectives=OBJ, seed=2, warm_start=[moved], proposer_options={"shortlist": 64})
    straight = pn.create_study(storage=tmp_path / "a.db", **kwargs)
    straight.optimize(_metrics(2.0), 20, batch_size=4)
    part = pn.create_study(storage=tmp_path / "b.db", **kwargs)
    part.optimize(_metrics(2.0), 12, batch_size=4)
    part.close()
    moved.unlink()  # the study file holds the source's trials: nothing to re-read
    resumed = pn.load_study(tmp_path / "b.db")
    resumed.optimize(_metrics(2.0), 8, batch_size=4)
    assert [(t.key, t.values) for t in resumed.trials] == [(t.key, t.values) for t in straight.trials]


def test_bad_sources_are_clear_errors(source, tmp_path):
    with pytest.raises(InvalidSpecError, match="searches space 'nasnet_cell', not this study's 'nb201'"):
        other = pn.create_study(space="nasnet_cell", objectives=OBJ, storage=tmp_path / "o.db")
        other.close()
        pn.create_study(space="nb201", objectives=OBJ, warm_start=[tmp_path / "o.db"])
    with pytest.raises(StudyNotFoundError, match="no such study file"):
        pn.create_study(space="nb201", objectives=OBJ, warm_start=[tmp_path / "missing.db"])
    with pytest.raises(InvalidSpecError, match="finds none"):
        pn.create_study(space="nb201", objectives={"acc": "maximize", "latency": "minimize"},
                        warm_start=[{"path": source, "map": {"latency": "energy"}}])
    with pytest.raises(InvalidSpecError, match="give a study file path"):
        pn.create_study(space="nb201", objectives=OBJ, warm_start=[{"file": source}])
    assert not (tmp_path / "s.db").exists()


def test_a_study_definition_takes_warm_start_sources_relative_to_itself(source, tmp_path):
    import shutil

    shutil.copyfile(source, tmp_path / "c10.db")
    (tmp_path / "s.toml").write_text(textwrap.dedent('''
        schema_version = 1
        kind = "study"
        name = "s"
        space = "nb201"
        budget = 4
        warm_start = [{ path = "c10.db", map = { latency = "lat" } }]
        [objectives]
        acc = "maximize"
        latency = "minimize"
        [evaluator]
        type = "function"
        entry_point = "predictnas.examples.digits:train_and_evaluate"
    '''))
    from predictnas.study import run_definition

    study, _ = run_definition(tmp_path / "s.toml")
    assert study.definition["warm_start"][0]["map"] == {"acc": "acc", "latency": "lat"}
    study.close()


def test_the_shortlist_ranks_candidates_by_the_objectives_only(source, tmp_path, monkeypatch):
    """The earlier studies' predictions are model inputs, not objectives: the shortlist's
    non-dominated sorting sees the 2 objectives' optimistic bounds, not the 2 transfer columns
    (which once entered it as objectives to maximise, predicted FLOPs included)."""
    from predictnas.proposers import _bo

    widths = []
    rank = _bo.rank_and_crowding
    monkeypatch.setattr(_bo, "rank_and_crowding", lambda F, n: widths.append(F.shape[1]) or rank(F, n))
    study = pn.create_study(space="nb201", objectives=OBJ, seed=1, warm_start=[source], proposer_options={"shortlist": 64})
    study.optimize(_metrics(1.0), 16, batch_size=4)
    assert widths and set(widths) == {2}
