"""Surrogates: predict every objective with uncertainty (xgboost ensembles/quantiles, botorch GPs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from predictnas._registry import Registry
from predictnas.exceptions import InvalidSpecError
from predictnas.surrogates._base import AcquisitionModel, Surrogate
from predictnas.surrogates._diagnostics import cross_validate, rank_quality
from predictnas.surrogates._gp import GPSurrogate
from predictnas.surrogates._xgboost import XGBoostQuantileSurrogate, XGBoostSurrogate

SURROGATES: Registry[type[Surrogate]] = Registry(
    "surrogate", {"gp": GPSurrogate, "xgboost": XGBoostSurrogate, "xgboost-quantile": XGBoostQuantileSurrogate})


def surrogate_class(name: str, *, where: str | None = None) -> type[Surrogate]:
    """The surrogate class of a registered name or ``"package.module:Class"`` entry point (one
    clear error for anything else, starting with ``where``)."""
    cls = SURROGATES.resolve(name, where=where)
    if not (isinstance(cls, type) and issubclass(cls, Surrogate)):
        raise InvalidSpecError(f"{where + ': ' if where else ''}Surrogate {name!r} is a {type(cls).__name__}, "
                               "not a Surrogate subclass.")
    return cls


def make_surrogate(name: str, *, groups: Sequence[Sequence[int]] | None = None, cat_dims: Sequence[int] | None = None,
                   seed: int | None = None, **options: Any) -> Surrogate:
    """``"gp"``, ``"xgboost"`` (seed/bootstrap ensemble), ``"xgboost-quantile"`` or a
    ``"package.module:Class"`` entry point, with keyword ``options``. ``groups``, ``cat_dims`` and
    ``seed`` go only to a surrogate whose capabilities say it takes them (see :class:`Surrogate`),
    and never override the same option given in ``options``."""
    cls = surrogate_class(name)
    offered = {"groups": (groups, cls.takes_column_groups), "cat_dims": (cat_dims, cls.takes_categorical_columns),
               "seed": (seed, cls.takes_seed)}
    for key, (value, taken) in offered.items():
        if taken and value is not None and (key == "seed" or len(value)):  # type: ignore[arg-type]
            options.setdefault(key, value)
    return cls(**options)


__all__ = ["AcquisitionModel", "GPSurrogate", "SURROGATES", "Surrogate", "XGBoostSurrogate", "cross_validate",
           "make_surrogate", "rank_quality", "surrogate_class"]
