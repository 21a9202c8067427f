# novalite.compute: the two commands of the README.
#   make demo   create a real server on this machine and show it, with its guest's console line
#   make test   unit and module tests, ansible-lint, packaging, ansible-test sanity, integration tests
#   make demo-multi   three hypervisors on this machine, three servers kept apart by anti-affinity,
#                     pinging each other from inside over a vxlan network that spans the hosts
# Both install what is missing first (Debian packages as root, libvirtd, the venv, the
# collection) and can be run again.
SHELL := /bin/bash
REPO := $(CURDIR)
VENV := $(REPO)/.venv
export ANSIBLE_CONFIG := $(REPO)/ansible.cfg
export PATH := $(VENV)/bin:$(PATH)

.PHONY: help demo demo-multi test setup collection demo-image unit lint packaging sanity integration clean

help:
	@sed -n 's/^#   //p' Makefile

setup:
	@bash scripts/bootstrap.sh

collection: setup
	@bash scripts/install-collection.sh

demo-image: setup
	@bash scripts/build-demo-image.sh

demo: collection demo-image
	@bash scripts/timed.sh demo ansible-playbook novalite.compute.demo -e @playbooks/vars/demo_server.yml

demo-multi: collection demo-image
	@bash scripts/timed.sh demo-multi bash scripts/demo-multi.sh

test: collection demo-image
	@bash scripts/run-tests.sh

unit lint packaging sanity integration: collection demo-image
	@bash scripts/run-tests.sh $@

clean:
	rm -rf build .collections
