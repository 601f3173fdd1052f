# SPDX-License-Identifier: GPL-2.0
#
# The IRQ-suspension fork of Linux 6.12: a patch stack on Debian's
# linux-source-6.12 and the harness that builds, boots and tests it.
# See README.md; `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help
TOP := $(CURDIR)

include base.conf

# CI may run with a bare environment; ccache and the cache need a home.
ifndef HOME
export HOME := $(shell getent passwd $$(id -u) | cut -d: -f6)
endif
# What scripts/lib.sh derives, derived there: $(call lib,COMMAND).
lib = $(shell CACHE='$(CACHE)' bash -c '. $(TOP)/scripts/lib.sh && $(1)')
CACHE := $(call lib,echo "$$CACHE")
BUILD ?= $(TOP)/build
TREE := $(BUILD)/linux
PATCHES := $(TOP)/patches
JOBS ?= $(shell nproc)

# Configuration fragments merged, in this order, over x86_64_defconfig.
FRAGMENTS ?= $(TREE)/kernel/configs/kvm_guest.config $(TOP)/configs/vm.config \
	     $(TOP)/configs/mlx5.config

# Variables with a fixed set of values.
KVM ?= auto
NICS ?= 0
DEBUG ?= 0
check_value = $(if $(and $(filter $(2),$($(1))),$(filter 1,$(words $($(1))))),,\
	$(error $(1)=$($(1)) is not valid; use one of: $(2)))
$(call check_value,KVM,auto on off)
$(call check_value,NICS,0 2)
$(call check_value,DEBUG,0 1)
$(if $(FLAVOR),$(call check_value,FLAVOR,rt cloud))
ifeq ($(FLAVOR),cloud)
ifneq ($(filter-out deb deb-check deb-config help,$(or $(MAKECMDGOALS),help)),)
$(error FLAVOR=cloud is a flavour of Debian's configuration: make deb FLAVOR=cloud)
endif
endif
export KVM NICS

# Kernel flavours: DEBUG=1 adds KASAN, kmemleak and stall detection
# (configs/debug.config), FLAVOR=rt builds PREEMPT_RT (configs/rt.config).
# Each flavour has its own build, module and check directories, so that
# switching between them rebuilds nothing (e.g. build/obj-rt-debug).
VARIANT := $(if $(FLAVOR),-$(FLAVOR))$(if $(filter 1,$(DEBUG)),-debug)
OBJ := $(BUILD)/obj$(VARIANT)
MODROOT := $(BUILD)/modroot$(VARIANT)
override FRAGMENTS += $(if $(FLAVOR),$(TOP)/configs/$(FLAVOR).config) \
	     $(if $(filter 1,$(DEBUG)),$(TOP)/configs/debug.config)

# ccache, when present; its base_dir makes hits independent of where the
# repository is cloned.
export CCACHE_BASEDIR := $(TOP)
export CCACHE_NOHASHDIR := true
export CCACHE_MAXSIZE ?= 10G
KMAKE := $(TOP)/scripts/kmake
export TOP BUILD TREE OBJ MODROOT PATCHES CACHE JOBS KMAKE VARIANT

.PHONY: help deps deps-tree base tree export export-check config kernel vm run check list-check test gate \
	bench rebase-check series-build deb deb-check deb-config base-offered update-base \
	clean distclean
.DELETE_ON_ERROR:

help:
	@echo "make run           build the fork and boot it (shell, or a demonstration without a terminal)"
	@echo "make check         build what is stale and run every test; ends with 'N passed, N failed, N skipped'"
	@echo "make test T=D:N    run tests in the VM as make check does, e.g. T=drivers/net:napi_config.py or T=kunit:napi_config_test"
	@echo "                   (DEBUG=1: on a KASAN, kmemleak, lockdep kernel; FLAVOR=rt: on PREEMPT_RT; STRESS_SECS=s)"
	@echo "make vm CMD='...'  boot the built kernel and run CMD as root (NICS=2 adds two hub-joined virtio-net NICs)"
	@echo "make tree          materialize the fork in build/linux: base commit + one commit per patch"
	@echo "make export        write build/linux's commits (base..HEAD) back to patches/"
	@echo "make export-check  fail and name what build/linux holds that patches/ does not"
	@echo "make kernel        configure and build the kernel and modules (build/obj, build/modroot)"
	@echo "make gate          the W=1 C=1 build of mlx5 and of every object the patches touch"
	@echo "make bench         packet-delivery modes compared under memcached load: table, CSV, plot in build/bench (QUICK=1: a smoke run)"
	@echo "make series-build  build the tree at every patch in turn (objects it changes with W=1, vmlinux for net/ fs/ include/); names the first patch that fails"
	@echo "make rebase-check  apply the stack to every linux-source-6.12 Debian offers; table also in build/rebase-check.md (VERSIONS='v1 v2': only those)"
	@echo "make deb           linux-image/linux-headers packages from Debian's amd64 config (FLAVOR=cloud: cloud-amd64, rt: rt-amd64) in build/deb-*"
	@echo "make deb-config    just the merged .config make deb would build (same FLAVOR=), in seconds"
	@echo "make update-base   move base.conf to the newest linux-source-6.12 apt offers and re-apply the stack"
	@echo "make deb-check     boot the kernel make deb packaged, in the VM with its modules, and run tests/tests.list's deb lines"
	@echo "make deps | deps-tree | base | config | clean | distclean  (deps-tree: only what make tree needs)"
	@echo "variables: BASE_VERSION BASE_SHA256 (base.conf) DEBUG=0|1 FLAVOR=|rt (deb: |cloud|rt) KVM=auto|on|off NICS=0|2"
	@echo "           VM_TIMEOUT=s JOBS=n QUICK=1 STRESS_SECS=s VERSIONS='...'"

.DEFAULT:
	@echo "make: unknown target '$@'; 'make help' lists the targets" >&2; exit 2

deps:
	@scripts/deps.sh

# What make tree needs, and no more (no compiler, no QEMU).
deps-tree:
	@scripts/deps.sh tree

base: deps-tree
	@scripts/base.sh '$(BASE_VERSION)' '$(BASE_SHA256)' '$(CACHE)' >/dev/null

tree: base
	@scripts/stack.py tree '$(call lib,base_repo $(BASE_VERSION))' \
		'$(call lib,base_tag $(BASE_VERSION))' '$(TREE)' '$(PATCHES)'

export:
	@test -d $(TREE)/.git || { echo "export: no tree at $(TREE); run 'make tree'" >&2; exit 1; }
	@scripts/stack.py export '$(TREE)' '$(PATCHES)'

export-check:
	@scripts/stack.py check '$(TREE)' '$(PATCHES)'

config: deps tree
	@scripts/config.sh $(FRAGMENTS)

kernel: config
	@echo "kernel: building in $(OBJ)"
	@$(KMAKE) -s bzImage modules headers
	@$(KMAKE) -s modules_install INSTALL_MOD_PATH=$(MODROOT) INSTALL_MOD_STRIP=1 >/dev/null
	@echo "kernel: $$(cat $(OBJ)/include/config/kernel.release) ready"

vm:
	@scripts/vm.sh "$$CMD"

run: kernel
	@if [ -t 0 ] && [ -t 1 ]; then scripts/vm.sh --interactive; \
	else scripts/vm.sh "$(TOP)/scripts/demo.sh"; fi

check: base-offered list-check kernel
	@scripts/check.sh

# The test list, checked before the build rather than in the VM after it.
list-check: tree
	@scripts/list-check.sh '$(or $(CHECK_LIST),$(TOP)/tests/tests.list)'

test: kernel
	@T='$(T)' scripts/test.sh

gate: kernel
	@scripts/gate.sh

series-build: kernel
	@scripts/series-build.sh

bench: kernel
	@QUICK='$(QUICK)' scripts/bench.sh

deb: base-offered deps tree
	@FLAVOR='$(FLAVOR)' scripts/deb.sh '$(BASE_VERSION)'

deb-config: tree
	@FLAVOR='$(FLAVOR)' scripts/deb.sh '$(BASE_VERSION)' config

# Fails at once when Debian no longer offers the pinned base.
base-offered:
	@scripts/base-offered.sh '$(BASE_VERSION)'

update-base: deps
	@scripts/update-base.sh '$(BASE_VERSION)'

deb-check: deps list-check
	@FLAVOR='$(FLAVOR)' scripts/deb.sh '$(BASE_VERSION)' check

rebase-check: deps-tree
	@VERSIONS='$(VERSIONS)' scripts/rebase-check.sh '$(BASE_VERSION)' '$(BASE_SHA256)'

clean:
	@scripts/stack.py check '$(TREE)' '$(PATCHES)' >/dev/null || { \
		echo "clean: $(TREE) holds work that patches/ does not; 'make export' first" >&2; exit 1; }
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(CACHE)
