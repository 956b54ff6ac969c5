"""A surrogate defined outside predictnas (here: in a test file) drives the default proposer with
no change to predictnas: the proposer asks the surrogate's capabilities, not its name."""

from _ridge_surrogate import BootstrapRidge

import predictnas as pn
from predictnas.testing import check_surrogate

OBJ = {"acc": "maximize", "flops": "minimize"}


def test_a_users_surrogate_passes_the_conformance_check():
    check_surrogate(BootstrapRidge)


def test_a_users_surrogate_drives_the_default_proposer_by_entry_point(evaluator):
    study = pn.create_study(space="nb201", objectives=OBJ, seed=3, batch_size=4,
                            proposer_options={"surrogate": "_ridge_surrogate:BootstrapRidge", "n_initial": 8})
    study.optimize(evaluator, 20)
    models = [p.get("model") for p in study.proposals]
    assert "_ridge_surrogate:BootstrapRidge" in models  # the model-based steps were proposed by it
    assert sum(m == "_ridge_surrogate:BootstrapRidge" for m in models) >= 2
    assert len({t.key for t in study.trials}) == 20 and all(t.state.value == "complete" for t in study.trials)
    again = pn.create_study(space="nb201", objectives=OBJ, seed=3, batch_size=4,
                            proposer_options={"surrogate": "_ridge_surrogate:BootstrapRidge", "n_initial": 8})
    again.optimize(evaluator, 20)
    assert [t.key for t in again.trials] == [t.key for t in study.trials]  # seeded by the study: reproducible
