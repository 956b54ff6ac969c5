"""``check_proposer``: what a study needs of a proposer (pure in ``ctx``/``rng``, rebuildable)."""

from __future__ import annotations

import copy
import hashlib
import json

import numpy as np

from predictnas.proposers import ProposalContext, Proposer
from predictnas.spaces import Arch, SearchSpace, load_space
from predictnas.types import Objective


def _values(space: SearchSpace, arch: Arch) -> dict[str, float]:
    """Two synthetic objectives of ``arch``, a pure function of its canonical key."""
    h = hashlib.sha256(space.canonical_key(arch).encode()).digest()
    return {"acc": h[0] / 255 + h[1] / 255 ** 2, "cost": h[2] / 255 + h[3] / 255 ** 2}


def _context(space: SearchSpace, n_complete: int, n_pending: int, seed: int) -> ProposalContext:
    from predictnas.study import create_study

    study = create_study(space=space, objectives={"acc": "maximize", "cost": "minimize"}, proposer="random", seed=seed)
    if n_complete:
        for trial in study.ask(n_complete):
            study.tell(trial, _values(space, trial.arch))
    pending = study.ask(n_pending) if n_pending else []
    trials = study.trials
    return ProposalContext(space=space, objectives=(Objective("acc", "maximize"), Objective("cost", "minimize")),
                           constraints=(), complete=tuple(t for t in trials if t.state.value == "complete"),
                           pending=tuple(t.arch for t in pending), seen_keys=frozenset(t.key for t in trials),
                           step=study.step)


def check_proposer(proposer: Proposer, space: SearchSpace | str = "nb201", *, n: int = 4,
                   sizes: tuple[int, ...] = (0, 12, 24)) -> None:
    """Checks ``proposer`` on ``space`` with 0, 12 and 24 completed trials (4 pending):

    1. ``propose(ctx, n, rng=...)`` returns at most ``n`` valid architectures of the space, none
       already seen and no two alike (by canonical key);
    2. it is a pure function of ``ctx`` and ``rng``: the same inputs give the same proposals, also
       from a fresh copy of the proposer (a resumed study rebuilds it and must continue alike);
    3. its constructor options are kept as same-named attributes, so a study can record and
       rebuild it (``proposer_options``);
    4. ``step_report()`` is a JSON-storable dict and ``model_spec()`` ``None`` or a dict.
    """
    from predictnas.proposers import proposer_options

    assert isinstance(proposer, Proposer), f"{type(proposer).__name__} is not a predictnas.proposers.Proposer subclass."
    space = load_space(space) if isinstance(space, str) else space
    name = type(proposer).__name__
    missing = [k for k in proposer_options(type(proposer)) if not hasattr(proposer, k)]
    assert not missing, (f"{name}: constructor options {missing} are not kept as same-named attributes, so a study file "
                         "cannot record and rebuild this proposer (scikit-learn's convention: self.<option> = <option>).")
    for size in sizes:
        ctx = _context(space, size, 4 if size else 0, seed=size)
        first = proposer.propose(ctx, n, rng=np.random.default_rng([7, size]))
        assert isinstance(first, list) and len(first) <= n, f"{name}: propose(ctx, {n}) must return a list of at most {n}; got {first!r:.200}."
        keys = []
        for arch in first:
            assert isinstance(arch, Arch), f"{name}: proposals must be Arch objects (space.make_arch(...)); got {type(arch).__name__}."
            space.make_arch(arch.to_dict())  # raises InvalidArchitectureError for an invalid one
            keys.append(space.canonical_key(arch))
        seen = [k for k in keys if k in ctx.seen_keys]
        assert not seen, f"{name}: with {size} complete trials it proposed {len(seen)} architecture(s) already in ctx.seen_keys."
        assert len(set(keys)) == len(keys), f"{name}: with {size} complete trials it proposed the same architecture twice."
        again = proposer.propose(ctx, n, rng=np.random.default_rng([7, size]))
        fresh = copy.deepcopy(proposer).propose(ctx, n, rng=np.random.default_rng([7, size]))
        for other, how in ((again, "a second call"), (fresh, "a copy of the proposer")):
            assert [space.canonical_key(a) for a in other] == keys, (
                f"{name}: with {size} complete trials, {how} with the same ctx and rng proposed something else; a proposer "
                "must draw every random number from rng (torch and library seeds included) and keep no state that "
                "changes its answer, or a resumed study will not continue as the uninterrupted one.")
        report = proposer.step_report()
        assert isinstance(report, dict), f"{name}: step_report() must return a dict; got {type(report).__name__}."
        try:
            json.dumps(report, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AssertionError(f"{name}: step_report() must be JSON-storable ({exc}).") from None
        spec = proposer.model_spec()
        assert spec is None or isinstance(spec, dict), f"{name}: model_spec() must return None or a dict."
