"""``predictnas dashboard STUDY.db``: a local, read-only web page that follows a study file as it
grows (front, hypervolume over evaluations, predictor quality, trials), safe with a writer running.

The server reads the file read-only on each poll (only when it changed) and never writes; it
binds to localhost unless told otherwise. Text from the file reaches the page as JSON and is set
with ``textContent``, never as HTML.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from predictnas.exceptions import ReportError

MAX_ROWS = 200  # the newest trials in the table


def dashboard_payload(path: str | Path) -> dict[str, Any]:
    """What the page shows, from the study file at ``path`` (opened read-only, then closed)."""
    from predictnas.report._data import report_data
    from predictnas.report._html import front_figure, hypervolume_figure, predictor_figure
    from predictnas.study import load_study

    with load_study(path, readonly=True) as study:
        trials = study.trials
        payload: dict[str, Any] = {"study": study.name, "n_trials": len(trials), "trials": [
            {"number": t.number, "state": t.state.value, "values": {k: round(v, 6) for k, v in t.values.items()},
             "fidelity": t.fidelity, "arch": study.space.to_string(t.arch), "error": t.error or ""}
            for t in trials[-MAX_ROWS:][::-1]]}
        complete = [t for t in trials if t.state.value == "complete"]
        if not complete:
            payload.update(header={"study": study.name, "trials": f"{len(trials)} (none complete yet)"}, figures={})
            return payload
        data = report_data(study)
    figures = {"front": front_figure(data), "hv": hypervolume_figure(data)}
    if data.diagnostics:
        figures["predictor"] = predictor_figure(data)
    payload["header"] = {k: str(v) for k, v in data.header.items()}
    payload["figures"] = {k: json.loads(f.to_json()) for k, f in figures.items()}
    return payload


class _Follower:
    """The payload of a study file, recomputed only when the file (or its WAL) changed."""

    def __init__(self, path: Path) -> None:
        self.path, self._lock, self._stamp, self._body = path, threading.Lock(), None, b""

    def body(self) -> bytes:
        stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
                      for p in (self.path, Path(f"{self.path}-wal")))
        with self._lock:
            if stamp != self._stamp:
                self._body, self._stamp = json.dumps(dashboard_payload(self.path)).encode(), stamp
            return self._body


def make_server(path: str | Path, *, host: str = "127.0.0.1", port: int = 8050, interval_s: float = 2.0) -> ThreadingHTTPServer:
    """A server for the dashboard of ``path`` (call ``serve_forever()``; ``port=0`` picks a free one)."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"{path}: no such study file.")
    dashboard_payload(path)  # a file that is not a study fails here, with the study reader's message
    follower, page = _Follower(path), _PAGE.replace("__INTERVAL_MS__", str(int(interval_s * 1000))).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            route = self.path.split("?", 1)[0]
            if route == "/":
                self._send(200, "text/html; charset=utf-8", page)
            elif route == "/data.json":
                server.polls += 1
                try:
                    self._send(200, "application/json", follower.body())
                except Exception as exc:  # a file being replaced or damaged: say so, keep serving
                    self._send(503, "application/json", json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
            elif route == "/plotly.js":
                self._send(200, "application/javascript", _plotly_js())
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, code: int, kind: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # quiet: the terminal shows the URL only
            return

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:  # the port is taken, or not ours to bind
        raise ReportError(f"cannot serve the dashboard on {host}:{port} ({exc.strerror or exc}); choose another --port "
                          "(0: any free one).") from None
    server.polls = 0  # type: ignore[attr-defined]  # data.json requests served (the page polls)
    return server


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode()


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>predictnas dashboard</title>
<script src="/plotly.js"></script>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}td,th{padding:2px 10px;text-align:left;
font-size:13px}th{border-bottom:1px solid #ccc}.note{color:#666;font-size:13px}#error{color:#b00}
td:first-child{color:#666}</style></head><body>
<h1 id="title">predictnas dashboard</h1>
<p class="note">Read-only; follows the study file every __INTERVAL_MS__ ms. <span id="status"></span>
<span id="error"></span></p>
<table id="header"></table>
<h2>Pareto front</h2><div id="front"></div>
<h2>Hypervolume over evaluations</h2><div id="hv"></div>
<div id="predictor-block" hidden><h2>Predictor quality</h2><div id="predictor"></div></div>
<h2>Trials (newest first)</h2><table id="trials"></table>
<script>
function cell(row, text, tag) { const c = document.createElement(tag || "td"); c.textContent = text; row.appendChild(c); }
function fill(table, head, rows) {
  table.replaceChildren();
  const h = table.insertRow(); head.forEach(x => cell(h, x, "th"));
  rows.forEach(r => { const tr = table.insertRow(); r.forEach(x => cell(tr, x)); });
}
async function refresh() {
  try {
    const response = await fetch("/data.json", {cache: "no-store"});
    const data = await response.json();
    if (data.error) { document.getElementById("error").textContent = data.error; return; }
    document.getElementById("error").textContent = "";
    document.getElementById("title").textContent = "predictnas dashboard: " + data.study;
    document.getElementById("status").textContent = "trials: " + data.n_trials + ", updated " + new Date().toLocaleTimeString();
    fill(document.getElementById("header"), [], Object.entries(data.header));
    for (const name of ["front", "hv", "predictor"]) {
      const fig = data.figures[name];
      if (name === "predictor") document.getElementById("predictor-block").hidden = !fig;
      if (fig) Plotly.react(name, fig.data, fig.layout, {displaylogo: false, responsive: true});
    }
    const names = [...new Set(data.trials.flatMap(t => Object.keys(t.values)))];
    fill(document.getElementById("trials"), ["trial", "state", ...names, "fidelity", "architecture", "error"],
         data.trials.map(t => [t.number, t.state, ...names.map(n => n in t.values ? t.values[n] : ""),
                               t.fidelity === null ? "" : t.fidelity, t.arch, t.error]));
  } catch (e) { document.getElementById("error").textContent = "cannot read the study: " + e; }
}
refresh(); setInterval(refresh, __INTERVAL_MS__);
</script></body></html>
"""
