"""Evaluators for the executor tests (module level, so that worker processes can load them)."""

import os
import signal
import time
import zlib

from predictnas.evaluators import EvalResult, Evaluator

_LOADS = 0  # times an evaluator was unpickled in this process


def _score(arch):
    h = zlib.crc32(repr(sorted(arch.items())).encode())
    return h % 997 / 10.0, h % 101 + 1.0, h


class Synthetic(Evaluator):
    """Deterministic values; records the worker pid and how often this process unpickled an evaluator."""

    def __init__(self, delay=0.0, payload_mb=0):
        self.delay = delay
        self.payload = bytes(payload_mb << 20)  # stands in for a supernet's weights

    def __setstate__(self, state):
        global _LOADS
        _LOADS += 1
        self.__dict__.update(state)

    def evaluate(self, arch):
        time.sleep(self.delay)
        acc, flops, _ = _score(arch)
        return EvalResult({"acc": acc, "flops": flops}, user_attrs={"pid": os.getpid(), "loads": _LOADS})


class DieOnce(Synthetic):
    """The first evaluation anywhere kills its own process (SIGKILL); the marker file records it."""

    def __init__(self, marker, delay=0.0):
        super().__init__(delay)
        self.marker = str(marker)

    def evaluate(self, arch):
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().evaluate(arch)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


class Faulty(Synthetic):
    """By architecture hash: 1 in 5 raises, 1 in 5 returns NaN, 1 in 7 hangs for a minute."""

    def evaluate(self, arch):
        _, _, h = _score(arch)
        if h % 5 == 0:
            raise RuntimeError("simulated training crash")
        if h % 7 == 1:
            time.sleep(60)
        result = super().evaluate(arch)
        if h % 5 == 1:
            return EvalResult({"acc": float("nan"), "flops": 1.0})
        return result


def kind(arch):
    """What Faulty does with ``arch``: "raise", "hang", "nan" or "ok"."""
    _, _, h = _score(arch)
    return "raise" if h % 5 == 0 else "hang" if h % 7 == 1 else "nan" if h % 5 == 1 else "ok"


def synthetic(arch):
    """``Synthetic`` as a plain function (an ``entry_point`` for study definitions)."""
    acc, flops, _ = _score(arch)
    return {"acc": acc, "flops": flops, "pid": os.getpid()}


class PoisonAfterDeath(Synthetic):
    """Evaluations kill their worker once ``marker`` exists, and new workers cannot load this
    evaluator any more: what a broken environment (e.g. a deleted module) looks like."""

    def __init__(self, marker):
        super().__init__()
        self.marker = str(marker)

    def __setstate__(self, state):
        if os.path.exists(state["marker"]):
            raise ImportError("the evaluator's module is gone")
        super().__setstate__(state)

    def evaluate(self, arch):
        open(self.marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
