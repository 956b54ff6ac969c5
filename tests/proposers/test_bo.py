"""The default proposer (GP + qLogNEHVI / ParEGO / qLogNEI over a candidate pool) and the
surrogate NSGA-II proposer on a full synthetic NB201-shaped table."""

import numpy as np
import pytest
import torch

import predictnas as pn
from predictnas.exceptions import InvalidSpecError
from predictnas.pareto import hv_ratio
from predictnas.proposers import BayesOptProposer, SurrogateNSGA2Proposer, initial_design_size
from predictnas.proposers._bo import refit_schedule

OBJ = {"acc": "maximize", "flops": "minimize"}


@pytest.fixture(scope="module")
def table(nb201_table, nb201):
    return pn.TableEvaluator(nb201_table, nb201, ["acc", "flops", "latency"], cheap=["flops", "latency"])


@pytest.fixture(scope="module")
def all_F(table):
    Y = np.array([[float(r["acc"]), float(r["flops"])] for r in table.rows])
    return Y * np.array([-1.0, 1.0])


def run(space, table, proposer, n, *, seed=0, objectives=None, batch=4, cheap=False, **kwargs):
    study = pn.create_study(space=space, objectives=objectives or OBJ, proposer=proposer, seed=seed, **kwargs)
    if cheap:
        study.cheap_function = table.cheap_statistics
    while len(study.trials) < n:
        for trial in study.ask(batch):
            if trial.state is pn.TrialState.RUNNING:
                study.tell(trial, {k: v for k, v in table.evaluate(trial.arch).values.items() if k in study.metric_names})
    return study


def test_bo_finds_a_better_front_than_random_with_the_same_budget(nb201, table, all_F):
    ratios = {}
    for proposer in ("random", "bo"):
        study = run(nb201, table, proposer, 32, seed=3)
        assert len({t.key for t in study.trials}) == 32  # never proposes a seen architecture
        ratios[proposer] = hv_ratio(study.objective_matrix(study.trials), all_F)
    assert ratios["bo"] > ratios["random"], ratios


def test_initial_design_and_refit_schedule():
    assert initial_design_size(pn.load_space("nb201")) == 8
    assert initial_design_size(pn.load_space("ofa_mbv3")) == 20
    sizes = [refit_schedule(n, 0.2) for n in range(4, 300)]
    assert sizes == sorted(sizes) and all(s <= n for s, n in zip(sizes, range(4, 300)))
    assert refit_schedule(200, 0.2) >= 200 / 1.2 and len(set(sizes)) < 25  # refits are amortised


def test_cheap_objective_is_not_modelled_and_exact_constraints_filter_the_pool(nb201, table):
    objectives = [pn.Objective("acc", "maximize"), pn.Objective("flops", "minimize", cheap=True)]
    study = run(nb201, table, "bo", 24, objectives=objectives, cheap=True, constraints=["latency <= 1.6"])
    ctx = study._context()
    from predictnas.proposers._targets import Targets

    targets = Targets.of(ctx)
    assert targets.exact == (1,) and targets.modelled == (0,) and targets.exact_constraints == (0,)
    model_steps = [t for t in study.trials if t.step >= 2]  # after the 8 random initial trials
    assert model_steps and all(t.values["latency"] <= 1.6 for t in model_steps)
    assert any(t.values["latency"] > 1.6 for t in study.trials if t.step < 2)  # the random ones do break it


def test_modelled_constraint_single_objective_and_parego(nb201, table):
    study = run(nb201, table, "bo", 20, constraints=["latency <= 1.6"], objectives={**OBJ, "latency": "minimize"},
                proposer_options={"acquisition": "parego"})
    assert len({t.key for t in study.trials}) == 20
    single = run(nb201, table, "bo", 24, objectives={"acc": "maximize"}, seed=1)
    best = max(float(r["acc"]) for r in table.rows)
    found = max(t.values["acc"] for t in single.trials)
    rand = run(nb201, table, "random", 24, objectives={"acc": "maximize"}, seed=1)
    assert found >= max(t.values["acc"] for t in rand.trials) and found > best - 1.0


def test_generated_pool_when_the_space_is_too_large_to_enumerate(nb201, table):
    study = run(nb201, table, "bo", 16, proposer_options={"exhaustive_limit": 0, "pool_size": 600})
    assert study.proposer.last_step["pool"] >= 550  # all new architectures, after deduplication
    assert len({t.key for t in study.trials}) == 16


def test_surrogate_nsga2_proposer(nb201, table, all_F):
    study = run(nb201, table, "nsga2-surrogate", 24, seed=2, proposer_options={"generations": 10, "pop_size": 40})
    assert len({t.key for t in study.trials}) == 24
    assert isinstance(study.proposer, SurrogateNSGA2Proposer)


def test_bad_options_are_clear_errors(nb201):
    for options, word in [({"acquisition": "ei"}, "acquisition"), ({"encoding": "x"}, "encoding"), ({"shortlist": 0}, "shortlist"),
                          ({"min_success": 1.5}, "min_success"), ({"nehvi_limit": 0}, "nehvi_limit"),
                          ({"success_caution": -1}, "success_caution"), ({"min_success": "high"}, "min_success")]:
        with pytest.raises(InvalidSpecError, match=word):
            pn.create_study(space=nb201, objectives=OBJ, proposer_options=options)
    with pytest.raises(InvalidSpecError, match="surrogate"):
        pn.create_study(space=nb201, objectives=OBJ, proposer="nsga2-surrogate", proposer_options={"surrogate": "mlp"})
    assert isinstance(pn.create_study(space=nb201, objectives=OBJ).proposer, BayesOptProposer)  # the default


def test_an_input_choice_cell_space_runs_end_to_end_on_a_table(tmp_path):
    """nasnet_cell is too large to enumerate raw (562,500), so the pool is generated; its table holds
    one row per functionally distinct cell and answers every equivalent one."""
    import csv

    from predictnas.encoders import CellStatistics

    space = pn.load_space("nasnet_cell")
    unique = [arch for _, arch in space.enumerate_unique(10**6)]
    stats = CellStatistics(space.cell).transform(unique)  # live op counts, paths, depths (scaled)
    with open(tmp_path / "nasnet.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*space.param_names, "acc", "params"])
        for arch, s in zip(unique, stats):
            writer.writerow([arch[p] for p in space.param_names] + [60 + 20 * s[0] + 25 * s[1] + 10 * s[7], 1 + 3 * s[0] + 5 * s[1]])
    table = pn.TableEvaluator(tmp_path / "nasnet.csv", space, ["acc", "params"])
    study = pn.create_study(space=space, objectives={"acc": "maximize", "params": "minimize"}, seed=0,
                            proposer_options={"pool_size": 2000})
    study.optimize(table, 28, batch_size=4)
    assert all(t.state.value == "complete" for t in study.trials) and len({t.key for t in study.trials}) == 28
    assert study.proposals[-1]["model"] == "gp" and study.proposals[-1]["pool"] >= 1500


def test_a_surrogate_without_a_joint_posterior_proposes_through_its_samples(nb201, table, all_F):
    """xgboost offers joint samples (its members), not a botorch posterior: qLogNEHVI runs on them."""
    study = run(nb201, table, "bo", 24, seed=3, surrogate={"name": "xgboost"})
    assert study.proposer.surrogate == "xgboost" and study.proposals[-1]["model"] == "xgboost"
    rand = run(nb201, table, "random", 24, seed=3)
    assert hv_ratio(study.objective_matrix(study.trials), all_F) > hv_ratio(rand.objective_matrix(rand.trials), all_F)


def test_structured_failures_are_learned_not_repeated(nb201, table, tmp_path):
    """Every cell with two or more 3x3 convolutions fails (like a memory limit): after the initial
    design the proposer's success model keeps the failed share far below the 18 % base rate. The
    success model's hyperparameters are refitted on a schedule, so a study resumed in a fresh
    process (nothing cached) proposes exactly what the uninterrupted one did."""
    def fails(arch):
        return sum(v == "nor_conv_3x3" for v in arch.values()) >= 2

    def advance(study, n):
        while len(study.trials) < n:
            for trial in study.ask(4):
                if trial.state is pn.TrialState.RUNNING:
                    if fails(trial.arch):
                        study.tell(trial, state="failed", error="CUDA out of memory")
                    else:
                        study.tell(trial, {k: v for k, v in table.evaluate(trial.arch).values.items() if k in OBJ})

    rate = np.mean([fails(a) for a in nb201.enumerate()])
    study = pn.create_study(space=nb201, objectives=OBJ, seed=4, storage=tmp_path / "a.db")
    advance(study, 40)
    later = [t for t in study.trials if t.number >= 16]
    assert 0.1 < rate and np.mean([t.state.value == "failed" for t in later]) <= rate / 2
    assert any(p.get("feasibility") for p in study.proposals)
    part = pn.create_study(space=nb201, objectives=OBJ, seed=4, storage=tmp_path / "b.db")
    advance(part, 20)
    part.close()
    resumed = pn.load_study(tmp_path / "b.db")
    advance(resumed, 32)
    assert [(t.key, t.state) for t in resumed.trials] == [(t.key, t.state) for t in study.trials[:32]]
    assert sum(t.state.value == "failed" for t in study.trials[:20]) >= 1  # the success model was at work


def test_qlognehvi_never_compiles_botorch_s_native_kernel(nb201, table, monkeypatch):
    """botorch's fused kernel is compiled with -march=native behind a lock file that a killed process
    leaves behind (every later process then waits for ever): the proposer stays on the portable path."""
    import torch.utils.cpp_extension
    from botorch.acquisition.multi_objective import logei

    compiles = []
    monkeypatch.setattr(logei, "_load_attempted", False)
    monkeypatch.setattr(logei, "_C", None)
    monkeypatch.setattr(torch.utils.cpp_extension, "load", lambda *a, **k: compiles.append(k.get("name")))
    study = run(nb201, table, "bo", 12)
    assert study.proposals[-1]["model"] == "gp" and compiles == [] and logei._C is None


def test_the_acquisition_switches_by_objectives_and_data_size_and_is_recorded(nb201, table):
    """qLogNEHVI for 2 objectives up to ``nehvi_limit`` complete trials, then qLogEHVI with a fixed
    partitioning (Kriging believer); 3 objectives always take the latter; one objective qLogNEI."""
    two = run(nb201, table, "bo", 28, proposer_options={"nehvi_limit": 16, "shortlist": 64})
    modes = [p.get("acquisition") for p in two.proposals if p.get("model") == "gp"]
    assert modes[0] == "qlognehvi" and modes[-1] == "qlogehvi" and set(modes) == {"qlognehvi", "qlogehvi"}
    three = run(nb201, table, "bo", 16, objectives={**OBJ, "latency": "minimize"}, proposer_options={"shortlist": 64})
    assert three.proposals[-1]["acquisition"] == "qlogehvi" and len({t.key for t in three.trials}) == 16
    single = run(nb201, table, "bo", 12, objectives={"acc": "maximize"})
    assert single.proposals[-1]["acquisition"] == "single"


@pytest.mark.parametrize(("acquisition", "cheap"), [("qlogehvi", False), ("qlogehvi", True), ("qlognehvi", True)])
def test_lazy_greedy_picks_the_batch_that_full_greedy_picks(nb201, table, monkeypatch, acquisition, cheap):
    """qLogEHVI (3 objectives) and qLogNEHVI (2) rescored lazily (only candidates whose last value
    could still win) choose the same batch of 8 here as ``lazy=False`` (every candidate rescored
    at every greedy step), rescoring fewer than half the rows. (Exact for qLogEHVI up to the log
    smoothing; for qLogNEHVI approximate: whole benchmark runs can diverge, see the README.)"""
    from predictnas.proposers import _acquisition

    objectives = [pn.Objective("acc", "maximize"), pn.Objective("flops", "minimize", cheap=cheap)]
    if acquisition == "qlogehvi":
        objectives.append(pn.Objective("latency", "minimize"))
    study = run(nb201, table, "random", 40, objectives=objectives, cheap=cheap, seed=5)
    ctx = study._context()
    picks, scored = [], {}
    for name in ("_lazy_rescore", "_full_rescore"):
        def counted(score, stale, f=getattr(_acquisition, name), name=name):
            return f(lambda rows: scored.__setitem__(name, scored.get(name, 0) + len(rows)) or score(rows), stale)

        monkeypatch.setattr(_acquisition, name, counted)
    for lazy in (True, False):
        proposer = BayesOptProposer(acquisition=acquisition, shortlist=128, lazy=lazy)
        picks.append([nb201.canonical_key(a) for a in proposer.propose(ctx, 8, rng=np.random.default_rng(0))])
    assert picks[0] == picks[1] and len(set(picks[0])) == 8
    assert scored["_full_rescore"] == 7 * 128 and scored["_lazy_rescore"] < scored["_full_rescore"] / 2


@pytest.mark.parametrize("n_objectives", [3, 2])
def test_the_incrementally_partitioned_front_gives_the_batch_a_new_partitioning_gives(nb201, table, monkeypatch,
                                                                                      n_objectives):
    """qLogEHVI's Kriging-believer steps add each chosen row's mean to the front's box
    partitioning with botorch's incremental update: the batch of 8 is the one partitioning the
    whole believed front anew at every step gives (3 objectives: Lacour's update; 2: recomputed)."""
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    objectives = [pn.Objective("acc", "maximize"), pn.Objective("flops", "minimize"),
                  pn.Objective("latency", "minimize")][:n_objectives]
    ctx = run(nb201, table, "random", 24, objectives=objectives, seed=7)._context()
    proposer = BayesOptProposer(acquisition="qlogehvi", shortlist=64)
    incremental = [nb201.canonical_key(a) for a in proposer.propose(ctx, 8, rng=np.random.default_rng(0))]
    updates = []

    def anew(self, Y):  # what the believer did before: the whole front partitioned again
        updates.append(len(Y))
        self.__init__(ref_point=-self._neg_ref_point, Y=torch.cat([self.Y, Y]))

    monkeypatch.setattr(FastNondominatedPartitioning, "update", anew)
    again = [nb201.canonical_key(a) for a in proposer.propose(ctx, 8, rng=np.random.default_rng(0))]
    assert again == incremental and len(set(incremental)) == 8 and len(updates) >= 4


@pytest.mark.parametrize(("acquisition", "n_objectives"), [("qlognehvi", 2), ("qlogehvi", 3), ("parego", 3), ("auto", 1)])
def test_the_posterior_computed_once_on_the_support_picks_the_batch_the_gp_picks(nb201, table, monkeypatch,
                                                                                 acquisition, n_objectives):
    """The GP's joint posterior on the acquisition's support rows (baseline, shortlist, pending),
    computed once and gathered by row, proposes the batch of 8 that asking the GP itself about
    every joint set proposes, in every acquisition mode."""
    from predictnas.surrogates import GPSurrogate, _gp

    objectives = [pn.Objective("acc", "maximize"), pn.Objective("flops", "minimize"),
                  pn.Objective("latency", "minimize")][:n_objectives]
    ctx = run(nb201, table, "random", 24, objectives=objectives, seed=3)._context()
    proposer = BayesOptProposer(acquisition=acquisition, shortlist=64)
    supports = []
    monkeypatch.setattr(_gp, "support_gp", lambda model, X, f=_gp.support_gp: supports.append(len(X)) or f(model, X))
    gathered = [nb201.canonical_key(a) for a in proposer.propose(ctx, 8, rng=np.random.default_rng(0))]
    plain = GPSurrogate.acquisition_model
    monkeypatch.setattr(GPSurrogate, "acquisition_model", lambda self, support=None, **kw: plain(self, None, **kw))
    asked = [nb201.canonical_key(a) for a in proposer.propose(ctx, 8, rng=np.random.default_rng(0))]
    assert gathered == asked and len(set(gathered)) == 8
    assert len(supports) == 1 and supports[0] > 64  # the shortlist and the observed baseline, posterior computed once


def test_cheap_statistics_named_in_features_are_model_inputs(nb201, table, all_F):
    """``features=`` adds cheap statistics that are no objective to the GP's inputs (their own
    kernel term): an oracle statistic (the accuracy itself) gives a better front than none, and
    a statistic the study cannot look up is a clear error."""
    def oracle(arch):
        return {"oracle": table.evaluate(arch).values["acc"]}

    ratios = {}
    for features in ((), "oracle"):
        study = pn.create_study(space=nb201, objectives=OBJ, seed=2, proposer_options={"features": features})
        study.cheap_function = oracle
        while len(study.trials) < 20:
            for trial in study.ask(4):
                study.tell(trial, {k: v for k, v in table.evaluate(trial.arch).values.items() if k in OBJ})
        ratios[features] = hv_ratio(study.objective_matrix(study.trials), all_F)
    assert ratios["oracle"] > ratios[()], ratios
    study = pn.create_study(space=nb201, objectives=OBJ, seed=2, proposer_options={"features": ["proxy"]})
    study.cheap_function = oracle
    for trial in study.ask(8):
        study.tell(trial, {k: v for k, v in table.evaluate(trial.arch).values.items() if k in OBJ})
    with pytest.raises(InvalidSpecError, match=r"features=\['proxy'\].*give no \['proxy'\].*they give \['oracle'\]"):
        study.ask(4)
    with pytest.raises(InvalidSpecError, match="features must be names"):
        BayesOptProposer(features=[3])
    with pytest.raises(InvalidSpecError, match="lazy must be true or false; got 'False'"):
        BayesOptProposer(lazy="False")  # as a command line's KEY=VALUE would give it
    # optimize() looks them up with the evaluator's cheap statistics (no objective is cheap here)
    study = pn.create_study(space=nb201, objectives=OBJ, seed=2, proposer_options={"features": "latency", "n_initial": 4})
    study.optimize(pn.TableEvaluator(table.path, nb201, ["acc", "flops"], cheap=["latency"]), 12, batch_size=4)
    assert [p["model"] for p in study.proposals] == ["random", "gp", "gp"] and study.cheap_function is None
    # a name the evaluator does not give stops the run before anything is evaluated
    study = pn.create_study(space=nb201, objectives=OBJ, seed=2, proposer_options={"features": "latncy"})
    with pytest.raises(InvalidSpecError, match=r"gives no \['latncy'\] \(it gives \['latency'\]\)"):
        study.optimize(pn.TableEvaluator(table.path, nb201, ["acc", "flops"], cheap=["latency"]), 12, batch_size=4)
    assert not study.trials


def test_the_pool_is_every_distinct_architecture_when_there_are_few_enough():
    """NAS-Bench-Graph's space has 157,464 raw combinations but 25,478 distinct cells (9 allowed link
    patterns, isomorphic cells merged): the pool is all of them, not a generated sample."""
    space = pn.load_space("nas_bench_graph")
    proposer = BayesOptProposer()
    proposer._prepare(space)
    assert space.raw_size() == 157_464 and len(proposer._all) == 25_478
    small = BayesOptProposer(exhaustive_limit=20_000)
    small._prepare(space)
    assert small._all is None  # more distinct cells than the limit: a generated pool
