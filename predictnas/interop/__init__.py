"""Optuna interop: a predictnas study exported to an Optuna storage (optuna-dashboard and your own
tooling keep working), and an Optuna study of categorical parameters imported as a predictnas study
file (warm-start data for a new search)."""

from __future__ import annotations

from predictnas.interop._optuna import from_optuna, to_optuna

__all__ = ["from_optuna", "to_optuna"]
