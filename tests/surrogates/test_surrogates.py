"""Surrogates on a structured synthetic NB201 problem: shapes, rank quality, calibration, botorch."""

import zlib

import numpy as np
import pytest

import predictnas as pn
from predictnas.exceptions import InvalidSpecError, InvalidValuesError, NotFittedError
from predictnas.encoders import ArchFeatures
from predictnas.surrogates import GPSurrogate, XGBoostSurrogate, cross_validate, make_surrogate, rank_quality


def _metrics(arch):
    conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
    none = sum(v == "none" for v in arch.values())
    noise = (zlib.crc32(repr(sorted(arch.items())).encode()) % 1000) / 1000
    return 60 + 2.0 * conv - 1.5 * none + 3 * noise, 5 + 1.5 * conv + noise


@pytest.fixture(scope="module")
def problem():
    space = pn.load_space("nb201")
    rng = np.random.default_rng(1)
    archs = space.sample(700, rng=rng)
    Y = np.array([_metrics(a) for a in archs])
    return space, archs, Y


# 90 % intervals on 600 held-out points after 100 labels. The quantile model fits its quantiles
# to the training residuals, which are smaller than held-out ones: it under-covers where the
# target is hard (0.65-0.75 on NAS-Bench-201, benchmarks/predictors.py; 0.93 on this easy one),
# which is why the bootstrap ensemble with out-of-bag calibration is the default.
@pytest.mark.parametrize("name, coverage", [("xgboost", (0.8, 0.98)), ("xgboost-quantile", (0.5, 0.98)), ("gp", (0.8, 0.98))])
def test_surrogates_rank_held_out_architectures_and_cover_90_percent(problem, name, coverage):
    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    model = make_surrogate(name).fit(X[:100], Y[:100])
    mean, std = model.predict(X[100:])
    assert mean.shape == std.shape == (600, 2) and (std > 0).all()
    low, high = model.interval(X[100:], 0.9)
    q = rank_quality(Y[100:, 0], mean[:, 0], low[:, 0], high[:, 0], top=0.1)
    assert q["spearman"] > 0.8 and q["kendall"] > 0.6, q
    assert coverage[0] <= q["coverage"] <= coverage[1], q
    # a random predictor ranks nothing: the metric can fail
    assert abs(rank_quality(Y[100:, 0], np.random.default_rng(0).random(600))["spearman"]) < 0.15
    draws = model.sample(X[100:110], 64, np.random.default_rng(0))
    assert draws.shape == (64, 10, 2)
    assert np.allclose(draws.mean(axis=0), mean[:10], atol=4 * std[:10].max())


@pytest.mark.parametrize("encoding", ["tabular", "path", "graph", "sequence"])
def test_every_encoding_feeds_the_surrogates(problem, encoding):
    space, archs, Y = problem
    features = ArchFeatures(encoding).fit(space)
    X = features.transform(archs)
    assert X.ndim == 2 and len(X) == 700
    gp = GPSurrogate(cat_dims=features.cat_dims_).fit(X[:60], Y[:60, :1])
    xgb = XGBoostSurrogate(n_members=4).fit(X[:60], Y[:60, :1])
    for model in (gp, xgb):
        mean, _ = model.predict(X[60:])
        assert rank_quality(Y[60:, 0], mean[:, 0])["spearman"] > 0.5


def test_gp_plugs_into_botorch_acquisition(problem):
    import torch
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement

    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    signs = np.array([1.0, -1.0])  # maximise acc, minimise flops
    from botorch.sampling import SobolQMCNormalSampler

    gp = GPSurrogate().fit(X[:20], Y[:20] * signs)
    train = gp.transform_inputs(X[:20])
    acq = qLogNoisyExpectedHypervolumeImprovement(gp.model, ref_point=torch.tensor((Y[:20] * signs).min(axis=0) - 1.0),
                                                  X_baseline=train, prune_baseline=True,
                                                  sampler=SobolQMCNormalSampler(torch.Size([32]), seed=0))
    values = acq(gp.transform_inputs(X[40:80]).unsqueeze(1))
    assert values.shape == (40,) and torch.isfinite(values).all()


def test_ensemble_calibration_widens_overconfident_members(problem):
    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    raw = XGBoostSurrogate(calibration=1.0).fit(X[:100], Y[:100])
    tuned = XGBoostSurrogate().fit(X[:100], Y[:100])
    cover = [rank_quality(Y[100:, 0], *[m.predict(X[100:])[0][:, 0]], *[b[:, 0] for b in m.interval(X[100:])])["coverage"]
             for m in (raw, tuned)]
    assert tuned.calibration_ > 1.0 and cover[1] > cover[0]


def test_pretrained_features_predict_cheap_statistics_for_unseen_archs(problem):
    space, archs, Y = problem
    flops = Y[:, 1]
    plain = ArchFeatures("tabular").fit(space)
    pre = ArchFeatures("tabular", pretrain=True).fit(space, archs[100:], cheap={"flops": flops[100:]})
    X = pre.transform(archs[:100])
    assert X.shape[1] == plain.transform(archs[:1]).shape[1] + 1
    assert rank_quality(flops[:100], X[:, -1])["spearman"] > 0.9  # the embedding learnt the statistic
    with pytest.raises(InvalidValuesError, match="cheap statistics"):
        ArchFeatures(cheap=["flops"]).fit(space)


def test_cross_validation_and_bad_input(problem):
    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs[:80])
    q = cross_validate(lambda: XGBoostSurrogate(n_members=4), X, Y[:80], names=["acc", "flops"], rng=np.random.default_rng(0))
    assert set(q) == {"acc", "flops"} and q["acc"]["spearman"] > 0.6 and 0 < q["acc"]["coverage"] <= 1
    with pytest.raises(NotFittedError):
        XGBoostSurrogate().predict(X)
    with pytest.raises(InvalidValuesError, match="NaN"):
        GPSurrogate().fit(X, np.full((80, 1), np.nan))
    with pytest.raises(InvalidValuesError, match="shape"):
        XGBoostSurrogate().fit(X, Y[:10])
    with pytest.raises(ValueError, match="Unknown surrogate"):
        make_surrogate("forest")


def test_study_stores_surrogate_quality_over_time(tmp_path):
    def evaluate(arch):
        acc, flops = _metrics(arch)
        return pn.EvalResult({"acc": acc, "flops": flops}, cheap={"flops_est": flops})

    study = pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0,
                            storage=tmp_path / "s.db", surrogate={"name": "xgboost", "assess_every": 10})
    study.optimize(pn.FunctionEvaluator(evaluate), 40)
    assert [d["n_complete"] for d in study.diagnostics] == [10, 20, 30, 40]
    assert study.diagnostics[-1]["features"] == ["flops_est"]
    assert study.diagnostics[-1]["objectives"]["acc"]["spearman"] > study.diagnostics[0]["objectives"]["acc"]["spearman"] - 0.2
    study.close()
    again = pn.load_study(tmp_path / "s.db", readonly=True)
    assert again.diagnostics == study.diagnostics
    with pytest.raises(InvalidSpecError, match=r"assess_every must be an integer >= 0 \(trials between assessments; 0: never\)"):
        pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize"}, surrogate={"assess_every": -1})
    with pytest.raises(InvalidSpecError, match="encoding"):
        pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize"}, surrogate={"encoding": "one-hot"})


def test_report_shows_predictor_quality_when_the_study_has_diagnostics(tmp_path):
    from predictnas.report import report

    def evaluate(arch):
        acc, flops = _metrics(arch)
        return {"acc": acc, "flops": flops}

    study = pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0,
                            surrogate={"assess_every": 10})
    study.optimize(pn.FunctionEvaluator(evaluate), 20)
    page = report(study, tmp_path / "r.html")
    assert "Predictor quality over time" in page and 'id="predictor"' in page and "acc spearman" in page
    bare = pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0)
    bare.optimize(pn.FunctionEvaluator(evaluate), 5)
    assert "Predictor quality" not in report(bare, tmp_path / "b.html")


def test_the_support_posterior_is_the_gps_joint_posterior_on_those_rows(problem):
    """``acquisition_model(support)`` computes the GP's posterior on the support rows once: any
    joint set of them (a batch of candidates, each with the same baseline rows) gets the mean and
    covariance the GP itself gives, botorch may cache its root, and any other row is refused."""
    import torch
    from botorch.acquisition.cached_cholesky import supports_cache_root

    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    gp = GPSurrogate().fit(X[:60], Y[:60])
    support = X[100:160]
    plain, gathered = gp.acquisition_model(), gp.acquisition_model(support)
    joint = [[0, 1, 2, i] for i in range(10, 40)]  # (30 candidates, 3 baseline rows + the candidate)
    with torch.no_grad():
        want = plain.model.posterior(torch.stack([plain.inputs(support[j]) for j in joint]))
        got = gathered.model.posterior(torch.stack([gathered.inputs(support[j]) for j in joint]))
    assert got.mean.shape == want.mean.shape == (30, 4, 2)
    np.testing.assert_allclose(got.mean.numpy(), want.mean.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got.distribution.covariance_matrix.numpy(), want.distribution.covariance_matrix.numpy(),
                               rtol=1e-8, atol=1e-9)
    assert supports_cache_root(gathered.model)
    exact_column = 3  # the objective functions read exact feature values at ``columns``
    assert (gathered.inputs(support[:5])[:, gathered.columns[exact_column]].numpy() ==
            plain.inputs(support[:5])[:, plain.columns[exact_column]].numpy()).all()
    with pytest.raises(InvalidValuesError, match="outside its support"):
        gathered.inputs(X[:1])


def test_gp_fast_prediction_equals_the_botorch_posterior_and_with_data_keeps_hyperparameters(problem):
    import torch

    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    gp = GPSurrogate().fit(X[:80], Y[:80])
    mean, std = gp.predict_model_space(X[80:300])
    with torch.no_grad():
        post = gp.model.posterior(gp.transform_inputs(X[80:300]), observation_noise=True)
    np.testing.assert_allclose(mean, post.mean.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(std, np.sqrt(post.variance.detach().numpy()), rtol=1e-4, atol=1e-5)
    # in the units of Y: the model-space median mapped back through the warp
    np.testing.assert_allclose(gp.predict(X[80:300])[0], gp.warp_.inverse(mean), rtol=1e-9)
    same = gp.with_data(X[:80], Y[:80])
    np.testing.assert_allclose(same.predict(X[80:300])[0], gp.predict(X[80:300])[0], rtol=1e-6, atol=1e-6)
    more = gp.with_data(X[:200], Y[:200])  # conditioned on more data, same hyperparameters
    lengthscale = lambda g: g.model.models[0].covar_module.lengthscale.detach().numpy()  # noqa: E731
    np.testing.assert_allclose(lengthscale(more), lengthscale(gp))
    assert rank_quality(Y[300:, 0], more.predict(X[300:])[0][:, 0])["spearman"] > \
        rank_quality(Y[300:, 0], gp.predict(X[300:])[0][:, 0])["spearman"] - 0.02


@pytest.mark.parametrize("groups", [None, [list(range(0, 30)), list(range(30, 40))]])
def test_the_direct_kernel_gives_gpytorchs_covariances_to_the_bit(problem, groups):
    """predict_model_space computes its RBF covariances (one kernel, or a sum of scaled ones on
    column groups) without gpytorch's lazy tensors: the same numbers, cross, training and prior."""
    import torch

    from predictnas.surrogates._gp import _covariance

    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    gp = GPSurrogate(groups=groups).fit(X[:60], Y[:60])
    for model in gp.model.models:
        x, train = model.input_transform(gp.transform_inputs(X[60:400])), model.train_inputs[0]
        with torch.no_grad():
            assert torch.equal(_covariance(model.covar_module, x, train), model.covar_module(x, train).to_dense())
            assert torch.equal(_covariance(model.covar_module, train, train), model.covar_module(train).to_dense())
            assert torch.equal(_covariance(model.covar_module, x, None), model.covar_module(x, diag=True))
    assert type(gp.model.models[0].covar_module).__name__ == ("RBFKernel" if groups is None else "AdditiveKernel")


def test_the_fit_without_library_checks_finds_the_same_hyperparameters(problem, monkeypatch):
    """GP fits run with gpytorch's debug checks, lazy kernels and botorch's input-scaling check
    off, for speed: the fitted hyperparameters must be exactly those of a fit with them on."""
    import contextlib

    import torch

    from predictnas.surrogates import _gp

    space, archs, Y = problem
    f = ArchFeatures("tabular").fit(space)
    X = f.transform(archs)

    def fitted() -> dict:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            gp = GPSurrogate(groups=f.layout_.groups()).fit(X[:40], Y[:40])
        return {k: v.detach().clone() for k, v in gp.model.state_dict().items()}

    lean = fitted()
    monkeypatch.setattr(_gp, "_without_checks", contextlib.ExitStack)  # the libraries' defaults
    checked = fitted()
    assert lean.keys() == checked.keys() and all(torch.equal(lean[k], checked[k]) for k in lean)


def test_a_second_fit_drops_the_cached_factors_of_the_first(problem):
    """The fast prediction caches Cholesky factors; a refit on other data must not reuse them."""
    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    gp = GPSurrogate().fit(X[:60], Y[:60])
    gp.predict(X[300:310])  # fills the cache
    gp.fit(X[100:200], Y[100:200])
    fresh = GPSurrogate().fit(X[100:200], Y[100:200])
    np.testing.assert_allclose(gp.predict(X[300:])[0], fresh.predict(X[300:])[0], rtol=1e-6, atol=1e-6)


def test_power_warp_is_monotone_and_helps_a_skewed_target(problem):
    """Accuracies with a few broken architectures at chance level: the warped GP ranks better."""
    from predictnas.surrogates._warping import PowerWarp

    space, archs, Y = problem
    X = ArchFeatures("tabular").fit(space).transform(archs)
    y = Y[:, 0].copy()
    y[::9] = 10.0  # broken architectures: chance-level accuracy
    warp = PowerWarp().fit(y[:100, None])
    z = warp.transform(y[:, None])[:, 0]
    assert (np.diff(z[np.argsort(y)]) >= 0).all()
    np.testing.assert_allclose(warp.inverse(z[:, None])[:, 0], y, rtol=1e-9)
    spearman = {w: rank_quality(y[100:], GPSurrogate(warp=w).fit(X[:100], y[:100, None]).predict(X[100:])[0][:, 0])["spearman"]
                for w in ("power", None)}
    assert spearman["power"] > spearman[None], spearman


def test_predictor_quality_is_assessed_by_default_where_evaluations_cost_time_and_never_on_a_table():
    from predictnas.study._assess import assess_if_due

    def evaluate(arch):
        acc, flops = _metrics(arch)
        return {"acc": acc, "flops": flops}

    def study(**kwargs):
        return pn.create_study(proposer="random", space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0,
                               **kwargs)

    fast = study()
    fast.optimize(evaluate, 30)  # instant evaluations: an assessment would cost more than the search
    assert fast.diagnostics == []
    timed = study(surrogate={"name": "xgboost"})
    for trial in timed.ask(25):  # told as optimize() records a training run of a minute
        timed.tell(trial, evaluate(trial.arch), duration_s=60.0)
        assess_if_due(timed)
    assert [d["n_complete"] for d in timed.diagnostics] == [25] and timed.diagnostics[0]["seconds"] > 0
    for trial in timed.ask(25):  # quick ones now: the next assessment would cost more than a tenth of them
        timed.tell(trial, evaluate(trial.arch), duration_s=1e-3)
        assess_if_due(timed)
    assert len(timed.diagnostics) == 1
    off = study(surrogate={"name": "xgboost", "assess_every": 0})
    for trial in off.ask(30):
        off.tell(trial, evaluate(trial.arch), duration_s=60.0)
        assess_if_due(off)
    assert off.diagnostics == []
