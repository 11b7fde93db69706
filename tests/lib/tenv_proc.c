// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the processes of a case, external programs (struct
 * tproc) and forked helpers, started, waited for, shown and ended.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tenv.h"

void tenv_child_fds(int *keep, int n)
{
	int tmp[4], i;

	if (n > 4)
		_exit(126);
	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(keep[i], F_DUPFD, 100);
		if (tmp[i] < 0)
			_exit(126);
	}
	for (i = 0; i < n; i++) {
		if (dup2(tmp[i], 3 + i) < 0)
			_exit(126);
		keep[i] = 3 + i;
	}
	close_range(3 + n, ~0U, 0);
}

static bool tenv_have(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX], *copy, *dir, *save = NULL;
	bool found = false;

	copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", dir, prog);
		found = access(buf, X_OK) == 0;
	}
	free(copy);
	return found;
}

void tenv_need(const char *prog)
{
	if (!tenv_have(prog))
		tcase_skip("%s is not installed (scripts/deps installs it)",
			   prog);
}

struct tproc *tenv_spawn(struct tenv *e, const char *name, bool pipe_in,
			 const char *const argv[])
{
	struct tproc *p;
	int in[2] = { -1, -1 }, out, err, i;
	char cmd[1024] = "";
	size_t len = 0;

	TCASE_ASSERT(e->nprocs < TENV_MAX_PROCS);
	p = &e->procs[e->nprocs];
	memset(p, 0, sizeof(*p));
	p->in = -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->out, sizeof(p->out), "%s/%s.out", e->dir, name);
	snprintf(p->err, sizeof(p->err), "%s/%s.err", e->dir, name);
	if (pipe_in)
		TCASE_ASSERT_OK(pipe2(in, O_CLOEXEC));
	else
		TCASE_ASSERT_OK(in[0] = open("/dev/null",
					     O_RDONLY | O_CLOEXEC));
	TCASE_ASSERT_OK(out = open(p->out, O_WRONLY | O_CREAT | O_TRUNC |
				   O_CLOEXEC, 0600));
	TCASE_ASSERT_OK(err = open(p->err, O_WRONLY | O_CREAT | O_TRUNC |
				   O_CLOEXEC, 0600));
	for (i = 0; argv[i] && len < sizeof(cmd); i++)
		len += snprintf(cmd + len, sizeof(cmd) - len, "%s%s",
				i ? " " : "", argv[i]);
	tcase_log("%s: %s", name, cmd);
	fflush(NULL);
	p->pid = fork();
	TCASE_ASSERT_OK(p->pid);
	if (p->pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		tenv_child_fds(NULL, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out);
	close(err);
	p->in = in[1];
	e->nprocs++;
	return p;
}

void tproc_close_stdin(struct tproc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

int tproc_write(struct tproc *p, const char *text)
{
	size_t len = strlen(text);

	return p->in >= 0 && write(p->in, text, len) == (ssize_t)len ? 0 : -1;
}

int tenv_waitpid(pid_t *pid, int *status, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	pid_t r;

	while (*pid > 0) {
		r = waitpid(*pid, status, WNOHANG);
		if (r == *pid || (r < 0 && errno != EINTR)) {
			*pid = 0;
			break;
		}
		if (tenv_now() > end)
			return -1;
		tenv_msleep(20);
	}
	return *status;
}

int tproc_wait(struct tproc *p, int ms)
{
	return tenv_waitpid(&p->pid, &p->status, ms);
}

bool tproc_running(struct tproc *p)
{
	return tproc_wait(p, 0) == -1;
}

void tproc_kill(struct tproc *p)
{
	tproc_close_stdin(p);
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
	}
}

const char *tenv_status_str(int st, char *buf, size_t size)
{
	if (st == -1)
		snprintf(buf, size, "still running");
	else if (WIFEXITED(st))
		snprintf(buf, size, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, size, "status 0x%x", st);
	return buf;
}

void tenv_show(const struct tproc *p)
{
	char title[64];

	snprintf(title, sizeof(title), "%s stdout", p->name);
	tenv_show_file(title, p->out);
	snprintf(title, sizeof(title), "%s stderr", p->name);
	tenv_show_file(title, p->err);
}

pid_t tenv_fork(struct tenv *e)
{
	pid_t pid;

	TCASE_ASSERT(e->nkids < TENV_MAX_KIDS);
	fflush(NULL);
	pid = fork();
	TCASE_ASSERT_OK(pid);
	if (pid > 0)
		e->kids[e->nkids++] = pid;
	return pid;
}

int tenv_wait_kid(struct tenv *e, pid_t pid, int ms)
{
	pid_t *slot = &pid;
	int i, st = -1;

	for (i = 0; i < e->nkids; i++)
		if (e->kids[i] == pid)
			slot = &e->kids[i];
	return tenv_waitpid(slot, &st, ms);
}

int tenv_capture(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0, r;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = 0;
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < size && (r = fread(out + n, 1, size - 1 - n, f)) > 0)
		n += r;
	out[n] = 0;
	return pclose(f);
}
