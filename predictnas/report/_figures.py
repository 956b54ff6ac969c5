"""Figures: the Pareto front and the hypervolume history as matplotlib ``Figure`` objects
(``plot_pareto_front`` / ``plot_hypervolume_history``, like ``optuna.visualization``), and PNG/SVG
files of both for papers. No pyplot: they work headless and show in notebooks."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from predictnas.exceptions import OptionalDependencyError
from predictnas.report._data import ReportData, report_data

if TYPE_CHECKING:
    from predictnas.study import Study


def _figure(**kwargs: Any) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise OptionalDependencyError("Figures need matplotlib: pip install 'predictnas[figures]'.") from None
    return Figure(**kwargs)


def plot_pareto_front(study: Study) -> Any:
    """A matplotlib ``Figure``: every pair of objectives, evaluated trials in grey, infeasible ones
    marked, the Pareto front in red (a step line for two objectives)."""
    return front_figure(report_data(study))


def plot_hypervolume_history(study: Study, compare: Study | None = None) -> Any:
    """A matplotlib ``Figure``: the normalised hypervolume after each evaluation (and ``compare``'s)."""
    return hypervolume_figure(report_data(study, compare=compare))


def front_figure(data: ReportData) -> Any:
    names = [n for n, _ in data.objectives]
    pairs = list(itertools.combinations(range(len(names)), 2)) or [(0, 0)]
    fig = _figure(figsize=(4.2 * len(pairs), 3.6))
    axes = fig.subplots(1, len(pairs), squeeze=False)
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
    return fig


def hypervolume_figure(data: ReportData) -> Any:
    fig = _figure(figsize=(5, 3.4))
    ax = fig.subplots()
    ax.step([k for k, _ in data.hv_curve], [v for _, v in data.hv_curve], where="post", label=data.header["study"])
    if data.compare:
        curve = data.compare["hv_curve"]
        ax.step([k for k, _ in curve], [v for _, v in curve], where="post", label=f"{data.compare['name']} (baseline)")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("hypervolume (normalised)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_figures(data: ReportData, folder: Path) -> list[Path]:
    """Writes ``front.{png,svg}`` and ``hypervolume.{png,svg}`` into ``folder``; returns the paths."""
    figures = {"front": front_figure(data), "hypervolume": hypervolume_figure(data)}
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, fig in figures.items():
        for ext in ("png", "svg"):
            path = folder / f"{stem}.{ext}"
            fig.savefig(path, dpi=150)
            paths.append(path)
    return paths
