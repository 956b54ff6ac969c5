"""Surrogates: predict every objective with uncertainty (xgboost ensembles/quantiles, botorch GPs)."""

from __future__ import annotations

from typing import Any

from predictnas._registry import Registry
from predictnas.surrogates._base import AcquisitionModel, Surrogate
from predictnas.surrogates._diagnostics import cross_validate, rank_quality
from predictnas.surrogates._features import ArchFeatures
from predictnas.surrogates._gp import GPSurrogate
from predictnas.surrogates._xgboost import XGBoostSurrogate

SURROGATES: Registry[type[Surrogate]] = Registry(
    "surrogate", {"gp": GPSurrogate, "xgboost": XGBoostSurrogate, "xgboost-quantile": XGBoostSurrogate})


def make_surrogate(name: str, **options: Any) -> Surrogate:
    """``"gp"``, ``"xgboost"`` (seed/bootstrap ensemble), ``"xgboost-quantile"`` or a
    ``"package.module:Class"`` entry point, with keyword options."""
    cls = SURROGATES.resolve(name)
    if name == "xgboost-quantile":
        options = {"uncertainty": "quantile", **options}
    return cls(**options)


__all__ = ["AcquisitionModel", "ArchFeatures", "GPSurrogate", "SURROGATES", "Surrogate", "XGBoostSurrogate", "cross_validate",
           "make_surrogate", "rank_quality"]
