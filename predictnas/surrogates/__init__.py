"""Surrogates: predict every objective with uncertainty (xgboost ensembles/quantiles, botorch GPs)."""

from __future__ import annotations

from typing import Any

from predictnas.surrogates._base import Surrogate
from predictnas.surrogates._diagnostics import cross_validate, rank_quality
from predictnas.surrogates._features import ArchFeatures
from predictnas.surrogates._gp import GPSurrogate
from predictnas.surrogates._xgboost import XGBoostSurrogate

SURROGATES = {"xgboost": XGBoostSurrogate, "xgboost-quantile": XGBoostSurrogate, "gp": GPSurrogate}


def make_surrogate(name: str, **options: Any) -> Surrogate:
    """``"xgboost"`` (seed/bootstrap ensemble), ``"xgboost-quantile"`` or ``"gp"``."""
    if name == "xgboost-quantile":
        options = {"uncertainty": "quantile", **options}
    try:
        return SURROGATES[name](**options)
    except KeyError:
        raise ValueError(f"Unknown surrogate {name!r}; available: {sorted(SURROGATES)}.") from None


__all__ = ["ArchFeatures", "GPSurrogate", "SURROGATES", "Surrogate", "XGBoostSurrogate", "cross_validate",
           "make_surrogate", "rank_quality"]
