"""Reports: data from a known study (front, analytic hypervolume), self-contained HTML, headless render."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from predictnas.report import ReportError, report, report_data
from predictnas.spaces import space_from_spec
from predictnas.study import create_study

SPACE = space_from_spec({"schema_version": 1, "kind": "space", "name": "grid",
                         "params": {"a": {"type": "ordinal", "choices": [0, 1, 2, 3]},
                                    "b": {"type": "ordinal", "choices": [0, 1, 2, 3]}}})
# (f1, f2, c): both minimised; constraint c <= 0
TOLD = [(0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.5, 0.5, 0.0), (0.1, 0.1, 1.0)]


def known_study(path=None):
    study = create_study(proposer="random", space=SPACE, objectives={"f1": "minimize", "f2": "minimize"}, constraints=["c <= 0"],
                         storage=path, seed=0, name="known", budget=8)
    archs = [{"a": i % 4, "b": i // 4} for i in range(len(TOLD) + 1)]
    trials = study.ask(len(archs), archs=archs)
    for t, (f1, f2, c) in zip(trials, TOLD):
        study.tell(t, {"f1": f1, "f2": f2, "c": c})
    study.tell(trials[-1], state="failed", error="RuntimeError: out of memory")
    return study


def test_front_and_hypervolume_match_the_analytic_values() -> None:
    data = report_data(known_study())
    assert [t.number for t in data.front] == [0, 3, 1]  # sorted by f1; (1,1) dominated, (0.1,0.1) infeasible
    infeasible = [t for t in data.trials if t.values and not t.feasible]
    assert [t.number for t in infeasible] == [4] and not infeasible[0].on_front
    assert [t.state for t in data.trials][-1] == "failed"
    assert data.bounds == ([0.0, 0.0], [1.0, 1.0])
    # reference point 1.1 on [0,1]^2: (0,1) adds 1.1*0.1, (1,0) adds 0.1*1.0, (0.5,0.5) adds 0.6*0.5 - overlap
    expected = [0.11, 0.21, 0.21, 0.46, 0.46, 0.46]
    assert np.allclose([v for _, v in data.hv_curve], expected)
    assert [k for k, _ in data.hv_curve] == [1, 2, 3, 4, 5, 6]


def test_compare_uses_common_bounds_and_checks_objectives() -> None:
    base = create_study(proposer="random", space=SPACE, objectives={"f1": "minimize", "f2": "minimize"}, name="base")
    (t,) = base.ask(1, archs=[{"a": 0, "b": 0}])
    base.tell(t, {"f1": 2.0, "f2": 2.0})
    data = report_data(known_study(), compare=base)
    assert data.bounds == ([0.0, 0.0], [2.0, 2.0])
    assert np.allclose(data.compare["hv_curve"], [(1, 0.01)])  # its point sits on the upper bound: 0.1 x 0.1
    other = create_study(proposer="random", space=SPACE, objectives={"f1": "maximize", "f2": "minimize"}, name="other")
    with pytest.raises(ReportError, match="Cannot compare"):
        report_data(known_study(), compare=other)


def test_markdown_summary() -> None:
    text = report(known_study(), format="md")
    assert "| trial | f1 | f2 | c | proposed by | architecture |" in text  # constrained metrics sit beside the objectives
    assert "Hypervolume (normalised, ref 1.1): **0.4600** after 6 trials" in text
    assert text.count("\n| 0 |") + text.count("\n| 3 |") + text.count("\n| 1 |") == 3


def test_html_is_self_contained(tmp_path) -> None:
    out = tmp_path / "r.html"
    text = report(known_study(tmp_path / "k.db"), out)
    assert out.read_text() == text
    # every script and style is inline: no src/href pointing anywhere but data: URIs
    script_tags = re.findall(r"<script[^>]*>", text, re.I)
    assert script_tags and not any("src" in tag for tag in script_tags)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S | re.I)  # the document outside scripts
    refs = re.findall(r"<(?:link|img|iframe|embed|object)[^>]*\b(?:src|href|data)\s*=\s*[\"']([^\"']+)", markup, re.I)
    assert refs == []
    hrefs = re.findall(r"<a [^>]*href=\"([^\"]+)\"", markup)
    assert len(hrefs) == 2 and all(h.startswith("data:") for h in hrefs)
    assert "out of memory" in text and "trial 3" in text  # failed trial listed; hover text present


def test_bad_inputs_are_one_line_errors(tmp_path) -> None:
    empty = create_study(proposer="random", space=SPACE, objectives={"f1": "minimize", "f2": "minimize"}, storage=tmp_path / "e.db")
    empty.close()
    not_a_study = tmp_path / "notes.db"
    not_a_study.write_text("hello")
    for path, words in [(tmp_path / "e.db", "no completed feasible trials"), (not_a_study, "not a predictnas study")]:
        proc = subprocess.run([sys.executable, "-m", "predictnas", "report", str(path)], capture_output=True, text=True)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and words in proc.stderr and "Traceback" not in proc.stderr
    assert not_a_study.read_text() == "hello"
    study_file = tmp_path / "k.db"
    known_study(study_file).close()
    before = study_file.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "predictnas", "report", str(study_file), "-o", str(study_file)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "is a study file; choose another path" in proc.stderr
    assert study_file.read_bytes() == before  # the study is not overwritten by its report


def test_figures(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    report(known_study(), format="md", figures=tmp_path / "figs")
    for name in ("front.png", "front.svg", "hypervolume.png", "hypervolume.svg"):
        assert (tmp_path / "figs" / name).stat().st_size > 1000


def test_figure_functions_return_figures_like_optuna_visualization() -> None:
    pytest.importorskip("matplotlib")
    import predictnas as pn

    study = known_study()
    front = pn.plot_pareto_front(study)
    ax = front.axes[0]
    assert type(front).__name__ == "Figure" and [ax.get_xlabel(), ax.get_ylabel()] == [o.name for o in study.objectives]
    line = next(l for l in ax.get_lines() if l.get_label() == "Pareto front")
    assert len(line.get_xdata()) == len(study.pareto_front())
    history = pn.plot_hypervolume_history(study)
    assert history.axes[0].get_ylabel() == "hypervolume (normalised)" and len(history.axes[0].get_lines()) == 1


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(tmp_path) -> None:
    assert CHROMIUM is not None, "CI must provide chromium (.ci/run installs Debian's package)"
    page = tmp_path / "r.html"
    report(known_study(tmp_path / "k.db"), page)
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=8000", "--window-size=1200,900"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert dom.count('class="main-svg"') >= 2  # both plotly figures were drawn
    assert len(re.findall(r'class="point"', dom)) >= 5  # the scatter has its markers
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.std() > 0.05  # not a blank page
    red = (pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 50  # the Pareto-front markers are on screen


def test_the_report_tells_random_from_model_proposals_and_setup_from_search_time(tmp_path) -> None:
    import predictnas as pn
    from predictnas.report import format_status, report_data

    def evaluate(arch):
        conv = sum(v == "nor_conv_3x3" for v in arch.values())
        return {"acc": 80.0 + conv, "flops": 10.0 + 5 * conv + sum(v == "nor_conv_1x1" for v in arch.values())}

    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0,
                            storage=tmp_path / "s.db", proposer_options={"n_initial": 4})
    import time

    time.sleep(1.2)  # what building an evaluator (training a supernet) takes before the first proposal
    study.optimize(evaluate, 8, batch_size=2)
    data = report_data(study)
    assert {t.proposed_by for t in data.trials[:4]} == {"random"} and {t.proposed_by for t in data.trials[4:]} == {"gp"}
    assert "before the first proposal" in data.header["wall time"] and "searching" in data.header["wall time"]
    assert "s before the first proposal: building the evaluator" in format_status(study)
    md = report(study, format="md")
    assert "| proposed by |" in md and ("| random |" in md or "| gp |" in md)


def test_parameter_importances_find_the_parameter_that_drives_each_objective() -> None:
    pytest.importorskip("matplotlib")
    import predictnas as pn
    from predictnas.exceptions import InvalidValuesError
    from predictnas.report import param_importances

    def evaluate(arch):  # acc depends on edge 1-2 only, flops on edge 0-3 only
        return {"acc": 80.0 + 5 * (arch["op_1_2"] == "nor_conv_3x3"), "flops": 10.0 + 7 * (arch["op_0_3"] != "none")}

    study = pn.create_study(space="nb201", objectives={"acc": "maximize", "flops": "minimize"}, seed=0, proposer="random")
    with pytest.raises(InvalidValuesError, match="at least 5 completed trials"):
        param_importances(study)
    study.optimize(evaluate, 60)
    scores = param_importances(study)
    assert next(iter(scores["acc"])) == "op_1_2" and scores["acc"]["op_1_2"] > 0.6
    assert next(iter(scores["flops"])) == "op_0_3" and abs(sum(scores["flops"].values()) - 1) < 1e-9
    fig = pn.plot_param_importances(study)
    assert [ax.get_title() for ax in fig.axes] == ["acc", "flops"] and type(fig).__name__ == "Figure"


def test_the_step_summary_splits_model_steps_into_their_phases():
    from predictnas.report import format_proposals

    proposals = [{"step": 0, "seconds": 0.01, "model": "random"},
                 {"step": 1, "seconds": 3.0, "model": "gp", "phase_seconds": {"fit": 2.5, "acquisition": 0.4}},
                 {"step": 2, "seconds": 0.6, "model": "gp", "phase_seconds": {"fit": 0.1, "acquisition": 0.5}},
                 {"step": 3, "seconds": 0.8, "model": "gp", "phase_seconds": {"fit": 0.1, "acquisition": 0.6}}]
    assert format_proposals(proposals) == ("4 steps, median 0.70 s (mean 1.10, max 3.00 s) per step; proposed by gp 3, "
                                           "random 1; model steps, median: fit 0.10 s, acquisition 0.50 s")
    assert format_proposals(proposals[:1]) == "1 steps, median 0.01 s (mean 0.01, max 0.01 s) per step; proposed by random 1"
