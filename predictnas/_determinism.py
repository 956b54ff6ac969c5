"""Library randomness and threads pinned for one proposal step.

Proposals must be a pure function of the study's seed, step and evaluated trials on a machine:
torch's global generator (drawn by botorch's fit retries and samplers) is seeded from the step's
generator, and torch and BLAS run on one thread, so reductions happen in the same order whatever
the machine's core count. Across CPU types they are not: MKL (torch) and OpenBLAS (numpy, scipy)
pick their kernels by the CPU, the kernels round differently, and a search amplifies the last bit
into other proposals; :func:`blas_kernels` names what decides that (``MKL_CBWR`` and
``OPENBLAS_CORETYPE``, set before the libraries load, pin the kernels). One thread is also the
faster choice for the small matrices of a proposal step, and it keeps a busy machine from
stalling on thread hand-offs.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def pinned_step(rng: np.random.Generator) -> Iterator[None]:
    """Within the block: torch's generator seeded from ``rng``, one torch and one BLAS thread.

    Restores torch's generator state and thread count afterwards.
    """
    from threadpoolctl import threadpool_limits

    seed = int(rng.integers(2**63 - 1))
    with seeded_torch(seed), threadpool_limits(limits=1), torch_threads(1):
        yield


@contextlib.contextmanager
def seeded_torch(seed: int) -> Iterator[None]:
    """Within the block, torch's global generator starts from ``seed``; restored afterwards.

    For work whose result must depend on its inputs alone (e.g. a GP fit reused across steps,
    whose retries draw from torch's generator), not on the step that happens to run it.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Within the block, torch runs on ``threads`` threads (``None``: as it is); restored afterwards.

    For small CPU models one thread is the robust choice: training the built-in MNIST-1D supernet
    took 2.5 s per epoch on one thread and 7.4 s on two with the other core busy
    (``benchmarks/threads.py``).
    """
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def blas_kernels() -> dict[str, str | None]:
    """What picks the rounding of the linear algebra in this process: the CPU model, torch's CPU
    capability, and the kernel-pinning variables (``None`` when unset). Two runs with the same seed
    propose the same architectures when these are equal (same library versions)."""
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"cpu": cpu, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "MKL_CBWR": os.environ.get("MKL_CBWR"), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
