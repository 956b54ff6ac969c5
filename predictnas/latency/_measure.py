"""Measuring a subnet on a device the study does not run on: export it as TorchScript, hand the
file to a hook (a command or a function), keep the median of the times it reports."""

from __future__ import annotations

import json
import re
import shlex
import statistics
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from predictnas.exceptions import EvaluationError, InvalidSpecError
from predictnas.supernets import Supernet, run_times

INPUT_FILE = "predictnas_input.json"  # stored inside the exported file: the example's shape and dtype
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class DeviceMeasure:
    """``measure(arch) -> ms``: the median latency of ``arch``'s network on a device.

    The network (a supernet's active subnet, or what ``model(arch)`` returns) is traced with
    ``example`` and saved as TorchScript (the example's shape and dtype inside, see
    :func:`time_torchscript`). Then either ``command`` runs (no shell; ``{model}``, ``{warmup}`` and
    ``{repeats}`` are replaced) and prints the per-run times in ms, or ``function(path, warmup,
    repeats)`` returns them (one number or several). The median is the measurement.

    Without ``command`` or ``function`` the file is timed on this machine in a fresh process
    (``predictnas latency run``), which is also the template for a remote device: e.g.
    ``command="ssh pi predictnas latency run {model} --warmup {warmup} --repeats {repeats}"`` after
    copying the file, or your own benchmark binary.

    Args:
        model: A :class:`~predictnas.supernets.Supernet` (its subnet for ``arch`` is exported) or
            ``arch -> nn.Module``.
        example: An input batch, e.g. ``torch.randn(1, 1, 40)``.
        command: A command line (string or list).
        function: ``(path, warmup, repeats) -> float | Sequence[float]``.
        warmup: Untimed runs first. repeats: Timed runs.
        timeout: Seconds per measurement (command only).
    """

    def __init__(self, model: Supernet | Callable[[Any], nn.Module], example: torch.Tensor, *,
                 command: str | Sequence[str] | None = None, function: Callable[[Path, int, int], Any] | None = None,
                 warmup: int = 3, repeats: int = 20, timeout: float = 300.0) -> None:
        if command is not None and function is not None:
            raise InvalidSpecError("DeviceMeasure takes a command or a function, not both.")
        for name, value, low in (("warmup", warmup, 0), ("repeats", repeats, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidSpecError(f"DeviceMeasure {name} must be an integer >= {low}; got {value!r}.")
        self.model, self.example, self.function = model, example, function
        self.command = shlex.split(command) if isinstance(command, str) else list(command) if command is not None else None
        if self.command is not None and not any("{model}" in part for part in self.command):
            raise InvalidSpecError(f"DeviceMeasure command {command!r} has no {{model}} placeholder for the exported file.")
        self.warmup, self.repeats, self.timeout = warmup, repeats, timeout

    def __call__(self, arch: Any) -> float:
        with tempfile.TemporaryDirectory(prefix="predictnas-latency-") as folder:
            path = Path(folder) / "subnet.pt"
            export(self._network(arch), self.example, path)
            if self.function is not None:
                times = self.function(path, self.warmup, self.repeats)
            else:
                times = self._run(path)
        items = times if isinstance(times, (list, tuple)) else [times]
        values = [float(t) for t in items if isinstance(t, (int, float)) and not isinstance(t, bool)]
        if not values or len(values) != len(items) or not all(0 < v < float("inf") for v in values):
            raise EvaluationError(f"the latency hook returned {times!r}; expected one or more times in ms > 0.")
        return float(statistics.median(values))

    def _network(self, arch: Any) -> nn.Module:
        if isinstance(self.model, Supernet):
            return _Frozen(self.model, arch)
        return self.model(arch)

    def _run(self, path: Path) -> list[float]:
        import sys

        template = self.command or [sys.executable, "-m", "predictnas", "latency", "run", "{model}", "--warmup", "{warmup}",
                                    "--repeats", "{repeats}"]
        argv = [part.replace("{model}", str(path)).replace("{warmup}", str(self.warmup)).replace("{repeats}", str(self.repeats))
                for part in template]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EvaluationError(f"latency command {shlex.join(argv)!r} did not run: {exc}") from None
        numbers = [float(n) for n in _NUMBER.findall(done.stdout)]
        if done.returncode != 0 or not numbers:
            raise EvaluationError(f"latency command {shlex.join(argv)!r} exited {done.returncode} printing "
                                  f"{done.stdout.strip()[-200:]!r}; it must print the times in ms (stderr: "
                                  f"{done.stderr.strip()[-300:]!r}).")
        return numbers


class _Frozen(nn.Module):
    """A supernet with one architecture active, as a plain module to trace."""

    def __init__(self, supernet: Supernet, arch: Any) -> None:
        super().__init__()
        self.supernet, self.arch = supernet, arch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.supernet(x)


def export(network: nn.Module, example: torch.Tensor, path: Path) -> None:
    """Traces ``network`` on ``example`` and saves TorchScript to ``path``, with the example's shape and dtype inside."""
    supernet = network.supernet if isinstance(network, _Frozen) else None
    owner = supernet if supernet is not None else network
    was_training = owner.training
    owner.eval()
    try:
        with torch.no_grad(), (supernet.activate(network.arch) if supernet is not None else nullcontext()), _quiet():
            traced = torch.jit.trace(network, example, check_trace=False)
            spec = {"shape": list(example.shape), "dtype": str(example.dtype).removeprefix("torch.")}
            torch.jit.save(traced, str(path), _extra_files={INPUT_FILE: json.dumps(spec)})
    finally:
        owner.train(was_training)


@contextmanager
def _quiet() -> Iterator[None]:
    """TorchScript is deprecated in torch in favour of ``torch.export``, yet it is what mobile
    runtimes (the PyTorch Lite interpreter) load today: its deprecation warnings are silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # a subnet is traced for one input shape on purpose
        yield


def load_torchscript(path: str | Path) -> tuple[Any, torch.Tensor]:
    """A TorchScript file made by :func:`export` and an input of its recorded shape and dtype."""
    extra = {INPUT_FILE: ""}
    try:
        with _quiet():
            module = torch.jit.load(str(path), _extra_files=extra)
    except (RuntimeError, OSError, ValueError) as exc:
        raise InvalidSpecError(f"{path}: not a TorchScript file ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}).") from None
    spec = _input_spec(extra[INPUT_FILE], path)
    x = torch.zeros(spec["shape"], dtype=getattr(torch, spec["dtype"]))
    if x.is_floating_point():
        x.normal_(generator=torch.Generator().manual_seed(0))
    return module, x


def time_torchscript(path: str | Path, *, warmup: int = 3, repeats: int = 20, threads: int | None = None) -> list[float]:
    """Per-run times (ms) of a TorchScript file made by :func:`export`, on this machine, batch as exported."""
    if threads:
        torch.set_num_threads(threads)
    module, x = load_torchscript(path)
    return run_times(module, x, repeats=repeats, warmup=warmup)


def _input_spec(text: str, path: str | Path) -> Mapping[str, Any]:
    try:
        spec = json.loads(text)
        shape, dtype = [int(d) for d in spec["shape"]], str(spec["dtype"])
    except (ValueError, KeyError, TypeError):
        raise InvalidSpecError(f"{path}: no input description inside ({INPUT_FILE}); export it with "
                               "predictnas.latency.export.") from None
    if dtype not in ("float32", "float64", "float16", "bfloat16", "int64", "int32") or any(d < 1 for d in shape):
        raise InvalidSpecError(f"{path}: input {spec!r} is not a shape of positive sizes with a float or int dtype.")
    return {"shape": shape, "dtype": dtype}
