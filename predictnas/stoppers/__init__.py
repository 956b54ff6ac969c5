"""Stopping rules: end a running trial early from its intermediate results (Optuna's pruners,
Syne Tune's schedulers). A study asks its stopper after each ``Study.report``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from predictnas._registry import Registry
from predictnas.exceptions import InvalidSpecError
from predictnas.stoppers._asha import ASHAStopper
from predictnas.stoppers._base import Stopper
from predictnas.stoppers._predictive import PredictiveStopper

STOPPERS: Registry[type[Stopper]] = Registry("stopper", {"asha": ASHAStopper, "predictive": PredictiveStopper})


def make_stopper(name: str, options: Mapping[str, Any] | None = None) -> Stopper:
    """A stopper by registered name or ``"package.module:Class"`` entry point, with keyword options."""
    cls = STOPPERS.resolve(name, where=f"stopper={name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Stopper)):
        raise InvalidSpecError(f"Stopper {name!r} is a {type(cls).__name__}, not a Stopper subclass.")
    if options is not None and not isinstance(options, Mapping):
        raise InvalidSpecError(f"stopper_options must be a mapping of option -> value (e.g. {{\"eta\": 3}}); got {options!r}.")
    try:
        return cls(**dict(options or {}))
    except TypeError as exc:
        raise InvalidSpecError(f"Bad options {options!r} for stopper {name!r}: {exc}.") from None


__all__ = ["ASHAStopper", "PredictiveStopper", "STOPPERS", "Stopper", "make_stopper"]
