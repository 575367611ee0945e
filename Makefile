# Every target that runs code first makes sure .venv exists and holds the project and its
# dependencies; the stamp file is refreshed whenever pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCENARIO ?= scenarios/checkout-api.yaml
OUT    ?= results

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/fargatesim run $(SCENARIO) -o $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/dataplane_speed.py
	$(BIN)/python benchmarks/scale_out_timing.py
	$(BIN)/python benchmarks/request_engine_speed.py
	$(BIN)/python benchmarks/websocket_speed.py
	$(BIN)/python benchmarks/churn_speed.py
	$(BIN)/python benchmarks/day_60_tasks.py
	$(BIN)/python benchmarks/week_200_tasks.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
