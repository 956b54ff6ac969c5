"""Pareto-front reports: a self-contained HTML page, a Markdown summary, PNG/SVG figures.

    from predictnas.report import report
    report(study, "report.html")                       # or format="md", compare=other_study, figures="figs/"
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from predictnas._text import for_markdown, for_terminal
from predictnas.exceptions import ReportError
from predictnas.report._dashboard import dashboard_payload, make_server
from predictnas.report._data import ReportData, TrialPoint, hv_curve, report_data
from predictnas.report._figures import plot_hypervolume_history, plot_pareto_front
from predictnas.report._importance import param_importances, plot_param_importances
from predictnas.report._reference import TableReference, table_reference
from predictnas.report._summary import export_trials, format_code, format_front, format_proposals, format_status
from predictnas.study import Study

__all__ = ["ReportData", "ReportError", "TableReference", "TrialPoint", "dashboard_payload", "export_trials", "format_code", "format_front",
           "format_proposals", "format_status", "hv_curve", "make_server", "param_importances", "plot_hypervolume_history", "plot_param_importances", "plot_pareto_front",
           "render_markdown", "report", "report_beside", "report_data", "table_reference"]


def _code(value: object) -> str:
    """Text for a Markdown code span (which shows HTML as text): terminal-safe, no backtick or pipe."""
    return for_terminal(value).replace("`", "'").replace("|", "/")


def render_markdown(data: ReportData) -> str:
    """A terminal/paper summary: header, final hypervolume, the Pareto front as a Markdown table."""
    names = data.metrics
    md = for_markdown
    lines = [f"# predictnas report: {md(data.header['study'])}", ""]
    lines += [f"- **{md(k)}**: {md(v)}" for k, v in data.header.items()]
    lines += ["", f"Hypervolume (normalised, ref 1.1): **{data.hv_curve[-1][1]:.4f}** after {len(data.hv_curve)} trials"]
    if data.compare:
        lines.append(f"Baseline {md(data.compare['name'])}: {data.compare['hv_curve'][-1][1]:.4f} after "
                     f"{len(data.compare['hv_curve'])} trials (same bounds)")
    lines += ["", f"## Pareto front ({len(data.front)} architectures)", "",
              "| trial | " + " | ".join(md(n) for n in names) + " | proposed by | architecture |",
              "| ---: | " + " | ".join("---:" for _ in names) + " | --- | --- |"]
    lines += [f"| {t.number} | " + " | ".join(f"{t.values[n]:.6g}" for n in names) + f" | {md(t.proposed_by)} | `{_code(t.arch)}` |"
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

        text = render_html(data, trials_csv=export_trials(study, "csv"), trials_json=study.trial_rows())
    if path is not None:
        out = Path(path)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out)
        except OSError as exc:  # a full disk, a read-only folder: no half-written report is left
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise ReportError(f"{out}: could not be written ({exc.strerror or exc}).") from None
    if figures is not None:
        from predictnas.report._figures import write_figures

        write_figures(data, Path(figures))
    return text


def report_beside(study: Study) -> Path | None:
    """Writes ``<study file>.html`` next to the study file (``None`` for an in-memory study). A file
    of that name that is not a predictnas report is kept: the report goes to ``<study>-report.html``
    (or ``-report-2.html``, ...) instead."""
    if study.path is None:
        return None
    base = Path(study.path).with_suffix("")
    candidates = [base.with_name(base.name + ".html")] + [
        base.with_name(f"{base.name}-report{'' if i == 1 else f'-{i}'}.html") for i in range(1, 100)]
    out = next((c for c in candidates if not c.exists() or _is_report(c)), None)
    if out is None:
        raise ReportError(f"{base}.html and 99 alternatives exist and are not predictnas reports; write one with "
                          "`predictnas report STUDY.db -o FILE`.")
    report(study, out)
    return out


def _is_report(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return b'<meta name="generator" content="predictnas report">' in head or b"<title>predictnas report: " in head  # older
