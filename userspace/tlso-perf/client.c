// SPDX-License-Identifier: GPL-2.0
/*
 * The client: it picks the test, sends it to the server, runs its end of
 * the data connections and reports what both ends measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cipher.h"
#include "perf.h"

struct stream_job {
	struct test *t;
	unsigned int idx;
	pthread_t tid;
};

static void *client_stream(void *arg)
{
	struct stream_job *j = arg;
	struct test *t = j->t;
	char err[384];
	int fd;

	fd = connect_to(opt.host, opt.port, err, sizeof(err));
	if (fd < 0 || send_line(fd, "%s %u", t->p.cookie, j->idx)) {
		if (fd >= 0)
			snprintf(err, sizeof(err), "sending the cookie: %s",
				 strerror(errno));
		test_fail_fmt(t, "stream %u: %s", j->idx + 1, err);
		test_finished(t);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	test_track(t, fd, true);
	run_stream(t, fd, j->idx, true);
	test_track(t, fd, false);
	close(fd);
	return NULL;
}

static void take_interval(struct test *t, uint64_t *last, double end)
{
	struct interval *iv, *grown;
	unsigned int i;
	uint64_t cur;

	grown = realloc(t->iv, (t->niv + 1) * sizeof(*t->iv));
	if (!grown)
		return;
	t->iv = grown;
	iv = &t->iv[t->niv];
	iv->start = t->niv ? t->iv[t->niv - 1].end : 0;
	iv->end = end - t->go_time;
	for (i = 0; i < t->p.streams; i++) {
		cur = atomic_load(&t->st[i].live);
		iv->bytes[i] = cur - last[i];
		last[i] = cur;
	}
	t->niv++;
	if (!opt.json)
		interval_line(t, iv);
}

/* Interval reports until every stream has ended. */
static void watch_streams(struct test *t)
{
	uint64_t last[MAX_STREAMS] = { 0 };
	double next = t->go_time + opt.interval, tnow;
	bool done;

	for (;;) {
		pthread_mutex_lock(&t->lock);
		done = t->finished == t->p.streams;
		pthread_mutex_unlock(&t->lock);
		tnow = now();
		if (done) {
			/* the last piece, when it is not a sliver */
			if (opt.interval > 0 && t->niv &&
			    tnow - t->go_time - t->iv[t->niv - 1].end >
			    opt.interval / 10)
				take_interval(t, last, tnow);
			return;
		}
		if (opt.interval > 0 && tnow >= next) {
			take_interval(t, last, tnow);
			next += opt.interval;
		}
		usleep(20000);
	}
}

/* The server's "error ..." line as the person reads it. */
static void report_server(const char *line)
{
	report_error("server: %s", strncmp(line, "error ", 6) ?
		     line : line + 6);
}

static int client_streams(struct test *t, int ctrl)
{
	struct stream_job jobs[MAX_STREAMS];
	char line[LINE_MAX_LEN];
	unsigned int i;

	if (t->file < 0 && t->p.sendfile[0] && !t->p.reverse) {
		t->file = open(t->p.sendfile, O_RDONLY | O_CLOEXEC);
		if (t->file < 0) {
			report_error("--sendfile %s: %s", t->p.sendfile,
				     strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < t->p.streams; i++) {
		jobs[i] = (struct stream_job){ .t = t, .idx = i };
		if (pthread_create(&jobs[i].tid, NULL, client_stream, &jobs[i])) {
			report_error("pthread_create: %s", strerror(errno));
			return -1;
		}
	}
	if (!test_wait_ready(t)) {
		/*
		 * A stream that fails here often fails because the server's
		 * end did first (and closed): its reason comes first.
		 */
		set_timeout(ctrl, SO_RCVTIMEO, 5);
		if (!read_line(ctrl, line, sizeof(line)) &&
		    !strncmp(line, "error ", 6))
			report_error("server: %s (here: %s)", line + 6,
				     t->fail.msg);
		else
			report_error("%s", t->fail.msg);
		return -1;
	}
	set_timeout(ctrl, SO_RCVTIMEO, SETUP_SECONDS);
	if (read_line(ctrl, line, sizeof(line))) {
		report_error("the server went away before the test began");
		return -1;
	}
	if (strcmp(line, "ready")) {
		report_server(line);
		return -1;
	}
	if (send_line(ctrl, "go")) {
		report_error("the server went away before the test began");
		return -1;
	}
	test_go(t);
	watch_streams(t);
	for (i = 0; i < t->p.streams; i++)
		pthread_join(jobs[i].tid, NULL);
	if (t->fail.msg[0]) {
		report_error("%s", t->fail.msg);
		return -1;
	}
	return 0;
}

static void random_keys(union tlso_crypto_info *ci, const struct perf_params *p)
{
	const struct tlso_cipher *c = tlso_cipher_find(ciphers[p->cipher].type);
	unsigned char *raw = (unsigned char *)ci;

	memset(ci, 0, sizeof(*ci));
	ci->info.version = tls_version(p->tls);
	ci->info.cipher_type = c->type;
	if (getrandom(raw + c->key_off, c->key_size, 0) < 0 ||
	    getrandom(raw + c->iv_off, c->iv_size, 0) < 0 ||
	    getrandom(raw + c->salt_off, c->salt_size, 0) < 0) {
		report_error("getrandom: %s", strerror(errno));
		exit(1);
	}
}

int client_main(struct perf_params *p)
{
	struct test *t = test_new(), *sv = test_new();
	unsigned char cookie[16];
	char err[512], line[LINE_MAX_LEN];
	int ctrl, status = 1;

	if (!t || !sv) {
		report_error("out of memory");
		return 1;
	}
	if (getrandom(cookie, sizeof(cookie), 0) < 0) {
		report_error("getrandom: %s", strerror(errno));
		return 1;
	}
	hex_encode(p->cookie, cookie, sizeof(cookie));
	if (p->keys == KEYS_STATIC) {
		random_keys(&p->key_c2s, p);
		random_keys(&p->key_s2c, p);
	}
	if (!p->name[0])
		snprintf(p->name, sizeof(p->name), "%s", opt.host);
	t->p = *p;
	sv->p = *p;
	if (in_process_handshake(p, true) && gtls_load(err, sizeof(err))) {
		report_error("%s", err);
		return 1;
	}
	ctrl = connect_to(opt.host, opt.port, err, sizeof(err));
	if (ctrl < 0) {
		report_error("%s", err);
		return 1;
	}
	t->ctrl = ctrl;
	set_timeout(ctrl, SO_RCVTIMEO, 30);
	if (send_params(ctrl, p) || read_line(ctrl, line, sizeof(line))) {
		report_error("%s port %s does not answer as a tlso-perf server",
			     opt.host, opt.port);
		return 1;
	}
	if (strcmp(line, "ok")) {
		report_server(line);
		return 1;
	}
	if (p->handshakes ? client_handshakes(t) : client_streams(t, ctrl))
		return 1;	/* closing ctrl tells the server to stop */
	cpu_since(&t->cpu, &t->cpu_start);
	set_timeout(ctrl, SO_RCVTIMEO, SETUP_SECONDS);
	if (send_line(ctrl, "done") || send_results(ctrl, t) ||
	    recv_results(ctrl, sv)) {
		report_error("the server went away before sending its figures");
		return 1;
	}
	print_results(t, sv, t);
	if (t->fail.msg[0])
		report_error("%s (%u of %u handshakes failed)", t->fail.msg,
			     t->hs_failed, p->handshakes);
	else if (sv->fail.msg[0])
		report_error("server: %s", sv->fail.msg);
	else
		status = 0;
	close(ctrl);
	test_free(t);
	test_free(sv);
	return status;
}
