PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/activate: pyproject.toml constraints.txt
	@command -v dot >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) \
		|| echo "note: graphviz's dot is not installed; plot_model will say so"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(BIN)/activate

demo: $(BIN)/activate
	$(BIN)/python -m openkeras demo

test: $(BIN)/activate
	$(BIN)/python -m pytest -n 2 tests

lint: $(BIN)/activate
	$(BIN)/ruff check .

bench: $(BIN)/activate
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV)
