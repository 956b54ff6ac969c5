# Two commands do everything on a fresh CPU-only machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Outside machines with a local torch wheel, add the PyTorch CPU index, e.g.
#   make setup PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_ARGS ?=

.PHONY: setup demo test docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints-cpu.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_ARGS) -c constraints-cpu.txt -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	@$(BIN)/python -c "import predictnas, torch; print('predictnas', predictnas.__version__, '| torch', torch.__version__)"
	@touch $(STAMP)

demo: setup
	$(BIN)/predictnas demo

# One pytest worker per core (at most 4, pytest-xdist): each test's proposer steps run on one thread.
test: setup
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist worksteal

docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache
