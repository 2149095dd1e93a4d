# pgha.patroni — lab and test entry points. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CACHE := $(CURDIR)/.cache
COLL_LINK := $(CACHE)/collections/ansible_collections/pgha/patroni/galaxy.yml
SUITE ?= trixie
SLOW ?= 0
ONLY ?=
LAB := -i inventories/lab/hosts.yml
export PGHA_IMAGE ?= pgha-lab:$(SUITE)
export PGHA_CACHE_DIR ?= $(HOME)/.cache/pgha.patroni
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CACHE)/collections
export ANSIBLE_FORCE_COLOR ?= 0

.PHONY: help tools venv docker image source lab destroy status build test lint sanity unit integration rules \
        molecule molecule-default molecule-drills molecule-lifecycle molecule-installed

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

tools:  ## install the commands the lab calls when missing (Debian, as root)
	lab/ensure-tools.sh

$(BIN)/ansible-playbook: requirements.txt
	test -x $(BIN)/pip || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(COLL_LINK): lab/link-collection.sh
	lab/link-collection.sh

venv: tools $(BIN)/ansible-playbook $(COLL_LINK)  ## create the controller venv (pinned requirements.txt)

docker: tools  ## make sure a Docker engine answers (installs docker.io on Debian as root)
	lab/ensure-docker.sh

image: docker  ## build the systemd+sshd base image (SUITE=trixie|bookworm), skipped when current
	lab/build-image.sh $(SUITE)

source: tools  ## fetch the upstream PostgreSQL tarball and the Debian 12 etcd archive through Debian packages
	lab/fetch-postgresql-source.sh
	lab/fetch-etcd-archive.sh

lab: venv image source  ## create the three containers, reach them over SSH, run site.yml
	@# containers removed behind molecule's back (docker rm): forget its stale state
	docker inspect pg1 pg2 pg3 bk1 >/dev/null 2>&1 || molecule reset -s default
	molecule create -s default
	ansible-playbook $(LAB) site.yml
	ansible-playbook $(LAB) playbooks/status.yml

status: venv  ## print the lab cluster's state
	ansible-playbook $(LAB) playbooks/status.yml

destroy: venv  ## remove the lab containers and network, nothing else
	molecule destroy -s default
	-docker network rm pgha-lab >/dev/null 2>&1

build: venv  ## build the collection tarball into .cache/dist
	lab/collection.sh build

lint: venv  ## ansible-lint (production profile) and yamllint
	yamllint -s .
	ansible-lint --profile production

sanity: venv  ## ansible-test sanity on a copy of the collection
	lab/ansible-test.sh sanity

unit: venv  ## pytest unit tests
	$(BIN)/python -m pytest -q tests/unit

integration: venv  ## modules against a real Patroni cluster on loopback
	tests/integration/run.sh

rules:  ## the Prometheus alert rules: promtool check rules, then promtool test rules (one test per alert, firing and not)
	lab/fetch-promtool.sh
	$(PGHA_CACHE_DIR)/tools/promtool check rules monitoring/pgha-alerts.yml
	cd tests/prometheus && $(PGHA_CACHE_DIR)/tools/promtool test rules pgha-alerts.test.yml

molecule-default: venv image source  ## Debian 13: site.yml over SSH, idempotence, verify
	molecule test -s default

molecule-drills: venv image source  ## Debian 13: the failure drills
	molecule test -s drills

molecule-installed: venv source  ## Debian 12: site.yml from the installed tarball, idempotence, verify
	lab/ensure-docker.sh
	PGHA_IMAGE=pgha-lab:bookworm lab/build-image.sh bookworm
	molecule test -s installed

molecule-lifecycle: venv image source  ## Debian 13: add, remove, replace and rolling upgrades under write load
	molecule test -s lifecycle

molecule: molecule-default molecule-drills molecule-lifecycle molecule-installed  ## every molecule scenario

test: venv  ## the whole suite (README's test command); SLOW=N adds N busy loops, ONLY=default,drills picks phases
	@# phases and the table of where the time went: lab/test.sh
	SLOW=$(SLOW) ONLY=$(ONLY) MAKE="$(MAKE)" lab/test.sh
