"""``predictnas.testing``: the built-in parts pass their conformance checks, and each check fails
on a part that breaks its rule (so a user's own class is really checked)."""

import numpy as np
import pytest

from predictnas.encoders import ENCODERS, Encoder
from predictnas.evaluators import FunctionEvaluator
from predictnas.proposers import PROPOSERS, Proposer, make_proposer
from predictnas.proposers._base import fresh_random
from predictnas.surrogates import SURROGATES, Surrogate
from predictnas.testing import check_encoder, check_evaluator, check_proposer, check_supernet, check_surrogate

pytestmark = pytest.mark.slow
FAST = {"bo": {"pool_size": 300, "shortlist": 32, "mc_samples": 16}, "nsga2-surrogate": {"generations": 3, "pop_size": 20}}


@pytest.mark.parametrize("name", sorted(PROPOSERS))
def test_built_in_proposers_pass(name):
    check_proposer(make_proposer(name, FAST.get(name, {})), "nb201")


@pytest.mark.parametrize("name", sorted(SURROGATES))
def test_built_in_surrogates_pass(name):
    check_surrogate(SURROGATES[name], **({"n_members": 4, "n_estimators": 50} if name.startswith("xgboost") else {}))


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_built_in_encoders_pass(name):
    check_encoder(ENCODERS[name], "nb201")
    if name in ("tabular", "onehot", "sequence"):
        check_encoder(ENCODERS[name], "ofa_mbv3")


def _ops(arch):
    return {"acc": float(sum(v == "nor_conv_3x3" for v in arch.values())), "flops": float(len(set(arch.values())))}


def test_built_in_evaluators_pass(evaluator):
    check_evaluator(evaluator, "nb201", ["acc", "flops"])
    check_evaluator(FunctionEvaluator(_ops), "nb201", ["acc", "flops"])


@pytest.mark.parametrize("name, shape", [("digits_cnn", (2, 1, 8, 8)), ("mnist1d_cnn", (2, 1, 40))])
def test_built_in_supernets_pass(name, shape):
    import torch

    from predictnas.supernets import BUILTIN_SUPERNETS

    torch.manual_seed(0)
    check_supernet(BUILTIN_SUPERNETS[name].make(), torch.randn(shape))


# -- each check fails on a part that breaks its rule ---------------------------------------------
class Impure(Proposer):
    def __init__(self, *, width: int = 2) -> None:
        self.width = width

    def propose(self, ctx, n, *, rng):
        return fresh_random(ctx, n, np.random.default_rng(), set(ctx.seen_keys))  # ignores rng


class Forgetful(Proposer):
    def __init__(self, *, width: int = 2) -> None:
        self._width = width  # not kept under its own name: a study could not rebuild it

    def propose(self, ctx, n, *, rng):
        return fresh_random(ctx, n, rng, set(ctx.seen_keys))


class Repeating(Proposer):
    def propose(self, ctx, n, *, rng):
        return [t.arch for t in ctx.complete[:n]]  # already evaluated


class NoSelf(Surrogate):
    def fit(self, X, Y):
        self.mean_ = Y.mean(axis=0)

    def predict(self, X):
        return np.tile(self.mean_, (len(X), 1)), np.ones((len(X), len(self.mean_)))


class Noisy(Encoder):
    def _fit(self, space):
        self.rng = np.random.default_rng()

    def transform(self, archs):
        return self.rng.random((len(archs), 3))


@pytest.mark.parametrize("proposer, rule", [(Impure(), "same ctx and rng proposed something else"),
                                            (Forgetful(), "not kept as same-named attributes"),
                                            (Repeating(), "already in ctx.seen_keys")])
def test_check_proposer_fails_a_proposer_that_breaks_a_rule(proposer, rule):
    with pytest.raises(AssertionError, match=rule):
        check_proposer(proposer, "nb201")


def test_the_other_checks_fail_parts_that_break_their_rules():
    with pytest.raises(AssertionError, match="must return self"):
        check_surrogate(NoSelf)
    with pytest.raises(AssertionError, match="not deterministic"):
        check_encoder(Noisy)
    with pytest.raises(AssertionError, match=r"without \['flops'\]"):
        check_evaluator(FunctionEvaluator(lambda a: {"acc": 1.0}), "nb201", ["acc", "flops"], processes=False)
    with pytest.raises(AssertionError, match="does not pickle"):
        check_evaluator(FunctionEvaluator(lambda a: {"acc": 1.0}), "nb201", ["acc"])
    with pytest.raises(AssertionError, match="not a predictnas.supernets.Supernet"):
        check_supernet(object(), None)
