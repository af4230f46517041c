# Two commands: `make run` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck demo sandbox clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV): install Python's venv module (Debian: apt install python3-venv)."; \
		exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

# With a token (in the environment or .env) the bot talks to Telegram; without one it
# starts the loopback sandbox with a demo hotel so there is something to try at once.
run: $(VENV)/.installed
	@$(BIN)/python -m bot check-token; status=$$?; \
	if [ $$status -eq 0 ]; then \
		$(BIN)/python -m bot run; \
	elif [ $$status -eq 1 ]; then \
		echo "No TELEGRAM_BOT_TOKEN configured: starting the sandbox instead (see README)."; \
		$(BIN)/python -m bot sandbox; \
	else \
		exit $$status; \
	fi

sandbox: $(VENV)/.installed
	$(BIN)/python -m bot sandbox

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
