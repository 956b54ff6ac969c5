"""PNG and SVG figures for papers (matplotlib, headless Agg backend)."""

from __future__ import annotations

import itertools
from pathlib import Path

from predictnas.exceptions import OptionalDependencyError
from predictnas.report._data import ReportData


def write_figures(data: ReportData, folder: Path) -> list[Path]:
    """Writes ``front.{png,svg}`` and ``hypervolume.{png,svg}`` into ``folder``; returns the paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise OptionalDependencyError("Figures need matplotlib: pip install 'predictnas[figures]'.") from None
    folder.mkdir(parents=True, exist_ok=True)
    names = [n for n, _ in data.objectives]
    pairs = list(itertools.combinations(range(len(names)), 2))
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.6), squeeze=False)
    others = [t for t in data.trials if t.feasible and not t.on_front and t.cache_of is None]
    infeasible = [t for t in data.trials if t.state == "complete" and not t.feasible]
    for ax, (i, j) in zip(axes[0], pairs):
        xi, yj = names[i], names[j]
        ax.scatter([t.values[xi] for t in others], [t.values[yj] for t in others], s=12, c="#9aa5b1", label="evaluated")
        if infeasible:
            ax.scatter([t.values[xi] for t in infeasible], [t.values[yj] for t in infeasible], s=16, c="#ff7f0e",
                       marker="x", label="infeasible")
        front = sorted(data.front, key=lambda t: t.values[xi])
        ax.plot([t.values[xi] for t in front], [t.values[yj] for t in front], "o", c="#d62728", ms=5,
                label="Pareto front", **({"ls": "-", "drawstyle": "steps-post", "lw": 1} if len(names) == 2 else {}))
        ax.set_xlabel(xi)
        ax.set_ylabel(yj)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{data.header['study']}: Pareto front")
    fig.tight_layout()
    paths = _save(fig, folder / "front")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.step([k for k, _ in data.hv_curve], [v for _, v in data.hv_curve], where="post", label=data.header["study"])
    if data.compare:
        curve = data.compare["hv_curve"]
        ax.step([k for k, _ in curve], [v for _, v in curve], where="post", label=f"{data.compare['name']} (baseline)")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("hypervolume (normalised)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths += _save(fig, folder / "hypervolume")
    plt.close(fig)
    return paths


def _save(fig, stem: Path) -> list[Path]:
    out = []
    for ext in ("png", "svg"):
        path = stem.with_suffix(f".{ext}")
        fig.savefig(path, dpi=150)
        out.append(path)
    return out
