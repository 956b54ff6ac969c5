import os
import tempfile
from pathlib import Path

import pytest

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
