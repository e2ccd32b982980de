# The two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
PO     := $(wildcard locale/*/LC_MESSAGES/django.po)
MO     := $(PO:.po=.mo)

.PHONY: demo test install messages makemessages services slurm lint demo-code clean

# Debian packages: PDF statements (Pango via WeasyPrint, CJK fonts), gettext for the catalogues,
# Chromium for the browser tests (Playwright drives Debian's Chromium; it downloads no browser).
DEBIAN_PACKAGES = gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium

install: $(STAMP)

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@scripts/apt-install.sh $(DEBIAN_PACKAGES)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

# Compiled translations (.mo) are built, not committed.
messages: $(MO)
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | install
	@command -v msgfmt >/dev/null || scripts/apt-install.sh gettext
	$(BIN)/python manage.py compilemessages --ignore '.venv' -v 0

# Refresh the catalogues from the source (developers run this after adding strings).
makemessages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete

demo: install messages
	@mkdir -p var/broker/queue var/broker/processed var/broker/control
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py load_demo_catalog
	$(BIN)/python manage.py seed_operations
	$(BIN)/python manage.py seed_vouchers
	@echo ""
	@echo "  Open http://127.0.0.1:8000/  — Ctrl-C stops the web server, the worker and beat."
	@echo ""
	$(BIN)/honcho -f Procfile.demo start

demo-code: install
	@$(BIN)/python manage.py demo_totp $(EMAIL)

services:
	@scripts/ensure-services.sh

# A one-node Slurm cluster on this machine for the Slurm engine's tests (installs munge and
# slurm-wlm when missing; a no-op when it is already up).
slurm:
	@scripts/slurm-up.sh

test: install messages services slurm
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=portal.settings.test -v 0 \
	  || { echo "Models changed without a migration: run manage.py makemigrations."; exit 1; }
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf var $(VENV)
