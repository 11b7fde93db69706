# SPDX-License-Identifier: GPL-2.0
#
# tlso: TLS offload for Linux.
#
#   make            build kmod/tlso.ko and the userspace tools (build/bin/)
#   make check      every test: host unit tests, then the in-VM suite on
#                   each supported kernel (KVER=... for one)
#   make demo       the demo, in a VM
#   make bench      tlso beside plain TCP, kTLS and GnuTLS, in a VM
#   make lint       sparse and checkpatch.pl on the kernel side
#   make check-debug  the in-VM suite on a debug kernel (KASAN, lockdep,
#                   kmemleak, fault injection) built once per machine,
#                   a long stress run and a kmemleak scan; run it before
#                   any change to kmod/ (the first build takes long;
#                   ONLY="soak_test ..." runs a part of the suite)
#   make fuzz       libFuzzer on the host, 10M inputs a target (FUZZ_*)
#   make install    the module, programs, library, man pages, unit and a
#                   sample configuration (never over one); uninstall;
#                   install-dkms: the module's source for DKMS
#   make clean      remove everything the build made
#
#   KVER=6.1.0-56-amd64 or KDIR=/path/to/build   kernel to build against
#   PREFIX=/usr/local DESTDIR=                   where install puts things
#   V=1                                          show the commands
#
# check, check-debug, demo and bench install missing Debian packages first
# (scripts/deps).
# Userspace products go to build/: programs in build/bin, libtlso in
# build/lib, objects in build/obj (build/san: the host tests' sanitized
# ones), each object with the header dependencies the compiler found.

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

# The libraries' flags; empty (and the build of what needs them fails
# plainly) where pkg-config does not know them, so that help and clean
# work on a bare machine.
pkg = $(shell pkg-config $(1) $(2) 2>/dev/null)
GNUTLS_LIBS := $(call pkg,--libs,gnutls)
NL_CFLAGS := $(or $(call pkg,--cflags,libnl-genl-3.0),-I/usr/include/libnl3)
NL_LIBS := $(or $(call pkg,--libs,libnl-genl-3.0),-lnl-genl-3 -lnl-3)
INIH_LIBS := $(or $(call pkg,--libs,inih),-linih)
SECCOMP_LIBS := $(or $(call pkg,--libs,libseccomp),-lseccomp)

# Debian's 6.1 headers ship no vmlinux, so BTF for the module cannot be
# generated; say so once here rather than on every build.
KBUILD_OPTS := $(if $(wildcard $(KDIR)/vmlinux),,CONFIG_DEBUG_INFO_BTF_MODULES=)

BIN := build/bin
OBJ := build/obj
SANOBJ := build/san
PICOBJ := build/pic
LIB := build/lib/libtlso.a
# The shared library: its soname changes with an incompatible ABI.
TLSO_VERSION := 0.1
SO_MAJOR := 0
SO_NAME := libtlso.so.$(SO_MAJOR)
SHLIB := build/lib/libtlso.so.$(TLSO_VERSION).0

objs = $(patsubst %.c,$(OBJ)/%.o,$(1))
picobjs = $(patsubst %.c,$(PICOBJ)/%.o,$(1))
sanobjs = $(patsubst %.c,$(SANOBJ)/%.o,$(1))

# ---- the layout: one folder a program, README's map ----

# libtlso: what applications link.  keys.c (GnuTLS keys to crypto_info)
# is shared by tlsod and tlso-perf but needs GnuTLS, so it stays out of
# the archive.
KEYS_SRCS := userspace/lib/keys.c
LIBTLSO_SRCS := $(filter-out $(KEYS_SRCS),$(wildcard userspace/lib/*.c))
# The module's record format code, compiled for userspace as it is.
KSHARED_SRCS := kmod/record.c kmod/cipher.c

TLSOD_SRCS := $(wildcard userspace/tlsod/*.c) $(KEYS_SRCS)
TLSOCTL_SRCS := $(wildcard userspace/tlsoctl/*.c)
CAT_SRCS := $(wildcard userspace/tlso-cat/*.c)
PERF_SRCS := $(wildcard userspace/tlso-perf/*.c) $(KEYS_SRCS) $(KSHARED_SRCS)
# tlso-wrap: the launcher, and the library it preloads (with libtlso in it)
WRAP_SRCS := userspace/tlso-wrap/main.c userspace/tlso-wrap/rules.c
WRAPLIB_SRCS := userspace/tlso-wrap/preload.c userspace/tlso-wrap/rules.c
WRAPLIB := build/lib/tlso-wrap.so
# Where make install puts the preloaded library (tlso-wrap also looks in
# ../lib/tlso beside itself, and ../lib in the build tree).
WRAP_LIBDIR = $(PREFIX)/lib/tlso

PROGS := $(BIN)/tlsod $(BIN)/tlsoctl $(BIN)/tlso-cat $(BIN)/tlso-perf $(BIN)/tlso-wrap

# Include paths by where a source lives.
$(OBJ)/userspace/%.o $(SANOBJ)/userspace/%.o $(PICOBJ)/userspace/%.o: XCFLAGS = -Iuserspace/lib
$(OBJ)/userspace/tlsod/%.o $(SANOBJ)/userspace/tlsod/%.o: XCFLAGS = -Iuserspace/lib $(NL_CFLAGS)
$(OBJ)/userspace/tlsoctl/%.o $(SANOBJ)/userspace/tlsoctl/%.o: XCFLAGS = -Iuserspace/lib $(NL_CFLAGS)
$(OBJ)/userspace/tlso-perf/%.o $(SANOBJ)/userspace/tlso-perf/%.o: XCFLAGS = -Iuserspace/lib -Ikmod
$(OBJ)/userspace/tlso-wrap/%.o $(SANOBJ)/userspace/tlso-wrap/%.o $(PICOBJ)/userspace/tlso-wrap/%.o: XCFLAGS = -Iuserspace/lib -DTLSO_WRAP_LIBDIR='"$(WRAP_LIBDIR)"' 
$(OBJ)/tests/%.o $(SANOBJ)/tests/%.o: XCFLAGS = -Itests/lib -Ikmod -Iuserspace/lib -Iuserspace/tlsod -Iuserspace/tlso-cat -Iuserspace/tlsoctl -Iuserspace/tlso-wrap $(NL_CFLAGS)

.PHONY: all module userspace tests check check-debug demo bench lint clean help install install-module install-userspace uninstall install-dkms deb FORCE

all: module userspace

help:
	@sed -n '3,26s/^# \{0,1\}//p' Makefile

# kbuild does not notice a change of kernel between two builds in one
# tree: remember the last one, and start clean when it changes -- by
# hand, since kbuild's own clean of M= sweeps the whole tree, the
# suite's modules in build/modules among it.
module: FORCE
	@test -d "$(KDIR)" || { echo "no kernel build directory '$(KDIR)': run scripts/deps, or give KVER= or KDIR="; exit 1; }
	@if [ -f kmod/.kdir ] && [ "$$(cat kmod/.kdir)" != "$(KDIR)" ]; then \
		rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd \
			kmod/modules.order modules.order Module.symvers .*.cmd; \
	fi
	@echo "$(KDIR)" >kmod/.kdir
	$(Q)$(MAKE) --no-print-directory -C $(KDIR) M=$(CURDIR) $(KBUILD_OPTS) modules

userspace: $(PROGS) $(LIB) $(SHLIB) $(WRAPLIB)

# ---- compiling: every object with its generated header dependencies ----

$(OBJ)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(BASE_CFLAGS) $(XCFLAGS) -MMD -MP -c -o $@ $<

# The shared library's objects: position independent, only the API of
# libtlso.h exported (libtlso.map).
$(PICOBJ)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC $(BASE_CFLAGS) $(XCFLAGS) -MMD -MP -c -o $@ $<

# Host unit tests: sanitizers on, in their own objects.
$(SANOBJ)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) $(XCFLAGS) -MMD -MP -c -o $@ $<

.SECONDARY:

-include $(shell find $(OBJ) $(SANOBJ) $(PICOBJ) -name '*.d' 2>/dev/null)

$(LIB): $(call objs,$(LIBTLSO_SRCS))
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SHLIB): $(call picobjs,$(LIBTLSO_SRCS)) userspace/lib/libtlso.map
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SO_NAME) \
		-Wl,--version-script,userspace/lib/libtlso.map -Wl,-z,defs \
		-o $@ $(filter %.o,$^)
	$(Q)ln -sf $(@F) build/lib/$(SO_NAME) && ln -sf $(SO_NAME) build/lib/libtlso.so

# A program from its prerequisites' objects and archives; the caller
# appends the libraries.
define link
$(call msg,LD,$@)
@mkdir -p $(@D)
$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^)
endef

$(BIN)/tlsod: $(call objs,$(TLSOD_SRCS))
	$(link) $(GNUTLS_LIBS) $(NL_LIBS) $(INIH_LIBS) $(SECCOMP_LIBS)

$(BIN)/tlsoctl: $(call objs,$(TLSOCTL_SRCS)) $(LIB)
	$(link) $(NL_LIBS)

$(BIN)/tlso-cat: $(call objs,$(CAT_SRCS)) $(LIB)
	$(link)

$(BIN)/tlso-perf: $(call objs,$(PERF_SRCS)) $(LIB)
	$(link) $(GNUTLS_LIBS) -lpthread -lm

$(BIN)/tlso-wrap: $(call objs,$(WRAP_SRCS))
	$(link)

# Only the interposed calls are exported: libtlso inside stays hidden.
$(WRAPLIB): $(call picobjs,$(WRAPLIB_SRCS) $(LIBTLSO_SRCS)) userspace/tlso-wrap/tlso-wrap.map
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-z,defs \
		-Wl,--version-script,userspace/tlso-wrap/tlso-wrap.map \
		-o $@ $(filter %.o,$^) -ldl

# ---- tests ----

TESTLIB_SRCS := $(wildcard tests/lib/*.c)

# Host unit tests: tests/unit/NAME.c with the sources UT_NAME lists and
# the libraries UT_LIBS_NAME, all sanitized; UT_RUN_NAME is what must be
# built for it to run.
UT_record_test := $(KSHARED_SRCS)
UT_cipher_test := $(KSHARED_SRCS)
UT_trace_test := $(wildcard userspace/tlsod/trace_*.c)
UT_LIBS_trace_test := $(GNUTLS_LIBS) -lpthread
# config.c makes the external keys of keyproxy.c, which logs.
UT_config_test := $(wildcard userspace/tlsod/config*.c) userspace/tlsod/keyproxy.c userspace/tlsod/clock.c \
	userspace/tlsod/log.c userspace/tlsod/trace_printer.c
UT_LIBS_config_test := $(GNUTLS_LIBS) $(INIH_LIBS)
UT_tlsod_errors_test := userspace/tlsod/errors.c
UT_session_cache_test := userspace/tlsod/session_cache.c
UT_tlsod_stats_test := userspace/tlsod/stats.c userspace/tlsod/clock.c userspace/tlsod/log.c
UT_RUN_tlsod_stats_test := $(BIN)/tlsoctl
UT_LIBS_tlsod_errors_test := $(GNUTLS_LIBS)
UT_libtlso_test := $(LIBTLSO_SRCS)
UT_tlso_cat_test := $(filter-out %/main.c,$(CAT_SRCS)) userspace/lib/net.c userspace/lib/names.c
UT_RUN_libtlso_test := $(BIN)/tlso-cat
UT_tlsoctl_test := userspace/tlsoctl/json.c
UT_tlso_wrap_test := userspace/tlso-wrap/rules.c
# tlso-perf as built, with the test library's processes, ports and PKI.
UT_tlso_perf_test := $(TESTLIB_SRCS)
UT_LIBS_tlso_perf_test := $(GNUTLS_LIBS) $(SECCOMP_LIBS)
UT_RUN_tlso_perf_test := $(BIN)/tlso-perf

UNIT_TESTS := $(patsubst tests/unit/%.c,build/tests/unit/%,$(wildcard tests/unit/*.c))

.SECONDEXPANSION:
build/tests/unit/%: $(SANOBJ)/tests/unit/%.o $$(call sanobjs,$$(UT_$$*)) | $$(UT_RUN_$$*)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN) -o $@ $(filter %.o,$^) $(UT_LIBS_$*)

# In-VM tests run on the host's libraries inside the guest; those that
# talk TLS themselves use GnuTLS, the independent stack.  What several
# share is the test library, build/tests/libtest.a.
TESTLIB := build/tests/libtest.a
VM_TESTS := $(patsubst tests/vm/%.c,build/tests/vm/%,$(wildcard tests/vm/*.c))
VM_LIBS := $(GNUTLS_LIBS) $(NL_LIBS) $(SECCOMP_LIBS) -lpthread

$(TESTLIB): $(call objs,$(TESTLIB_SRCS))
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

build/tests/vm/%: $(OBJ)/tests/vm/%.o $(TESTLIB) $(LIB)
	$(link) $(VM_LIBS)

# wrap_test runs tlso-wrap, which needs its library.
tests: $(UNIT_TESTS) $(VM_TESTS) $(PROGS) $(WRAPLIB)

include tests/fuzz/fuzz.mk

# Module builds for the suite, one per kernel, each in its own tree of
# links under build/KVER so that both kernels' objects can coexist.
# MODULES_KDIR: another kernel tree than /lib/modules/KVER/build, as
# for the debug kernel (scripts/check-debug).
# The sources only: a link to the tlso.mod.c of an in-tree build (make
# all) would have kbuild write this kernel's vermagic through it, into
# the other build's module.
module_sources = $(filter-out %.mod.c,$(wildcard $(addprefix $(CURDIR)/,$(1))))
build/modules/%: KDIR_OF = $(or $(MODULES_KDIR),/lib/modules/$*/build)
build/modules/%: FORCE
	@test -d $(KDIR_OF) || { echo "no headers for $*"; exit 1; }
	@rm -rf $@ && mkdir -p $@/kmod $@/tests/kmod
	@ln -s $(CURDIR)/Kbuild $@/Kbuild
	@ln -s $(CURDIR)/kmod/Kbuild $(CURDIR)/kmod/include $(call module_sources,kmod/*.[ch]) $@/kmod/
	@ln -s $(CURDIR)/tests/kmod/Kbuild $(call module_sources,tests/kmod/*.c) $@/tests/kmod/
	$(call msg,KBUILD,$*)
	$(Q)$(MAKE) -C $(KDIR_OF) M=$(CURDIR)/$@ TLSO_TEST_MODULES=m \
		$(if $(wildcard $(KDIR_OF)/vmlinux),,CONFIG_DEBUG_INFO_BTF_MODULES=) \
		$(if $(Q),-s) modules

check:
	@scripts/deps
	@$(MAKE) --no-print-directory tests
	@tests/check $(KVER_ARG)

check-debug:
	@scripts/deps --debug
	@$(MAKE) --no-print-directory tests
	@TLSO_SUITE_ONLY="$(ONLY)" scripts/check-debug

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

# ---- install ----
#
# The module goes where the kernel's own tree looks first for modules of
# that kernel (updates/), outside PREFIX; depmod runs only for a real
# install -- packaging (DESTDIR) leaves that to the package's scripts.
# The configuration directory stays /etc whatever PREFIX is: tlsod's
# default path; another SYSCONFDIR is named in the unit with -c.

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/tlso
UNITDIR ?= $(PREFIX)/lib/systemd/system
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MODDIR ?= /lib/modules/$(KVER)/updates

D := $(DESTDIR)
CONF := $(SYSCONFDIR)/tlso/tlsod.conf
CONF_OPT := $(if $(filter /etc,$(SYSCONFDIR)),, -c $(CONF))
TOOLS := tlsoctl tlso-cat tlso-perf tlso-wrap
MAN1 := $(wildcard userspace/man/*.1)
MAN8 := $(wildcard userspace/man/*.8)

install: install-module install-userspace

install-module: module
	$(Q)install -d $(D)$(MODDIR)
	$(Q)install -m 0644 kmod/tlso.ko $(D)$(MODDIR)/tlso.ko
	$(Q)if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); \
	else echo "install: DESTDIR set, depmod not run (depmod -a $(KVER) after the real install)"; fi

# Everything but the module: what the Debian packages take (the module
# goes as source, to DKMS).
install-userspace: userspace
	$(Q)install -d $(D)$(SBINDIR) $(D)$(BINDIR) \
		$(D)$(LIBDIR) $(D)$(PKGCONFIGDIR) $(D)$(INCLUDEDIR)/tlso/linux \
		$(D)$(MANDIR)/man1 $(D)$(MANDIR)/man8 $(D)$(UNITDIR) \
		$(D)$(DOCDIR) $(D)$(SYSCONFDIR)/tlso
	$(Q)install -m 0755 $(BIN)/tlsod $(D)$(SBINDIR)/tlsod
	$(Q)install -m 0755 $(addprefix $(BIN)/,$(TOOLS)) $(D)$(BINDIR)/
	$(Q)install -d $(D)$(WRAP_LIBDIR)
	$(Q)install -m 0644 $(WRAPLIB) $(D)$(WRAP_LIBDIR)/tlso-wrap.so
	$(Q)install -m 0644 $(LIB) $(D)$(LIBDIR)/libtlso.a
	$(Q)install -m 0755 $(SHLIB) $(D)$(LIBDIR)/$(notdir $(SHLIB))
	$(Q)ln -sf $(notdir $(SHLIB)) $(D)$(LIBDIR)/$(SO_NAME)
	$(Q)ln -sf $(SO_NAME) $(D)$(LIBDIR)/libtlso.so
	$(Q)install -m 0644 userspace/lib/libtlso.h $(D)$(INCLUDEDIR)/tlso/libtlso.h
	$(Q)install -m 0644 kmod/include/uapi/linux/tlso.h $(D)$(INCLUDEDIR)/tlso/linux/tlso.h
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(TLSO_VERSION)|' \
		userspace/lib/libtlso.pc.in >$(D)$(PKGCONFIGDIR)/libtlso.pc
	$(Q)chmod 0644 $(D)$(PKGCONFIGDIR)/libtlso.pc
	$(Q)install -m 0644 $(MAN1) $(D)$(MANDIR)/man1/
	$(Q)install -m 0644 $(MAN8) $(D)$(MANDIR)/man8/
	$(Q)sed -e 's|^ExecStart=.*|ExecStart=$(SBINDIR)/tlsod$(CONF_OPT)|' \
		userspace/system/tlsod.service >$(D)$(UNITDIR)/tlsod.service
	$(Q)chmod 0644 $(D)$(UNITDIR)/tlsod.service
	$(Q)install -m 0644 userspace/system/tlsod.conf.example $(D)$(DOCDIR)/tlsod.conf.example
	$(Q)if [ -e $(D)$(CONF) ]; then \
		echo "install: $(D)$(CONF) exists, left as it is (the sample: $(D)$(DOCDIR)/tlsod.conf.example)"; \
	else \
		install -m 0644 userspace/system/tlsod.conf.example $(D)$(CONF); \
	fi

# The module's source for DKMS (kmod/dkms.conf): what kbuild reads, no
# build products, no test module.
DKMS_SRC := $(D)/usr/src/tlso-$(TLSO_VERSION)

install-dkms:
	$(Q)rm -rf $(DKMS_SRC)
	$(Q)install -d $(DKMS_SRC)/kmod/include/uapi/linux
	$(Q)install -m 0644 kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.[ch])) $(DKMS_SRC)/kmod/
	$(Q)install -m 0644 kmod/include/uapi/linux/tlso.h $(DKMS_SRC)/kmod/include/uapi/linux/
	$(Q)printf '# SPDX-License-Identifier: GPL-2.0\nobj-m += kmod/\n' >$(DKMS_SRC)/Kbuild
	$(Q)sed 's|#MODULE_VERSION#|$(TLSO_VERSION)|' kmod/dkms.conf >$(DKMS_SRC)/dkms.conf
	$(Q)chmod 0644 $(DKMS_SRC)/Kbuild $(DKMS_SRC)/dkms.conf

# Debian packages, from a copy of the source tree with scripts/debian as
# its debian/ (the layout keeps packaging out of the top level):
# build/deb/*.deb, and lintian's verdict.
DEB_TREE := build/deb/tlso-$(TLSO_VERSION)

deb:
	$(Q)rm -rf build/deb && mkdir -p $(DEB_TREE)
	$(Q)tar -c --exclude=./build --exclude=./.git --exclude='*.o' \
		--exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude=modules.order --exclude=Module.symvers \
		--exclude=./kmod/.kdir . | tar -x -C $(DEB_TREE)
	$(Q)cp -r scripts/debian $(DEB_TREE)/debian
	$(Q)cd $(DEB_TREE) && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -40 ../build.log; echo "deb: dpkg-buildpackage failed (build/deb/build.log)"; exit 1; }
	$(Q)ls build/deb/*.deb
	$(Q)lintian --fail-on error build/deb/*.changes

# Everything install and install-dkms put there but the configuration,
# which may hold what the administrator wrote (as apt's remove, not
# purge).  A source DKMS knows is taken from it first (dkms remove).
uninstall:
	$(Q)rm -f $(D)$(MODDIR)/tlso.ko $(D)$(SBINDIR)/tlsod \
		$(addprefix $(D)$(BINDIR)/,$(TOOLS)) \
		$(D)$(LIBDIR)/libtlso.a $(D)$(LIBDIR)/$(notdir $(SHLIB)) \
		$(D)$(WRAP_LIBDIR)/tlso-wrap.so \
		$(D)$(LIBDIR)/$(SO_NAME) $(D)$(LIBDIR)/libtlso.so \
		$(D)$(INCLUDEDIR)/tlso/libtlso.h $(D)$(INCLUDEDIR)/tlso/linux/tlso.h \
		$(D)$(PKGCONFIGDIR)/libtlso.pc \
		$(addprefix $(D)$(MANDIR)/man1/,$(notdir $(MAN1))) \
		$(addprefix $(D)$(MANDIR)/man8/,$(notdir $(MAN8))) \
		$(D)$(UNITDIR)/tlsod.service $(D)$(DOCDIR)/tlsod.conf.example
	$(Q)rm -rf $(DKMS_SRC)
	$(Q)rmdir $(D)$(INCLUDEDIR)/tlso/linux $(D)$(INCLUDEDIR)/tlso $(D)$(DOCDIR) \
		$(D)$(WRAP_LIBDIR) 2>/dev/null || true
	$(Q)if [ -e $(D)$(CONF) ]; then echo "uninstall: $(D)$(CONF) left in place"; fi
	$(Q)if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

clean:
	$(Q)if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) TLSO_TEST_MODULES=m clean; fi
	$(Q)rm -rf build
	$(Q)find kmod tests -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' -o -name 'modules.order' | xargs rm -f
	$(Q)rm -f Module.symvers modules.order .module-common.o kmod/.kdir
