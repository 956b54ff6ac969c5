"""`predictnas dashboard`: a read-only page that follows a study file while a writer adds trials,
serves only its own routes, and draws its figures in a real browser."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

import predictnas as pn
from predictnas.exceptions import ReportError
from predictnas.report import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _metrics(arch):
    return {"acc": float(sum(v == "nor_conv_3x3" for v in arch.values())), "flops": float(sum(v != "none" for v in arch.values()))}


@pytest.fixture
def served(tmp_path):
    path = tmp_path / "s.db"
    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, storage=path, seed=0,
                            proposer="random")
    study.optimize(_metrics, 12)
    study.close()
    server = make_server(path, port=0, interval_s=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path, server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_the_data_follows_the_file_while_a_writer_runs_and_nothing_is_written(served):
    path, server, url = served
    data = json.loads(_get(url + "/data.json"))
    assert data["n_trials"] == 12 and {"front", "hv"} <= set(data["figures"]) and data["trials"][0]["number"] == 11
    assert server.server_address[0] == "127.0.0.1"  # this machine only, by default
    listing = sorted(p.name for p in path.parent.iterdir())
    writer = pn.load_study(path)
    writer.optimize(_metrics, 3)  # the writer is still open
    assert json.loads(_get(url + "/data.json"))["n_trials"] == 15
    writer.close()
    assert sorted(p.name for p in path.parent.iterdir()) == listing  # the reader left no file behind
    with pytest.raises(urllib.error.HTTPError, match="404"):
        _get(url + "/../s.db")
    assert b"/plotly.js" in _get(url + "/") and len(_get(url + "/plotly.js")) > 1_000_000
    with pytest.raises(ReportError, match=r"cannot serve the dashboard on 127.0.0.1:\d+ .*choose another --port"):
        make_server(path, port=server.server_address[1])  # the port is taken


def test_a_missing_or_foreign_file_is_refused_before_serving(tmp_path):
    with pytest.raises(ReportError, match="no such study file"):
        make_server(tmp_path / "none.db", port=0)
    (tmp_path / "x.db").write_text("not a study")
    res = subprocess.run([sys.executable, "-m", "predictnas", "dashboard", str(tmp_path / "x.db"), "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "predictnas: error:" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed (.ci/run installs it)")
def test_the_page_draws_and_updates_in_headless_chromium(served, tmp_path):
    assert CHROMIUM is not None, "CI must provide chromium (.ci/run installs Debian's package)"
    path, server, url = served
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=6000", "--window-size=1200,900"]

    def dom():
        return subprocess.run([*flags, "--dump-dom", url + "/"], capture_output=True, text=True, timeout=120).stdout

    first = dom()
    assert first.count('class="main-svg"') >= 2 and "trials: 12" in first  # both figures drawn, the count shown
    assert server.polls >= 2  # the page polls the file
    with pn.load_study(path) as writer:
        writer.optimize(_metrics, 4)
    time.sleep(0.1)
    assert "trials: 16" in dom()
