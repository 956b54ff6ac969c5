"""The documentation site builds with warnings as errors (broken links and anchors, API
references that no longer resolve, a snippet whose file moved): what CI publishes cannot rot."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_the_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is a dev dependency: `make setup` installs it")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    assert (tmp_path / "latency" / "index.html").is_file() and (tmp_path / "api" / "index.html").is_file()
    api = (tmp_path / "api" / "index.html").read_text()
    assert "measure_front" in api and "LatencyTransfer" in api  # built from the docstrings
    assert "predictnas is a stack of rooms" in (tmp_path / "architecture" / "index.html").read_text()


def test_every_docs_page_is_in_the_navigation():
    import re

    nav = set(re.findall(r":\s*(\S+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), re.M))
    assert {p.name for p in (REPO / "docs").glob("*.md")} == nav
