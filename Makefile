# Indgang — the two commands a newcomer needs:
#   make run    set everything up and serve the portal on http://127.0.0.1:5000
#   make test   set everything up and run all tests
# Everything else here is a step of those two.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := portal

.PHONY: run test setup venv assets translations db content serve serve-prod \
        browser lint bench extract-messages clean

run: setup db content serve

test: setup browser
	$(BIN)/ruff check portal tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: venv assets translations

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
	$(BIN)/ruff check portal tests bench

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) node_modules instance
