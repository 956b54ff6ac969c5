"""Latency on the user's own device: models that predict it from a few measurements."""

from __future__ import annotations

from predictnas.latency._lookup import BlockLatencyTable
from predictnas.latency._transfer import LatencyTransfer

__all__ = ["BlockLatencyTable", "LatencyTransfer"]
