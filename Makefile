# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/futures_crm
CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test venv dev-deps messages messages-update lint check

$(BIN)/.installed: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# Compiled catalogues are committed; rebuild them when gettext is installed.
# (DATABASE_URL is only parsed here, never connected to: no database server is started for this.)
messages: $(BIN)/.installed
	@if command -v msgfmt >/dev/null && [ -n "$$(find . -path ./.venv -prune -o -name '*.po' -print -quit)" ]; then DATABASE_URL=$(DATABASE_URL) DEBUG=1 $(BIN)/python manage.py compilemessages -v 0 --ignore=.venv --ignore=var; fi

# Re-extract every catalogue (then translate the new entries and run `make messages`).
messages-update: $(BIN)/.installed
	DATABASE_URL=$(DATABASE_URL) $(BIN)/python -m futures_crm.i18n

# The project's own PostgreSQL (unless DATABASE_URL is set in the environment), in-process tasks,
# and a demo brokerage with its nightly results on first start; the server stops when this does.
run: $(BIN)/.installed messages
	DEBUG=1 $(BIN)/python -m futures_crm.embedded_db run sh -c '\
	  $(BIN)/python manage.py migrate --noinput -v 0 && \
	  $(BIN)/python manage.py demo_data --if-empty --clients 500 --seed 1 --days 60 && \
	  exec $(BIN)/python manage.py runserver 127.0.0.1:8000'

# The whole suite against the real PostgreSQL and Redis.
test: $(BIN)/.dev-installed messages
	@$(BIN)/python scripts/check_services.py "$(DATABASE_URL)" "$(CELERY_BROKER_URL)"
	DATABASE_URL=$(DATABASE_URL) CELERY_BROKER_URL=$(CELERY_BROKER_URL) DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .

check: $(BIN)/.dev-installed messages
	DATABASE_URL=$(DATABASE_URL) DEBUG=1 $(BIN)/python manage.py check
	DATABASE_URL=$(DATABASE_URL) DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
