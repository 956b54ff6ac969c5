"""The repository layout and packaging rules that keep `encodings/` a data folder."""

import subprocess
import sys
import tomllib
import zipfile

import pytest

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]



def test_stdlib_encodings_module_is_the_one_imported():
    import encodings

    assert not (REPO / "encodings" / "__init__.py").exists()
    assert not list((REPO / "encodings").glob("*.py"))
    assert str(REPO) not in encodings.__file__
    assert "site-packages" not in encodings.__file__


def test_stdlib_encodings_wins_even_with_repo_on_pythonpath():
    out = subprocess.run(
        [sys.executable, "-c", "import encodings, predictnas; print(encodings.__file__)"],
        env={"PYTHONPATH": str(REPO), "PATH": ""}, capture_output=True, text=True, check=True, cwd=REPO,
    )
    assert str(REPO / "encodings") not in out.stdout


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.relative_to(REPO).parent.parts) for p in (REPO / "predictnas").rglob("__init__.py")
    }
    assert on_disk <= listed
    assert "encodings" not in listed


def test_import_and_help_do_not_load_heavy_libraries():
    code = (
        "import sys, predictnas\n"
        "from predictnas.cli import build_parser\n"
        "build_parser()\n"
        "heavy = [m for m in ('torch', 'botorch', 'gpytorch', 'xgboost', 'pymoo', 'sklearn') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_subcommand_has_help():
    from predictnas.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        res = subprocess.run([sys.executable, "-m", "predictnas", name, "--help"], capture_output=True, text=True)
        assert res.returncode == 0, (name, res.stderr)
        assert "usage: predictnas" in res.stdout


@pytest.mark.slow
def test_wheel_ships_the_specs(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("predictnas-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "predictnas/_specs/nb201.toml" in names
    assert not any(n.startswith("encodings/") for n in names)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)], check=True)
    code = "import predictnas as pn; s = pn.load_space('nb201'); print(s.source)"
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(site), "PATH": ""},
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert str(site) in out.stdout


def test_what_runs_write_under_studies_is_git_ignored():
    import shutil
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    generated = ["studies/nb201_c10.db", "studies/nb201_c10.db-wal", "studies/nb201_c10.db.lock", "studies/trials.csv",
                 "studies/report.md", "studies/nb201_c10.html", "studies/supernet.pt", "site/index.html"]
    res = subprocess.run(["git", "check-ignore", "--no-index", *generated], cwd=repo, capture_output=True, text=True)
    assert res.stdout.split() == generated
    assert subprocess.run(["git", "check-ignore", "--no-index", "studies/nb201_c10.toml"], cwd=repo).returncode == 1
