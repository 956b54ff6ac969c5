"""The self-contained HTML report: plotly figures (plotly.js inlined once), tables, data-URI downloads."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from predictnas.report._data import ReportData, TrialPoint

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1150px;color:#222}
h1{margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:13px} td,th{padding:3px 9px;border-bottom:1px solid #eee;text-align:left}
td{overflow-wrap:anywhere;max-width:46em}
table.sortable th{cursor:pointer;background:#f6f6f6} table.sortable th:hover{background:#e8e8e8}
.header td:first-child{color:#666;padding-right:2em} code{font-size:12px} .note{color:#666;font-size:13px}
a.download{margin-right:1.5em}
"""

# Sorting the front table on a header click (the charts themselves come from plotly).
_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0], rows = Array.from(body.rows);
    var asc = th.dataset.order !== 'asc'; th.dataset.order = asc ? 'asc' : 'desc';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def _hover(point: TrialPoint) -> str:
    values = "<br>".join(f"{k} = {v:.6g}" for k, v in point.values.items())
    params = "<br>".join(f"{html.escape(str(k))} = {html.escape(str(v))}" for k, v in point.params.items())
    by = f"<br>proposed by {html.escape(point.proposed_by)}" if point.proposed_by else ""
    return f"trial {point.number}{by}<br>{values}<br><br>{html.escape(point.arch)}<br><br>{params}"


def front_figure(data: ReportData) -> Any:
    """2 objectives: a scatter with the front highlighted; 3+: pairwise panels (a scatter matrix)."""
    import plotly.graph_objects as go

    names = [n for n, _ in data.objectives]
    groups = [
        ("evaluated", [t for t in data.trials if t.feasible and not t.on_front and t.cache_of is None],
         {"color": "#9aa5b1", "size": 7, "opacity": 0.7}),
        ("Pareto front", data.front, {"color": "#d62728", "size": 11, "line": {"color": "#222", "width": 1}}),
        ("infeasible (violates a constraint)", [t for t in data.trials if t.state == "complete" and not t.feasible],
         {"color": "#ff7f0e", "size": 8, "symbol": "x"}),
    ]
    fig = go.Figure()
    for label, points, marker in groups:
        if not points:
            continue
        hover = [_hover(p) for p in points]
        if len(names) == 2:
            fig.add_trace(go.Scatter(
                x=[p.values[names[0]] for p in points], y=[p.values[names[1]] for p in points], name=label,
                mode="lines+markers" if label == "Pareto front" else "markers", marker=marker,
                line={"shape": "hv", "color": "#d62728", "width": 1}, hovertext=hover, hoverinfo="text"))
        else:
            fig.add_trace(go.Splom(
                dimensions=[{"label": n, "values": [p.values[n] for p in points]} for n in names], name=label,
                marker=marker, hovertext=hover, hoverinfo="text", diagonal_visible=False, showupperhalf=False))
    arrows = {"minimize": "lower is better", "maximize": "higher is better"}
    if len(names) == 2:
        fig.update_layout(xaxis_title=f"{names[0]} ({arrows[data.objectives[0][1]]})",
                          yaxis_title=f"{names[1]} ({arrows[data.objectives[1][1]]})")
    fig.update_layout(height=560 if len(names) == 2 else 260 * len(names), template="plotly_white",
                      legend={"orientation": "h", "y": 1.08}, margin={"t": 40})
    return fig


def hypervolume_figure(data: ReportData) -> Any:
    """Hypervolume over evaluations (and the baseline study's curve, measured with the same bounds)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    curves = [(data.header["study"], data.hv_curve)]
    if data.compare:
        curves.append((f"{data.compare['name']} (baseline)", data.compare["hv_curve"]))
    for name, curve in curves:
        fig.add_trace(go.Scatter(x=[k for k, _ in curve], y=[v for _, v in curve], name=name, mode="lines",
                                 line={"shape": "hv", "width": 2}))
    fig.update_layout(xaxis_title="evaluations (trials in order)", yaxis_title="hypervolume (normalised, ref 1.1)",
                      template="plotly_white", height=380, margin={"t": 30}, legend={"orientation": "h", "y": 1.12})
    return fig


def predictor_figure(data: ReportData) -> Any:
    """Cross-validated Spearman, Kendall and 90 %-interval coverage of the surrogate per objective."""
    import plotly.graph_objects as go

    fig = go.Figure()
    names = list(data.diagnostics[-1]["objectives"])
    for name in names:
        for metric, dash in (("spearman", "solid"), ("kendall", "dot"), ("coverage", "dash")):
            points = [(d["n_complete"], d["objectives"].get(name, {}).get(metric)) for d in data.diagnostics]
            points = [(n, v) for n, v in points if v is not None]
            fig.add_trace(go.Scatter(x=[n for n, _ in points], y=[v for _, v in points], mode="lines+markers",
                                     name=f"{name} {metric}", line={"dash": dash}))
    fig.add_hline(y=0.9, line={"color": "#999", "width": 1}, annotation_text="nominal coverage 0.9")
    fig.update_layout(xaxis_title="completed trials at the assessment", yaxis_title="5-fold cross-validated",
                      template="plotly_white", height=360, margin={"t": 30}, legend={"orientation": "h", "y": 1.15})
    return fig


def _table(headers: list[str], rows: list[list[Any]], *, sortable: bool = False) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td data-v="{v!r}">{v:.6g}</td>' if isinstance(v, float) else f"<td>{html.escape(str(v))}</td>"
            for v in row) + "</tr>"
        for row in rows)
    return f'<table class="{"sortable" if sortable else ""}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _data_uri(text: str, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(text.encode()).decode()}"


def render_html(data: ReportData, *, trials_csv: str, trials_json: list[dict[str, Any]]) -> str:
    """The whole page as one string (no external scripts, styles or images)."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    names = [n for n, _ in data.objectives]
    config = {"displaylogo": False, "responsive": True}
    front_div = pio.to_html(front_figure(data), include_plotlyjs=False, full_html=False, config=config, div_id="front")
    hv_div = pio.to_html(hypervolume_figure(data), include_plotlyjs=False, full_html=False, config=config, div_id="hv")
    predictor_html = ""
    if data.diagnostics:
        last = data.diagnostics[-1]
        div = pio.to_html(predictor_figure(data), include_plotlyjs=False, full_html=False, config=config, div_id="predictor")
        predictor_html = (f"<h2>Predictor quality over time</h2>\n<p class=\"note\">Surrogate <code>{html.escape(last['surrogate'])}"
                          f"</code> on the <code>{html.escape(last['encoding'])}</code> encoding"
                          f"{' + ' + html.escape(', '.join(last['features'])) if last.get('features') else ''}, "
                          f"assessed {len(data.diagnostics)} times by 5-fold cross-validation on the completed trials.</p>\n{div}")
    header = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in data.header.items())
    front_rows = [[t.number, *[t.values[n] for n in data.metrics], t.proposed_by, t.arch] for t in data.front]
    failed = [t for t in data.trials if t.state == "failed"]
    failed_html = (_table(["trial", "architecture", "error"], [[t.number, t.arch, t.error or ""] for t in failed])
                   if failed else '<p class="note">No failed trials.</p>')
    lo, hi = data.bounds
    bounds = ", ".join(f"{n}: [{a:.6g}, {b:.6g}]" for n, a, b in zip(names, lo, hi))
    final_hv = data.hv_curve[-1][1]
    compare_note = ""
    if data.compare:
        compare_note = (f" Baseline <code>{html.escape(data.compare['path'])}</code>: final hypervolume "
                        f"{data.compare['hv_curve'][-1][1]:.4f} after {len(data.compare['hv_curve'])} trials.")
    title = f"predictnas report: {data.header['study']}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="predictnas report"><title>{html.escape(title)}</title>
<style>{_STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>{html.escape(title)}</h1>
<table class="header">{header}</table>
<h2>Pareto front</h2>
<p class="note">{len(data.front)} Pareto-optimal architectures among {sum(t.feasible for t in data.trials)} feasible
evaluated trials. Hover a point for its trial number, values and architecture. Crosses violate an outcome constraint;
failed trials have no values and are listed below.</p>
{front_div}
<h2>Hypervolume over evaluations</h2>
<p class="note">Minimisation form, min-max normalised with fixed bounds ({html.escape(bounds)}), reference point 1.1.
Final hypervolume {final_hv:.4f}.{compare_note}</p>
{hv_div}
{predictor_html}
<h2>Pareto architectures</h2>
<p><a class="download" download="trials.csv" href="{_data_uri(trials_csv, 'text/csv')}">all trials (CSV)</a>
<a class="download" download="trials.json" href="{_data_uri(json.dumps(trials_json, default=str, indent=1), 'application/json')}">all trials (JSON)</a>
<span class="note">click a column header to sort</span></p>
{_table(["trial", *data.metrics, "proposed by", "architecture"], front_rows, sortable=True)}
<h2>Failed trials</h2>
{failed_html}
<script>{_SORT_JS}</script>
</body></html>
"""
