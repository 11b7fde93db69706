/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: loading and unloading kernel modules, reading the files
 * they publish.  Used only inside the test VM.
 */
#ifndef TLSO_TEST_KMOD_H
#define TLSO_TEST_KMOD_H

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The tlso.ko under test, from the suite's environment. */
static inline const char *kmod_tlso_path(void)
{
	const char *p = getenv("TLSO_KO");

	return p && *p ? p : "kmod/tlso.ko";
}

static inline bool kmod_loaded(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return stat(path, &st) == 0;
}

/*
 * Built into the kernel: a /sys/module entry (it has parameters) but no
 * initstate.  The TCP ULP name it registers is then taken for good.
 */
static inline bool kmod_builtin(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return !kmod_loaded(name) && stat(path, &st) == 0;
}

/* finit_module(2): 0, or -errno. */
static inline int kmod_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* delete_module(2) without waiting: 0, or -errno (EWOULDBLOCK in use). */
static inline int kmod_unload(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * Unload, retrying while the module is in use for up to ms milliseconds:
 * closed sockets let go of the module only when TCP destroys them, a
 * moment after close() on loopback.
 */
static inline int kmod_unload_wait(const char *name, int ms)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int err;

	for (;;) {
		err = kmod_unload(name);
		if (err != -EWOULDBLOCK || ms <= 0)
			return err;
		nanosleep(&ts, NULL);
		ms -= 20;
	}
}

/* Read a small text file into buf; -1 on error. */
static inline int kmod_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* tlso's module parameter name (/sys/module/tlso/parameters): it, or -1. */
static inline long kmod_param_get(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/module/tlso/parameters/%s", name);
	if (kmod_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* Write the string to a sysfs or proc file: 0, or -errno. */
static inline int kmod_write_file(const char *path, const char *str)
{
	size_t n = strlen(str);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, str, n) != (ssize_t)n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* Set it: 0, or -errno (EINVAL for a value the module refuses). */
static inline int kmod_param_set(const char *name, long value)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/module/tlso/parameters/%s", name);
	snprintf(buf, sizeof(buf), "%ld", value);
	return kmod_write_file(path, buf);
}

/* Whether name is one of the whitespace-separated words of the file. */
static inline bool kmod_file_has_word(const char *path, const char *name)
{
	char buf[4096], *tok, *save;

	if (kmod_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

static inline bool kmod_ulp_available(const char *name)
{
	return kmod_file_has_word("/proc/sys/net/ipv4/tcp_available_ulp",
				  name);
}

/* A counter of /proc/net/tlso_stat (of this task's netns), or -1. */
static inline long kmod_tlso_stat(const char *field)
{
	char buf[4096], *line, *save;
	size_t n = strlen(field);

	if (kmod_read_file("/proc/self/net/tlso_stat", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, field, n) && (line[n] == ' ' ||
						 line[n] == '\t'))
			return strtol(line + n, NULL, 10);
	return -1;
}

/* The in-tree kTLS module, through modprobe as a user would load it. */
static inline int kmod_modprobe(const char *name)
{
	char cmd[128];

	/* A shell and modprobe cost a good part of a second under TCG. */
	if (kmod_loaded(name))
		return 0;
	snprintf(cmd, sizeof(cmd), "modprobe -q %s 2>/dev/null", name);
	return system(cmd) == 0 ? 0 : -1;
}

/* Whether the kernel log holds text (dmesg, as an admin would look). */
static inline bool kmod_dmesg_has(const char *text)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "dmesg | grep -qF -- '%s'", text);
	return system(cmd) == 0;
}

/* One reading of kmod_kmalloc_in_use(): the caches matching pat, summed. */
static inline long kmod_kmalloc_sample(const char *pat)
{
	char path[PATH_MAX], buf[256];
	long total = -1;
	glob_t g;
	size_t i;

	if (glob(pat, 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		snprintf(path, sizeof(path), "%s/shrink", g.gl_pathv[i]);
		if (kmod_write_file(path, "1"))
			goto fail;
		snprintf(path, sizeof(path), "%s/objects", g.gl_pathv[i]);
		if (kmod_read_file(path, buf, sizeof(buf)))
			goto fail;
		total = (total < 0 ? 0 : total) + strtol(buf, NULL, 10);
	}
	globfree(&g);
	return total;
fail:
	globfree(&g);
	return -1;
}

/*
 * Objects in use in the kernel's kmalloc caches of size bytes (kmalloc-8,
 * and kmalloc-rnd-NN-8 or kmalloc-cg-8 where the kernel has them), or -1
 * when it shows none.  Each cache is shrunk first: that hands the objects
 * kept free per CPU back, which "objects" would otherwise count as used.
 * Anything the rest of the kernel allocates between a shrink and the read
 * takes a whole slab per CPU again, and a slab of 8-byte objects counts
 * as 512 in use: the least of a few samples leaves out what was only
 * passing through (not what the kernel keeps a while, so callers still
 * need a margin of a slab or two).
 */
#define KMOD_SLAB_SAMPLES	5

static inline long kmod_kmalloc_in_use(unsigned int size)
{
	long least = -1, n;
	char pat[64];
	int i;

	snprintf(pat, sizeof(pat), "/sys/kernel/slab/kmalloc*-%u", size);
	for (i = 0; i < KMOD_SLAB_SAMPLES; i++) {
		n = kmod_kmalloc_sample(pat);
		if (n < 0)
			return -1;
		if (least < 0 || n < least)
			least = n;
		if (i + 1 < KMOD_SLAB_SAMPLES)
			usleep(20 * 1000);
	}
	return least;
}

#endif /* TLSO_TEST_KMOD_H */
