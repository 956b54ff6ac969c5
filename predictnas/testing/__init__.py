"""Conformance checks for your own parts (scikit-learn's ``check_estimator`` is the model).

Run the one for your class in your own tests; each raises ``AssertionError`` naming the rule it
broke and returns ``None`` when the part follows the contract predictnas relies on::

    from predictnas.testing import check_proposer, check_surrogate
    check_proposer(MyProposer(n_changes=2))
    check_surrogate(MySurrogate)

The built-in proposers, surrogates, encoders, evaluators and supernets pass them in predictnas's
own test suite.
"""

from predictnas.testing._encoder import check_encoder
from predictnas.testing._evaluator import check_evaluator
from predictnas.testing._proposer import check_proposer
from predictnas.testing._supernet import check_supernet
from predictnas.testing._surrogate import check_surrogate

__all__ = ["check_encoder", "check_evaluator", "check_proposer", "check_supernet", "check_surrogate"]
