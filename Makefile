# Chunfeng: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SQLITE_TEST_URL ?= sqlite:///$(CURDIR)/.test-db.sqlite3
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/chunfeng

.PHONY: install run worker beat test test-sqlite test-postgres lint messages check-messages bench clean

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(BIN)/.installed

## Development server on http://127.0.0.1:8000: SQLite file, no Redis, demo data.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## Celery worker and beat for production-like runs (need CELERY_BROKER_URL, e.g. Redis).
worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## The whole suite on SQLite, then on PostgreSQL. With CHUNFENG_REQUIRE_SERVICES=1 (CI) a missing
## PostgreSQL or Redis, or any skipped test, is a failure instead of a skip.
test: lint check-messages test-sqlite test-postgres

test-sqlite: install
	DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/pytest

test-postgres: install
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(POSTGRES_TEST_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest; \
	elif [ "$$CHUNFENG_REQUIRE_SERVICES" = "1" ]; then \
		echo "PostgreSQL at $(POSTGRES_TEST_URL) is required but not reachable"; exit 1; \
	else \
		echo "PostgreSQL not reachable: the PostgreSQL run was skipped (CI requires it)"; \
	fi

## Compile locale/*/LC_MESSAGES/django.po to .mo with Babel: no system gettext needed.
messages: install
	$(BIN)/python manage.py compile_catalogs

check-messages: install
	$(BIN)/python manage.py compile_catalogs --check

bench: install
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) db.sqlite3* .test-db.sqlite3* staticfiles
