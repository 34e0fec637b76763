# The two commands of the README: `make lab` starts the course, `make test` runs every test.
# Both first build .venv from requirements-lock.txt (once; again when the lock changes).
# `make test` runs the whole suite on TensorFlow, then the builders, layer_table, the trainer
# and chapter 1's notebook in quick mode again on JAX, the second backend (requirements-jax.txt).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install lab test test-min test-colab clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements-lock.txt requirements-jax.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt -r requirements-jax.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	# the notebooks' "python3" kernel must be this environment's Python
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cnn-lessons)" >/dev/null
	touch $@

lab: install
	$(BIN)/jupyter lab notebooks/

test: install
	$(BIN)/python -m pytest
	KERAS_BACKEND=jax $(BIN)/python -m pytest -m "not imagenet_size" \
		tests/test_lenet.py tests/test_layers.py tests/test_arithmetic.py tests/test_training.py \
		"tests/test_notebooks.py::test_papermill_run_reaches_the_stated_accuracy[01_lenet5]"

# `make test-min` and `make test-colab` test the versions pyproject.toml promises, not the lock's:
# each builds its environment from scratch (.venv-min from requirements-min.txt, every declared
# floor; .venv-colab from requirements-colab.txt, Colab's preinstalled stack) and runs the unit
# tests and every notebook's papermill quick run in it. `pytest tests` collects no notebook, so
# nbval does not run them a second time; the style test is left out (ruff is not a dependency).
test-min test-colab: test-%:
	rm -rf .venv-$*
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-$*.txt
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	.venv-$*/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cnn-lessons)" >/dev/null
	.venv-$*/bin/python -m pytest tests --ignore=tests/test_style.py

clean:
	rm -rf $(VENV) .venv-min .venv-colab build *.egg-info
