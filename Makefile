# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test bench lint format clean venv i18n i18n-compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/cryptowire demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Translations (docs/translating.md): extract the English texts, merge them into every
# language's catalog, compile the .mo files the package ships (committed, so a fresh clone
# needs no build step).
LOCALES := bot/i18n/locales
BABEL_KEYWORDS := -k N_ -k _n:1,2 -k L

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project=cryptowire --version=0.1 -o $(LOCALES)/cryptowire.pot .
	$(BIN)/pybabel update -i $(LOCALES)/cryptowire.pot -d $(LOCALES) -D cryptowire \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(MAKE) i18n-compile

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) -D cryptowire --statistics

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
