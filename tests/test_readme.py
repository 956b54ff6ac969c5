"""Every Python, shell and study-definition example in the README and in ``docs/`` runs, so none can rot.

Python blocks run as scripts in a scratch folder (``studies/`` inside it); the NAS-Bench-201
table path of the README (``../shared/benchdata``) points at the real table (these examples skip
without it). Shell blocks run line by line in a scratch copy of ``studies/`` (``make`` lines are
the quick start, which CI runs itself). A TOML block is a study definition: it is run with a
small budget.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]  # the README and the documentation site
BLOCKS = [(m.group(1), m.group(2), f"{page.stem}-{text[: m.start()].count(chr(10)) + 1}")
          for page in PAGES for text in [page.read_text(encoding="utf-8")]
          for m in re.finditer(r"```(python|bash|toml)\n(.*?)```", text, re.S)]
pytestmark = pytest.mark.slow


def _ids(kind):
    return [f"{kind}-{where}" for k, _, where in BLOCKS if k == kind]


def _env(data_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    if data_dir is not None:
        env["PREDICTNAS_DATA_DIR"] = str(data_dir)
    return env


def _scratch(tmp_path):
    shutil.copytree(REPO / "studies", tmp_path / "studies", ignore=shutil.ignore_patterns("*.db*", "*.pt*", "*.html"))
    return tmp_path


def _needs_data(code, data_dir):
    if "benchdata" in code and data_dir is None:
        pytest.skip("the NAS-Bench-201 table is not here: set PREDICTNAS_DATA_DIR or put it in ../shared/benchdata")


@pytest.mark.parametrize("code", [c for k, c, _ in BLOCKS if k == "python"], ids=_ids("python"))
def test_python_example_runs(code, tmp_path, optional_data_dir):
    _needs_data(code, optional_data_dir)
    if optional_data_dir is not None:
        code = code.replace("../shared/benchdata", str(optional_data_dir))
    (tmp_path / "example.py").write_text(code)
    res = subprocess.run([sys.executable, "example.py"], cwd=_scratch(tmp_path), env=_env(optional_data_dir),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]


@pytest.mark.parametrize("code", [c for k, c, _ in BLOCKS if k == "bash"], ids=_ids("bash"))
def test_shell_example_runs(code, tmp_path, optional_data_dir):
    _needs_data(code, optional_data_dir)
    cwd = _scratch(tmp_path)
    for line in code.splitlines():
        command = line.split("  #")[0].strip()
        if not command or command.startswith(("#", "make ")):
            continue
        res = subprocess.run(command, shell=True, cwd=cwd, env=_env(optional_data_dir), capture_output=True, text=True,
                             timeout=600)
        assert res.returncode == 0, f"{command}\n{res.stderr[-3000:]}"


@pytest.mark.parametrize("code", [c for k, c, _ in BLOCKS if k == "toml"], ids=_ids("toml"))
def test_study_definition_example_runs(code, tmp_path, optional_data_dir):
    if 'kind = "study"' not in code:
        pytest.skip("not a complete study definition")
    _needs_data(code, optional_data_dir)
    cwd = _scratch(tmp_path)
    (cwd / "studies" / "example.toml").write_text(code)
    res = subprocess.run([sys.executable, "-m", "predictnas", "run", "studies/example.toml", "--budget", "6", "--no-progress"],
                         cwd=cwd, env=_env(optional_data_dir), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
