import csv
import os
import tempfile
import zlib
from pathlib import Path

import pytest

import predictnas as pn

REPO = Path(__file__).resolve().parents[1]

# Approvals of study files' code go to a trust store of this test run (inherited by the command-line
# runs the tests start), never to the user's own.
os.environ["PREDICTNAS_TRUST_STORE"] = str(Path(tempfile.mkdtemp(prefix="predictnas-trust-")) / "trusted.json")


def benchdata_dir() -> Path | None:
    """The NAS benchmark tables: $PREDICTNAS_DATA_DIR, else ../shared/benchdata beside the repo."""
    env = os.environ.get("PREDICTNAS_DATA_DIR")
    candidate = Path(env) if env else REPO.parent / "shared" / "benchdata"
    return candidate if candidate.is_dir() else None


@pytest.fixture
def data_dir() -> Path:
    d = benchdata_dir()
    if d is None:
        pytest.skip("benchmark tables not found: set PREDICTNAS_DATA_DIR or put them in ../shared/benchdata")
    return d


@pytest.fixture
def optional_data_dir() -> Path | None:
    """The benchmark tables when present (tests that fall back to synthetic data otherwise)."""
    return benchdata_dir()


# -- a synthetic NB201-shaped table, shared by the study, proposer and benchmark tests ---------------
def _metrics(arch):
    """A deterministic synthetic 'benchmark': more convolutions -> more accurate and more FLOPs."""
    conv = sum(v == "nor_conv_3x3" for v in arch.values()) * 3 + sum(v == "nor_conv_1x1" for v in arch.values())
    noise = (zlib.crc32(repr(sorted(arch.items())).encode()) % 1000) / 1000
    return 60 + 2.0 * conv + 3 * noise, 5 + 1.5 * conv + noise, 1 + 0.1 * conv


@pytest.fixture(scope="session")
def nb201():
    return pn.load_space("nb201")


@pytest.fixture(scope="session")
def nb201_table(tmp_path_factory, nb201):
    """A full synthetic NB201-shaped table (15,625 rows) with acc / flops / latency columns."""
    path = tmp_path_factory.mktemp("tables") / "nb201_synth.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*nb201.param_names, "acc", "flops", "latency"])
        for arch in nb201.enumerate():
            writer.writerow([arch[p] for p in nb201.param_names] + [f"{v:.6f}" for v in _metrics(arch)])
    return path


@pytest.fixture
def evaluator(nb201_table, nb201):
    return pn.TableEvaluator(nb201_table, nb201, {"acc": "acc", "flops": "flops"})
