"""Pareto-front reports: a self-contained HTML page, a Markdown summary, PNG/SVG figures.

    from predictnas.report import report
    report(study, "report.html")                       # or format="md", compare=other_study, figures="figs/"
"""

from __future__ import annotations

from pathlib import Path

from predictnas.report._data import ReportData, ReportError, TrialPoint, hv_curve, report_data
from predictnas.study import Study

__all__ = ["ReportData", "ReportError", "TrialPoint", "hv_curve", "report", "report_beside", "report_data",
           "render_markdown"]


def render_markdown(data: ReportData) -> str:
    """A terminal/paper summary: header, final hypervolume, the Pareto front as a Markdown table."""
    names = data.metrics
    lines = [f"# predictnas report: {data.header['study']}", ""]
    lines += [f"- **{k}**: {v}" for k, v in data.header.items()]
    lines += ["", f"Hypervolume (normalised, ref 1.1): **{data.hv_curve[-1][1]:.4f}** after {len(data.hv_curve)} trials"]
    if data.compare:
        lines.append(f"Baseline {data.compare['name']}: {data.compare['hv_curve'][-1][1]:.4f} after "
                     f"{len(data.compare['hv_curve'])} trials (same bounds)")
    lines += ["", f"## Pareto front ({len(data.front)} architectures)", "",
              "| trial | " + " | ".join(names) + " | architecture |",
              "| ---: | " + " | ".join("---:" for _ in names) + " | --- |"]
    lines += [f"| {t.number} | " + " | ".join(f"{t.values[n]:.6g}" for n in names) + f" | `{t.arch}` |"
              for t in data.front]
    return "\n".join(lines) + "\n"


def report(study: Study, path: str | Path | None = None, *, format: str = "html", compare: Study | None = None,
           figures: str | Path | None = None) -> str:
    """Writes (when ``path`` is given) and returns the report of ``study``.

    Args:
        study: The study (e.g. ``load_study(path, readonly=True)``).
        path: Output file; ``None`` only returns the text.
        format: ``"html"`` (self-contained page) or ``"md"``.
        compare: A baseline study with the same objectives (its hypervolume curve is added).
        figures: A folder for PNG and SVG figures (front and hypervolume; needs matplotlib).
    """
    if format not in ("html", "md"):
        raise ReportError(f"Unknown report format {format!r}; use \"html\" or \"md\".")
    if path is not None:
        taken = {Path(s.path).resolve() for s in (study, compare) if s is not None and s.path is not None}
        if Path(path).resolve() in taken:
            raise ReportError(f"Report output {str(path)!r} is a study file; choose another path (e.g. report.html).")
    data = report_data(study, compare=compare)
    if format == "md":
        text = render_markdown(data)
    else:
        from predictnas.report._html import render_html
        from predictnas.study._summary import export_trials

        text = render_html(data, trials_csv=export_trials(study, "csv"), trials_json=study.trial_rows())
    if path is not None:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    if figures is not None:
        from predictnas.report._figures import write_figures

        write_figures(data, Path(figures))
    return text


def report_beside(study: Study) -> Path | None:
    """Writes ``<study file>.html`` next to the study file (``None`` for an in-memory study)."""
    if study.path is None:
        return None
    out = Path(study.path).with_suffix(".html")
    report(study, out)
    return out
