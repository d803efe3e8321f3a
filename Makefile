# Zentrale: `make run` starts the whole system with a demo, `make demo` plays a day against it; `make test` runs every check.
PYTHON ?= python3
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

# Each unit is type-checked on its own, with its folder as the package base.
TYPED_UNITS := kit libs/businesstime services/tenants services/knowledge services/tickets services/metrics gateway devstack

.PHONY: install run demo test lint format bench clean

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	$(PY) -c "from kit.local.postgres import find_bindir; find_bindir()" 2>/dev/null \
		|| $(UV) sync --frozen --python $(PYTHON) --group pgserver
	touch $@

run: install
	$(PY) -m devstack run

# A simulated day at the service center, played against the stack `make run` started (in another terminal).
demo: install
	$(PY) -m devstack demo $(DEMO_ARGS)

test: lint
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@for unit in $(TYPED_UNITS); do \
		echo "mypy $$unit"; \
		MYPYPATH=$$unit $(VENV)/bin/mypy $$unit || exit 1; \
	done
	$(VENV)/bin/mypy tests bench deploy/tests

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every script runs even when one misses its target; the exit status tells whether all passed.
bench: install
	@status=0; for script in bench/bench_*.py; do $(PY) $$script || status=1; done; exit $$status

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache
