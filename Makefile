# Two commands for a newcomer: `make chat` talks to Garda, `make test` runs every check.
# Both create the virtualenv (.venv) and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: chat test lint install system-packages clean

$(BIN)/garda-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/garda-installed

chat: install
	$(BIN)/garda chat

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# slapd, ldap-utils and fail2ban from Debian's packages, for the tests that run them for real.
system-packages:
	.ci/system-packages

# pytest's exit code 5 means no test ran: that is a failure, never a pass.
test: lint system-packages
	$(BIN)/garda kb validate knowledge/articles
	$(BIN)/garda kb test --kb knowledge/articles
	$(BIN)/pytest; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest ran no tests" >&2; exit 1; fi; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache garda.db
