"""Latency on the user's own device: models that predict it from a few measurements."""

from __future__ import annotations

from predictnas.latency._lookup import BlockLatencyTable
from predictnas.latency._measure import DeviceMeasure, export, load_torchscript, time_torchscript
from predictnas.latency._transfer import LatencyTransfer

__all__ = ["BlockLatencyTable", "DeviceMeasure", "LatencyTransfer", "export", "load_torchscript", "time_torchscript"]
