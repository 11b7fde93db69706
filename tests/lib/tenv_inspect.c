// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: a look into tlsod from outside, through /proc: its
 * workers (its child processes), the one holding a given socket, its
 * descriptors, and whether it is back at rest.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tenv.h"

/* The parent pid of pid from /proc, or -1. */
static pid_t tenv_ppid(pid_t pid)
{
	char path[64], buf[512], *rp;
	int ppid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

int tenv_workers(const struct tenv *e, pid_t *pids, int max)
{
	struct dirent *d;
	DIR *dir;
	int n = 0;

	if (e->tlsod <= 0)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (tenv_ppid((pid_t)pid) == e->tlsod) {
			if (n < max)
				pids[n] = (pid_t)pid;
			n++;
		}
	}
	closedir(dir);
	return n;
}

/*
 * Each descriptor of pid with what it points to (/proc/PID/fd, "" when
 * the link cannot be read), to fn until fn returns true: whether it did,
 * or -1 when pid's descriptors cannot be listed.
 */
static int tenv_each_fd(pid_t pid,
			bool (*fn)(const char *fd, const char *target,
				   void *arg),
			void *arg)
{
	char path[300], target[256];
	struct dirent *d;
	bool stop = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (!stop && (d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		stop = fn(d->d_name, target, arg);
	}
	closedir(dir);
	return stop;
}

static bool tenv_count_fd(const char *fd, const char *target, void *arg)
{
	(void)fd;
	(void)target;
	++*(int *)arg;
	return false;
}

int tenv_fd_count(pid_t pid)
{
	int n = 0;

	return tenv_each_fd(pid, tenv_count_fd, &n) < 0 ? -1 : n;
}

struct tenv_fd_list {
	char text[2048];
	size_t len;
};

/* Appends " FD->TARGET" while there is room, then stops. */
static bool tenv_list_fd(const char *fd, const char *target, void *arg)
{
	struct tenv_fd_list *l = arg;

	l->len += snprintf(l->text + l->len, sizeof(l->text) - l->len,
			   " %s->%s", fd, target);
	return l->len >= sizeof(l->text) - 300;
}

static void tenv_show_fds(pid_t pid)
{
	struct tenv_fd_list l = { "", 0 };

	if (tenv_each_fd(pid, tenv_list_fd, &l) >= 0)
		tcase_log("descriptors of %d:%s", (int)pid, l.text);
}

static bool tenv_is_target(const char *fd, const char *target, void *arg)
{
	(void)fd;
	return !strcmp(target, arg);
}

/* Whether process pid has socket fd (of ours) in its descriptor table. */
static bool tenv_holds(pid_t pid, int fd)
{
	char want[64];
	struct stat st;

	if (fstat(fd, &st))
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	return tenv_each_fd(pid, tenv_is_target, want) > 0;
}

pid_t tenv_worker_holding(const struct tenv *e, int fd, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	pid_t pids[300];
	int i, n;

	for (;;) {
		n = tenv_workers(e, pids, 300);
		for (i = 0; i < n && i < 300; i++)
			if (tenv_holds(pids[i], fd))
				return pids[i];
		if (tenv_now() > end)
			return -1;
		tenv_msleep(20);
	}
}

bool tenv_daemon_idle(const struct tenv *e, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	pid_t pids[300];
	int n, fds, i;

	for (;;) {
		n = tenv_workers(e, pids, 300);
		fds = tenv_fd_count(e->tlsod);
		if (n == 0 && fds == e->tlsod_fds)
			return true;
		if (tenv_now() > end)
			break;
		tenv_msleep(50);
	}
	tcase_log("tlsod %d not idle after %d ms: %d workers, %d descriptors (%d when it started)",
		  (int)e->tlsod, ms, n, fds, e->tlsod_fds);
	for (i = 0; i < n && i < 300; i++)
		tcase_log("worker %d", (int)pids[i]);
	tenv_show_fds(e->tlsod);
	return false;
}
