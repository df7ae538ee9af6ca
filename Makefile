# Nanhai-Tong: `make run` serves the API with sandbox upstreams; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
NHT_HOST ?= 127.0.0.1
NHT_PORT ?= 8000
export NHT_HOST NHT_PORT

.PHONY: run test lint venv migrate seed openapi openapi-check worker sandbox clean browser

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

# Runs the suite on SQLite, then on PostgreSQL + Redis when they answer, and says which ran.
test: venv
	$(PY) -m tests.run_backends

lint: venv
	$(VENV)/bin/ruff check nanhaitong integrations schemas tests

openapi: venv
	$(FLASK) openapi write

openapi-check: venv
	$(FLASK) openapi check

# A queue worker for the scaled-out shape (needs NHT_REDIS_URL).
worker: venv
	$(VENV)/bin/celery -A nanhaitong.jobs.worker worker --loglevel=INFO

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
