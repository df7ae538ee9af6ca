# Nanhai-Tong: `make run` serves the API with sandbox upstreams; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
NHT_HOST ?= 127.0.0.1
NHT_PORT ?= 8000
export NHT_HOST NHT_PORT

.PHONY: run test lint venv migrate seed openapi openapi-check worker sandbox clean browser \
	migrate-prod run-prod bench translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) demo seed

# One process with threads: the mounted sandbox keeps its state in memory, and the API
# calls it over HTTP on the same port. Access logs come from the app (JSON, no query strings).
run: seed
	$(VENV)/bin/gunicorn --workers 1 --threads 8 --timeout 60 \
		--bind $(NHT_HOST):$(NHT_PORT) wsgi:app

# The scaled-out shape on one machine (docs/deploy.md), as a LOCAL REHEARSAL (sandbox
# upstreams, generated secrets; it says so): on the PostgreSQL and Redis given by
# PROD_DATABASE_URL / PROD_REDIS_URL (the database is created when missing), state under
# NHT_DATA_DIR (secrets, the beat schedule). nanhaitong/rehearsal.py runs the migrations
# and the demo seed as their own step, then the sandbox upstreams, a Celery worker, the
# beat scheduler and gunicorn; Ctrl-C stops them all within 5 s.
PROD_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/nanhaitong
PROD_REDIS_URL ?= redis://127.0.0.1:6379/0
PROD_SANDBOX_PORT ?= 8100
NHT_DATA_DIR ?= $(CURDIR)/var
PROD_ENV := NHT_DATABASE_URL=$(PROD_DATABASE_URL) NHT_REDIS_URL=$(PROD_REDIS_URL) NHT_DATA_DIR=$(NHT_DATA_DIR) \
	NHT_SANDBOX_URL=http://127.0.0.1:$(PROD_SANDBOX_PORT) NHT_SANDBOX_MOUNT=0

migrate-prod: venv
	$(PY) -c 'import sys; from nanhaitong.rehearsal import create_database; create_database(sys.argv[1])' \
		"$(PROD_DATABASE_URL)"
	env $(PROD_ENV) $(FLASK) db upgrade
	env $(PROD_ENV) $(FLASK) demo seed

run-prod: venv
	env NHT_DATA_DIR=$(NHT_DATA_DIR) $(PY) -m nanhaitong.rehearsal --database-url "$(PROD_DATABASE_URL)" \
		--redis-url "$(PROD_REDIS_URL)" --sandbox-port $(PROD_SANDBOX_PORT)

# Load benchmarks (not part of `make test`): wrk against gunicorn, SQLite then PostgreSQL,
# with a bare-Flask ceiling; tables in bench/results/*.md, chart in bench/results/benchmark.png.
bench: venv
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m bench.run --backend sqlite
	$(PY) -m bench.run --backend postgresql
	$(PY) -m bench.report

# Runs the suite on SQLite, then on PostgreSQL + Redis when they answer, and says which ran.
test: venv
	$(PY) -m tests.run_backends

lint: venv
	$(VENV)/bin/ruff check nanhaitong integrations schemas tests bench

# Message catalogues (nanhaitong/translations): extract the English message ids from the
# code, merge them into zh_CN and en, compile. Then write the Chinese of every new msgid in
# nanhaitong/translations/zh_CN/LC_MESSAGES/messages.po and run this again.
translations: venv
	@mkdir -p var
	$(VENV)/bin/pybabel extract -F nanhaitong/translations/babel.cfg --no-location --no-wrap --sort-output \
		-o var/messages.pot nanhaitong schemas
	$(VENV)/bin/pybabel update -i var/messages.pot -d nanhaitong/translations --no-wrap --ignore-obsolete \
		--no-fuzzy-matching --ignore-pot-creation-date
	$(VENV)/bin/pybabel compile -d nanhaitong/translations --statistics

openapi: venv
	$(FLASK) openapi write

openapi-check: venv
	$(FLASK) openapi check

# A queue worker for the scaled-out shape (needs NHT_REDIS_URL).
worker: venv
	$(VENV)/bin/celery -A nanhaitong.jobs.worker:celery worker --loglevel=INFO

# The sandbox upstreams alone on their own port.
sandbox: venv
	$(PY) -m integrations.sandbox --host 127.0.0.1 --port 8100

# Headless Chromium for the docs-page browser test (Debian package; needs root).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

clean:
	rm -rf $(VENV) var .pytest_cache

# Policy push: match and fan out one policy to 100,000 enterprises on PostgreSQL
# (NHT_BENCH_DATABASE_URL, default the nht_policies database; its schema is replaced).
.PHONY: bench-policies
bench-policies: venv
	$(PY) bench/policy_matching.py

.PHONY: bench-one-stop
bench-one-stop: venv
	$(PY) -m bench.one_stop
