# SPDX-License-Identifier: GPL-2.0
#
# tlso: TLS offload for Linux.
#
#   make            build kmod/tlso.ko and the userspace tools
#   make check      every test: host unit tests, then the in-VM suite on
#                   each supported kernel (KVER=... for one)
#   make demo       the demo, in a VM
#   make bench      tlso beside plain TCP, kTLS and GnuTLS, in a VM
#   make lint       sparse and checkpatch.pl on the kernel side
#   make clean      remove everything the build made
#
#   KVER=6.1.0-56-amd64 or KDIR=/path/to/build   kernel to build against
#   V=1                                          show the commands
#
# check and demo install missing Debian packages first (scripts/deps).

# The kernel: KDIR, else KVER, else the running kernel when it has a build
# directory, else the newest installed Debian kernel with headers and image.
KVER_ARG := $(KVER)
ifeq ($(KDIR),)
ifeq ($(KVER),)
ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
KVER := $(shell uname -r)
else
KVER := $(shell scripts/kernels --newest 2>/dev/null)
endif
endif
KDIR := /lib/modules/$(KVER)/build
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif
msg = $(if $(Q),@printf '  %-7s %s\n' $(1) $(2);)

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Ikmod/include/uapi
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Debian's 6.1 headers ship no vmlinux, so BTF for the module cannot be
# generated; say so once here rather than on every build.
KBUILD_OPTS := $(if $(wildcard $(KDIR)/vmlinux),,CONFIG_DEBUG_INFO_BTF_MODULES=)

PROGS := userspace/tlsoctl userspace/tlsod userspace/tlso-cat userspace/tlso-perf
LIB := userspace/libtlso.a
UNIT_TESTS := $(patsubst tests/unit/%.c,build/tests/unit/%,$(wildcard tests/unit/*.c))
VM_TESTS := $(patsubst tests/vm/%.c,build/tests/vm/%,$(wildcard tests/vm/*.c))
TEST_HDRS := $(wildcard tests/lib/*.h) kmod/include/uapi/linux/tlso.h

.PHONY: all module userspace tests check demo bench lint clean help FORCE

all: module userspace

help:
	@sed -n '3,17s/^# \{0,1\}//p' Makefile

# kbuild does not notice a change of kernel between two builds in one
# tree: remember the last one, and start clean when it changes.
module: FORCE
	@test -d "$(KDIR)" || { echo "no kernel build directory '$(KDIR)': run scripts/deps, or give KVER= or KDIR="; exit 1; }
	@if [ -f kmod/.kdir ] && [ "$$(cat kmod/.kdir)" != "$(KDIR)" ]; then \
		$(MAKE) --no-print-directory -C "$$(cat kmod/.kdir)" M=$(CURDIR) clean >/dev/null 2>&1 || true; \
		rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c; \
	fi
	@echo "$(KDIR)" >kmod/.kdir
	$(Q)$(MAKE) --no-print-directory -C $(KDIR) M=$(CURDIR) $(KBUILD_OPTS) modules

userspace: $(PROGS) $(LIB)

userspace/libtlso.o: userspace/libtlso.c userspace/libtlso.h kmod/include/uapi/linux/tlso.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -c -o $@ $<

$(LIB): userspace/libtlso.o
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

userspace/tlsoctl: userspace/tlsoctl.c $(LIB) userspace/libtlso.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(LIB)

userspace/tlso-cat: userspace/tlso-cat.c $(LIB) userspace/libtlso.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(LIB)

# The handshake daemon.  Its libraries' flags are asked for only when it
# is built, so that other targets work without them.
TLSOD_SRCS := userspace/tlsod.c userspace/config.c userspace/handshake.c \
	userspace/netlink.c userspace/trace.c userspace/keys.c
TLSOD_HDRS := userspace/tlsod.h userspace/config.h userspace/handshake.h \
	userspace/netlink.h userspace/trace.h userspace/keys.h \
	kmod/include/uapi/linux/tlso.h
TLSOD_PKG = $(shell pkg-config --cflags --libs gnutls libnl-genl-3.0 inih)

userspace/tlsod: $(TLSOD_SRCS) $(TLSOD_HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $(TLSOD_SRCS) $(TLSOD_PKG)

# The benchmark: GnuTLS for its userspace mode and in-process handshakes,
# the module's record helpers to build records ahead for --rx-only.
PERF_SRCS := userspace/tlso-perf.c userspace/keys.c kmod/record.c kmod/cipher.c
PERF_HDRS := userspace/keys.h userspace/libtlso.h kmod/record.h kmod/cipher.h \
	kmod/include/uapi/linux/tlso.h
PERF_PKG = $(shell pkg-config --cflags --libs gnutls)

userspace/tlso-perf: $(PERF_SRCS) $(PERF_HDRS) $(LIB)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -Ikmod -o $@ $(PERF_SRCS) $(LIB) $(PERF_PKG) -lpthread -lm

# Host unit tests: sanitizers on, kernel-shared sources compiled as is.
SHARED := kmod/cipher.c kmod/record.c
build/tests/unit/%: tests/unit/%.c $(SHARED) kmod/cipher.h kmod/record.h $(TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/lib -Ikmod -o $@ $< \
		$(if $(filter-out harness_test,$*),$(SHARED))

# tlsod's handshake tracer, userspace over GnuTLS: nothing of the kernel's.
build/tests/unit/trace_test: tests/unit/trace_test.c userspace/trace.c userspace/trace.h $(TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/lib -Iuserspace -o $@ $< \
		userspace/trace.c $(shell pkg-config --libs gnutls 2>/dev/null || echo -lgnutls) -lpthread

# The configuration parser of tlsod, with its libraries.
build/tests/unit/config_test: tests/unit/config_test.c userspace/config.c userspace/config.h $(TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/lib -Iuserspace -o $@ $< \
		userspace/config.c $(TLSOD_PKG)

# libtlso without the module, and tlso-cat's command line run as built.
build/tests/unit/libtlso_test: tests/unit/libtlso_test.c userspace/libtlso.c userspace/libtlso.h userspace/tlso-cat $(TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/lib -Iuserspace -o $@ $< \
		userspace/libtlso.c

# tlso-perf's command line, JSON and errors, run as built (plain and
# gnutls modes need no module).
build/tests/unit/tlso_perf_test: tests/unit/tlso_perf_test.c userspace/tlso-perf $(TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/lib -Iuserspace -o $@ $<

# tlso-cat's session over plain TCP: its source with libtlso stubbed out.
build/tests/unit/tlso_cat_test: tests/unit/tlso_cat_test.c userspace/tlso-cat.c userspace/libtlso.h $(TEST_HDRS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) -Itests/lib -Iuserspace -o $@ $<

# In-VM tests run on the host's libraries inside the guest.
# In-VM tests that talk TLS themselves use GnuTLS, the independent stack.
VM_LIBS := $(LIB) $(shell pkg-config --libs gnutls libnl-genl-3.0 2>/dev/null || echo -lgnutls -lnl-genl-3 -lnl-3) -lpthread
VM_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null || echo -I/usr/include/libnl3)

build/tests/vm/%: tests/vm/%.c $(TEST_HDRS) $(LIB)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) $(VM_CFLAGS) -Itests/lib -Iuserspace -o $@ $< $(VM_LIBS)

tests: $(UNIT_TESTS) $(VM_TESTS) $(PROGS)

# Module builds for the suite, one per kernel, each in its own tree of
# links under build/KVER so that both kernels' objects can coexist.
build/modules/%: FORCE
	@test -d /lib/modules/$*/build || { echo "no headers for $*"; exit 1; }
	@rm -rf $@ && mkdir -p $@/kmod $@/tests/kmod
	@ln -s $(CURDIR)/Kbuild $@/Kbuild
	@ln -s $(CURDIR)/kmod/Kbuild $(CURDIR)/kmod/include $(wildcard $(CURDIR)/kmod/*.[ch]) $@/kmod/
	@ln -s $(CURDIR)/tests/kmod/Kbuild $(wildcard $(CURDIR)/tests/kmod/*.c) $@/tests/kmod/
	$(call msg,KBUILD,$*)
	$(Q)$(MAKE) -C /lib/modules/$*/build M=$(CURDIR)/$@ TLSO_TEST_MODULES=m \
		$(if $(wildcard /lib/modules/$*/build/vmlinux),,CONFIG_DEBUG_INFO_BTF_MODULES=) \
		$(if $(Q),-s) modules

check:
	@scripts/deps
	@$(MAKE) --no-print-directory tests
	@tests/check $(KVER_ARG)

demo:
	@scripts/deps
	@$(MAKE) --no-print-directory all
	@scripts/vm-run --kernel $(KVER) -- scripts/demo

bench:
	@scripts/deps
	@$(MAKE) --no-print-directory all
	@scripts/bench $(KVER)

lint:
	@scripts/deps --lint
	@scripts/lint

clean:
	$(Q)if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) TLSO_TEST_MODULES=m clean; fi
	$(Q)rm -rf build $(PROGS) $(LIB) userspace/*.o
	$(Q)find kmod tests -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' -o -name 'modules.order' | xargs rm -f
	$(Q)rm -f Module.symvers modules.order .module-common.o kmod/.kdir
