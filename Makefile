# pgha.patroni — lab and test entry points. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CACHE := $(CURDIR)/.cache
COLL_LINK := $(CACHE)/collections/ansible_collections/pgha/patroni
SUITE ?= trixie
export PGHA_IMAGE ?= pgha-systemd:$(SUITE)
export PGHA_CACHE_DIR ?= $(HOME)/.cache/pgha.patroni
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CACHE)/collections
export ANSIBLE_FORCE_COLOR ?= 0

.PHONY: help venv docker image source lab destroy test lint sanity unit integration molecule status

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/ansible-playbook: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(COLL_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

venv: $(BIN)/ansible-playbook $(COLL_LINK)  ## create the controller venv (pinned requirements.txt)

docker:  ## make sure a Docker engine answers (installs docker.io on Debian as root)
	lab/ensure-docker.sh

image: docker  ## build the systemd base image (SUITE=trixie|bookworm), skipped when present
	lab/build-image.sh $(SUITE)

source:  ## fetch the genuine upstream PostgreSQL tarball through Debian source packages
	lab/fetch-postgresql-source.sh

lab: venv image source  ## create the three containers and run site.yml against inventories/lab
	molecule create -s default
	ansible-playbook -i inventories/lab/hosts.yml site.yml
	ansible-playbook -i inventories/lab/hosts.yml playbooks/status.yml

status: venv  ## print the lab cluster's state
	ansible-playbook -i inventories/lab/hosts.yml playbooks/status.yml

destroy: venv  ## remove the lab containers and network, nothing else
	molecule destroy -s default
	-docker network rm pgha-lab >/dev/null 2>&1

lint: venv  ## ansible-lint (production profile) and yamllint
	yamllint -s .
	ansible-lint --profile production

sanity: venv  ## ansible-test sanity on a copy of the collection
	lab/ansible-test.sh sanity

unit: venv  ## pytest unit tests
	$(BIN)/python -m pytest -q tests/unit

integration: venv  ## modules against a real Patroni cluster on loopback
	tests/integration/run.sh

molecule: venv image source  ## molecule test for every scenario
	molecule test --all

test: lint sanity unit integration molecule  ## the whole suite (README's test command)
