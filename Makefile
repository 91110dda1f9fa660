# Dealer Portal: `make run` starts the whole portal locally; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-12)
PORT   ?= 8000

.PHONY: run test install chromium node package deploy stage-given smoke bench clean

run: install
	PORT=$(PORT) $(BIN)/python -m infra.local.stack

test: install chromium node
	$(BIN)/python -m pytest

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .  # the `portal` CLI
	rm -f $(VENV)/.installed-*
	touch $@

# Browser tests drive Debian's Chromium (nothing here may download a browser build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The emergepay contract test runs Gravity's Node SDK (installed with npm at test time).
node:
	@{ command -v node && command -v npm; } >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }

# Deployment package: Chalice's zip plus templates/ and static/ (see README).
package: install
	$(BIN)/python -m infra.package --stage $(or $(STAGE),prod) --out build/$(or $(STAGE),prod)

# AWS (README "Deploying to AWS"): the AWS CLI with credentials of the target account.
#   make deploy STAGE=dev OPERATOR_EMAIL=ops@example.com MAIL_SENDER=no-reply@portal.example.com [LOG_RETENTION_DAYS=90] [WEB_RESERVED_CONCURRENCY=0]
#   make smoke URL=https://portal.example.com [STAGE=dev]
deploy: stage-given package
	$(BIN)/python -m infra.deploy --stage $(or $(STAGE),prod) --package build/$(or $(STAGE),prod) \
		--operator-email "$(OPERATOR_EMAIL)" --mail-sender "$(MAIL_SENDER)" --log-retention-days "$(LOG_RETENTION_DAYS)" \
		--web-reserved-concurrency "$(WEB_RESERVED_CONCURRENCY)" --artifacts-bucket "$(ARTIFACTS_BUCKET)"

stage-given:
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=<a stage of .chalice/config.json> OPERATOR_EMAIL=<address> MAIL_SENDER=<verified sender>" >&2; exit 2; }

smoke: install
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://<a company's host> [STAGE=<stage>]" >&2; exit 2; }
	$(BIN)/python -m infra.smoke "$(URL)" $(if $(STAGE),--stage $(STAGE))

# Benchmarks (bench/README.md): every bench/*.py script, in-process moto, no network.
bench: install
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build .pytest_cache
