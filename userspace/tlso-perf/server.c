// SPDX-License-Identifier: GPL-2.0
/*
 * The server: one test at a time, on the client's parameters, each data
 * connection on a thread of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "perf.h"

static struct {
	pthread_mutex_t lock;
	struct test *test;	/* the one running, or NULL */
	int status;		/* of the last test, for -1 */
	bool served;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct conn_job {
	struct test *t;
	int fd;
	int idx;		/* stream, or -1 for a handshake */
};

static void *conn_thread(void *arg)
{
	struct conn_job *j = arg;
	struct test *t = j->t;

	if (j->idx < 0)
		serve_handshake(t, j->fd);
	else
		run_stream(t, j->fd, j->idx, false);
	test_track(t, j->fd, false);
	close(j->fd);
	pthread_mutex_lock(&t->lock);
	t->conns--;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	free(j);
	return NULL;
}

/* Run fd's stream or handshake on a thread of its own. */
static int start_conn(struct test *t, int fd, int idx)
{
	struct conn_job *j = malloc(sizeof(*j));
	pthread_t tid;
	int ret;

	if (!j || test_track(t, fd, true)) {
		free(j);
		return -1;
	}
	*j = (struct conn_job){ t, fd, idx };
	pthread_mutex_lock(&t->lock);
	t->conns++;
	pthread_mutex_unlock(&t->lock);
	ret = pthread_create(&tid, NULL, conn_thread, j);
	if (ret) {
		pthread_mutex_lock(&t->lock);
		t->conns--;
		pthread_mutex_unlock(&t->lock);
		test_track(t, fd, false);
		free(j);
		return -1;
	}
	pthread_detach(tid);
	return 0;
}

static void wait_conns(struct test *t)
{
	pthread_mutex_lock(&t->lock);
	while (t->conns)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

/* The server's side of one test, after "ok": on a thread of its own. */
static void *server_test(void *arg)
{
	struct test *t = arg, *peer = test_new();
	int ctrl = t->ctrl;
	char line[LINE_MAX_LEN];
	int status = 1;

	if (!peer)
		goto abort;
	set_timeout(ctrl, SO_RCVTIMEO, 0);
	if (t->p.handshakes) {
		/* --resume's unmeasured handshakes come first, then "go" */
		if (t->p.resume && (read_line(ctrl, line, sizeof(line)) ||
				    strcmp(line, "go")))
			goto gone;
		test_go(t);
	} else {
		if (!test_wait_ready(t)) {
			send_line(ctrl, "error %s", t->fail.msg);
			goto abort;
		}
		if (send_line(ctrl, "ready") || read_line(ctrl, line, sizeof(line)) ||
		    strcmp(line, "go"))
			goto gone;
		test_go(t);
	}
	if (read_line(ctrl, line, sizeof(line)) || strcmp(line, "done") ||
	    recv_results(ctrl, peer))
		goto gone;
	wait_conns(t);
	cpu_since(&t->cpu, &t->cpu_start);
	if (send_results(ctrl, t))
		goto gone;
	peer->p = t->p;
	print_results(peer, t, t);
	status = t->fail.msg[0] || peer->fail.msg[0] ? 1 : 0;
	if (t->fail.msg[0])
		report_error("test failed: %s", t->fail.msg);
	goto out;
gone:
	test_fail(t, "the client went away");
	report_error("test ended early: the client went away");
abort:
	test_abort(t);
	wait_conns(t);
out:
	close(ctrl);
	if (peer)
		test_free(peer);
	pthread_mutex_lock(&srv.lock);
	srv.test = NULL;
	srv.status = status;
	srv.served = true;
	pthread_mutex_unlock(&srv.lock);
	test_free(t);
	return NULL;
}

/* The parameters are fine for this server?  NULL, or why not. */
static const char *server_check(struct test *t, char *buf, size_t size)
{
	const struct perf_params *p = &t->p;
	bool in_process = in_process_handshake(p, false);

	if (in_process && !opt.cert)
		return "this server has no certificate for an in-process handshake (start it with --cert and --key)";
	if (in_process && gtls_load(buf, size))
		return buf;
	if (p->sendfile[0] && p->reverse) {
		t->file = open(p->sendfile, O_RDONLY | O_CLOEXEC);
		if (t->file < 0) {
			snprintf(buf, size, "--sendfile %s on the server: %s",
				 p->sendfile, strerror(errno));
			return buf;
		}
	}
	return NULL;
}

static void server_control(int fd)
{
	char buf[LINE_MAX_LEN];
	const char *why;
	struct test *t;
	pthread_t tid;

	pthread_mutex_lock(&srv.lock);
	t = srv.test;
	pthread_mutex_unlock(&srv.lock);
	if (t) {
		send_line(fd, "error the server is busy with another test");
		close(fd);
		return;
	}
	t = test_new();
	if (!t) {
		close(fd);
		return;
	}
	why = recv_params(fd, &t->p);
	/*
	 * The profile is this end's alone: a client that named the server's
	 * would have tlsod serve it with whatever key that profile holds.
	 */
	snprintf(t->p.profile, sizeof(t->p.profile), "%s",
		 opt.profile ? opt.profile : "");
	if (!why)
		why = server_check(t, buf, sizeof(buf));
	if (why) {
		send_line(fd, "error %s", why);
		report_error("refused a test: %s", why);
		close(fd);
		test_free(t);
		/* with -1, a refused test is the one test, and it failed */
		pthread_mutex_lock(&srv.lock);
		srv.status = 1;
		srv.served = true;
		pthread_mutex_unlock(&srv.lock);
		return;
	}
	t->ctrl = fd;
	pthread_mutex_lock(&srv.lock);
	srv.test = t;
	pthread_mutex_unlock(&srv.lock);
	if (send_line(fd, "ok") ||
	    pthread_create(&tid, NULL, server_test, t)) {
		pthread_mutex_lock(&srv.lock);
		srv.test = NULL;
		pthread_mutex_unlock(&srv.lock);
		close(fd);
		test_free(t);
		return;
	}
	pthread_detach(tid);
}

static void server_data(int fd, const char *line)
{
	char cookie[64];
	struct test *t;
	int idx;

	pthread_mutex_lock(&srv.lock);
	t = srv.test;
	if (!t || sscanf(line, "%63s %d", cookie, &idx) != 2 ||
	    strcmp(cookie, t->p.cookie) ||
	    (t->p.handshakes ? idx != -1 :
			       idx < 0 || (unsigned int)idx >= t->p.streams) ||
	    t->aborted || start_conn(t, fd, idx))
		close(fd);
	pthread_mutex_unlock(&srv.lock);
}

int server_main(void)
{
	char line[LINE_MAX_LEN], err[512];
	struct pollfd pfd;
	int lfd, fd;
	bool served;

	lfd = listen_on(opt.bind, opt.port, err, sizeof(err));
	if (lfd < 0) {
		report_error("%s", err);
		return 1;
	}
	if (!opt.json) {
		printf("tlso-perf server listening on port %s\n", opt.port);
		fflush(stdout);
	}
	for (;;) {
		pthread_mutex_lock(&srv.lock);
		served = srv.served && !srv.test;
		pthread_mutex_unlock(&srv.lock);
		if (opt.one_off && served)
			return srv.status;
		pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* a client that connects and says nothing must not stall us */
		set_timeout(fd, SO_RCVTIMEO, 10);
		if (read_line(fd, line, sizeof(line))) {
			close(fd);
			continue;
		}
		if (!strcmp(line, PERF_PROTO)) {
			pthread_mutex_lock(&srv.lock);
			served = opt.one_off && (srv.served || srv.test);
			pthread_mutex_unlock(&srv.lock);
			if (served) {
				send_line(fd, "error the server is busy with another test");
				close(fd);
				continue;
			}
			server_control(fd);
		} else {
			set_timeout(fd, SO_RCVTIMEO, 0);
			server_data(fd, line);
		}
	}
}
