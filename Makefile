# The two commands of the README: `make lab` starts the course, `make test` runs every test.
# Both first build .venv from requirements-lock.txt (once; again when the lock changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install lab test clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements-lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	# the notebooks' "python3" kernel must be this environment's Python
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cnn-lessons)" >/dev/null
	touch $@

lab: install
	$(BIN)/jupyter lab notebooks/

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
