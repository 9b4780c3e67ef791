# Indgang — the two commands a newcomer needs:
#   make run    set everything up, train the assistant if its data changed, and run the
#               portal (http://127.0.0.1:5000), Rasa and the action server together
#   make test   set everything up and run all tests (portal, browser, assistant)
# Everything else here is a step of those two.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := portal
export RASA_TELEMETRY_ENABLED := false

# The assistant: Rasa 3.6 in its own Python 3.10 environment (see bot/README.md).
BOT        := bot
BOT_BIN    := $(BOT)/.venv/bin
BOT_CONFIG ?= config.yml
BOT_MODEL  := $(BOT)/models/indgang.tar.gz
BOT_LOOKUP := $(BOT)/data/nlu/lookups/municipality.yml
BOT_DATA   := $(BOT)/$(BOT_CONFIG) $(BOT_LOOKUP) \
              $(shell find $(BOT)/domain $(BOT)/data -name '*.yml' 2>/dev/null) \
              $(wildcard $(BOT)/components/*.py) $(BOT)/textfold.py

.PHONY: run test setup venv assets translations db content demo serve serve-prod \
        browser lint bench bench-chat bench-booking bench-tools extract-messages clean bot-venv bot-train bot-test \
        bot-nlu-report

# A development token for the action server's calls to the portal API: created once,
# readable only by its owner, never in git (instance/ is ignored). The Procfile gives it
# to the portal (web) and the action server (actions) as PORTAL_API_TOKEN.
API_TOKEN := instance/api_token
$(API_TOKEN):
	@mkdir -p $(@D)
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

# Rasa's HTTP API (`--enable-api`) is protected by this token: the portal uses it to
# resume a conversation after a caseworker's live chat (RASA_AUTH_TOKEN, Procfile).
RASA_TOKEN := instance/rasa_token
$(RASA_TOKEN):
	@mkdir -p $(@D)
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

run: setup db content demo bot-train $(API_TOKEN) $(RASA_TOKEN)
	@echo "Indgang: http://$(HOST):$(PORT)/ (the chat answers once Rasa says it is up and running, a few seconds after start; Ctrl-C stops everything)"
	$(BIN)/honcho start -f Procfile

test: setup browser bot-train
	$(BIN)/ruff check portal tests bench bot/actions bot/components bot/tests
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory bot-test

setup: venv assets translations bot-venv

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "Indgang's portal needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; \
	    echo "Run: make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The design system is installed from npm and served from node_modules (not copied).
assets: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the design system (DKFDS): install Node.js 18+."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

translations: venv
	$(BIN)/pybabel compile -d translations

# Refresh the message catalogues after changing UI strings, then translate in translations/*/LC_MESSAGES/messages.po
extract-messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

db: venv
	$(BIN)/flask db upgrade

content: venv
	$(BIN)/flask content load

# Demo treaters with lunch (11:30-13:00) and evening (from 17:00) chat hours, for
# development only (safe to repeat; production refuses to start while they exist).
demo: venv content
	$(BIN)/flask demo load

# The portal alone (no assistant: the chat then says it is unavailable and offers search).
serve:
	@echo "Indgang is running on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# The production server (PostgreSQL via DATABASE_URL, SECRET_KEY set in the environment).
serve-prod: setup db content
	$(BIN)/gunicorn --bind $(HOST):$(PORT) 'portal:create_app()'

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests will skip)."; fi; \
	fi

lint: venv
	$(BIN)/ruff check portal tests bench bot/actions bot/components bot/tests
	$(BIN)/lint-imports --no-cache

bot-venv: $(BOT)/.venv/.installed
$(BOT)/.venv/.installed: $(BOT)/requirements.txt scripts/find-python3.10
	@py=$$(scripts/find-python3.10) || exit 1; \
	  echo "Creating the assistant's environment with $$py (Rasa: 2-3 minutes, 2.7 GB)"; \
	  $$py -m venv $(BOT)/.venv
	$(BOT_BIN)/pip install --quiet --upgrade pip
	$(BOT_BIN)/pip install --quiet -r $(BOT)/requirements.txt
	@touch $@

# The municipality lookup and synonyms are generated (not in git) from the catalogue's
# municipalities and the bot's place names (bot/actions/places.py), before training.
$(BOT_LOOKUP): content/municipalities.yml $(BOT)/actions/places.py $(BOT)/textfold.py \
               scripts/bot-municipality-lookup.py | $(BOT)/.venv/.installed
	$(BOT_BIN)/python scripts/bot-municipality-lookup.py content/municipalities.yml $@

# Trains only when the pipeline, the domain or the training data changed.
bot-train: $(BOT_MODEL)
$(BOT_MODEL): $(BOT)/.venv/.installed $(BOT_DATA)
	cd $(BOT) && PYTHONPATH=quiet .venv/bin/rasa train --domain domain --data data \
	  --config $(BOT_CONFIG) --out models --fixed-model-name indgang
	@touch $@

bot-test: bot-train
	cd $(BOT) && .venv/bin/rasa data validate --domain domain --data data --fail-on-warnings
	cd $(BOT) && .venv/bin/rasa test core --stories tests/stories --model models/indgang.tar.gz \
	  --fail-on-prediction-errors --out results/core
	cd $(BOT) && .venv/bin/python -m pytest -q tests/actions

# Intent precision/recall/F1 per intent by cross-validation (report in bot/results/nlu).
bot-nlu-report: bot-venv $(BOT_LOOKUP)
	cd $(BOT) && .venv/bin/rasa test nlu --nlu data --config $(BOT_CONFIG) --domain domain \
	  --cross-validation --folds 3 --out results/nlu

# The held-out conversation set (bot/tests/held_out/conversations/, never used for tuning)
# through the portal and the real assistant: the share passed, per language and category.
.PHONY: bot-held-out
bot-held-out: setup bot-train
	$(BIN)/python -m tests.chat.conversations $(HELD_OUT_ARGS)

# What the benchmarks need from Debian: wrk (load) and Chromium (page weight). Installed
# with apt-get when missing and running as root; otherwise says what to install and stops.
bench-tools:
	@missing=""; \
	  command -v wrk >/dev/null || missing="$$missing wrk"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "Installing$$missing from Debian (apt-get)"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else \
	      echo "The benchmarks need$$missing: run 'sudo apt-get install -y$$missing', then make $@ again."; \
	      exit 1; \
	    fi; \
	  fi

bench: setup bench-tools
	$(BIN)/python -m bench.run

# The assistant: turn latency and throughput through the portal, memory, training time.
bench-chat: setup bench-tools
	$(BIN)/python -m bench.chat

# Booking on PostgreSQL (BENCH_DATABASE_URL, default: the database indgang_bench on this
# machine, created when missing and WIPED) and the live sessions: see bench/booking.py.
bench-booking: setup bench-tools
	$(BIN)/python -m bench.booking

# Search quality (recall@1/@3, precision@3, off-topic) on the tuned and held-out queries,
# at 34 and 2,000 offers, beside PostgreSQL's full-text search (database
# indgang_search_eval, created when missing): see bench/search_quality.py.
.PHONY: search-quality
search-quality: venv
	$(BIN)/python -m bench.search_quality

# The assistant's "search instead of shrugging" on held-out messages: helps / misleads.
.PHONY: fallback-quality
fallback-quality: setup bot-train
	$(BIN)/python -m bench.fallback_quality

clean:
	rm -rf $(VENV) node_modules instance
