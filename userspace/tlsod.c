// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod: the handshake daemon of tlso.
 *
 * One single-threaded parent waits on two descriptors: the generic
 * netlink socket that hears READY from the tlso module, and a signalfd.
 * Each READY becomes a worker process of its own, which takes one
 * request and does its handshake, so that no slow peer holds up another;
 * each worker has its own timeout.  A worker keeps the configuration it
 * was forked with, whatever a reload does afterwards.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "handshake.h"
#include "netlink.h"
#include "tlsod.h"

/* Beyond this many handshakes at once, READYs wait for a free slot. */
#define TLSOD_MAX_WORKERS	256

struct tlsod_options tlsod_opts = {
	.config = TLSOD_DEFAULT_CONFIG,
};

static const char *progname = "tlsod";

/*
 * Until tlsod is up, whoever started it should see why it did not come
 * up: errors go to stderr too, not only to syslog.
 */
static bool starting;

struct daemon {
	struct tlsod_config *cfg;
	struct tlsod_listener *nl;
	int sfd;
	pid_t pids[TLSOD_MAX_WORKERS];	/* running workers; 0: free */
	unsigned int workers;	/* running */
	unsigned int waiting;	/* READYs not yet given a worker */
	bool stopping;
};

void tlsod_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !tlsod_opts.verbose)
		return;
	va_start(ap, fmt);
	if (tlsod_opts.foreground || (starting && prio <= LOG_NOTICE)) {
		char line[1024];
		va_list aq;

		va_copy(aq, ap);
		vsnprintf(line, sizeof(line), fmt, aq);
		va_end(aq);
		fprintf(stderr, "%s[%d]: %s\n", progname, (int)getpid(), line);
	}
	if (!tlsod_opts.foreground)
		vsyslog(prio, fmt, ap);
	va_end(ap);
}

/* systemd's journal has the syslog lines already; once is enough. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 &&
	       st.st_dev == dev && st.st_ino == ino;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-c FILE] [-f] [--trace] [-v] [-h] [--version]\n"
		"\n"
		"The handshake daemon of tlso: performs the TLS handshakes that\n"
		"applications request with setsockopt(SOL_TLS, TLSO_HANDSHAKE) and\n"
		"installs the keys into the tlso module.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s;\n"
		"                     if that one is missing, built-in defaults)\n"
		"  -f, --foreground   log to stderr instead of syslog\n"
		"      --trace        print each handshake as its messages go by\n"
		"  -v, --verbose      log debug messages too\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration; SIGTERM or SIGINT\n"
		"stop taking requests and exit when running handshakes end (a\n"
		"second one ends them at once).\n"
		"\n"
		"Exit status: 0 after SIGTERM/SIGINT, 1 on errors (bad configuration,\n"
		"tlso module not loaded), 2 on bad usage.  See tlsod(8).\n",
		progname, TLSOD_DEFAULT_CONFIG);
}

static int parse_args(int argc, char **argv)
{
	enum { OPT_TRACE = 256, OPT_VERSION };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			tlsod_opts.config = optarg;
			tlsod_opts.config_given = true;
			break;
		case 'f':
			tlsod_opts.foreground = true;
			break;
		case OPT_TRACE:
			tlsod_opts.trace = true;
			break;
		case 'v':
			tlsod_opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("tlsod %s\n", TLSOD_VERSION);
			exit(0);
		default:
			/* getopt has said what was wrong */
			fprintf(stderr, "Try '%s --help'.\n", progname);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"%s: unexpected argument '%s'\nTry '%s --help'.\n",
			progname, argv[optind], progname);
		return -1;
	}
	return 0;
}

/*
 * The default file may be absent (a client-only machine needs none);
 * one named with -c must be there.
 */
static struct tlsod_config *read_config(void)
{
	struct tlsod_config *cfg;
	char err[768];

	cfg = tlsod_config_load(tlsod_opts.config, err, sizeof(err));
	if (!cfg && errno == ENOENT && !tlsod_opts.config_given) {
		log_notice("no %s: built-in defaults (profile 'default': client, system trust store)",
			   tlsod_opts.config);
		cfg = tlsod_config_builtin(err, sizeof(err));
	}
	if (!cfg)
		log_err("%s", err);
	return cfg;
}

static void log_profiles(const struct tlsod_config *cfg, const char *what)
{
	const struct tlsod_profile *p;
	char names[512] = "";
	size_t len = 0;

	for (p = cfg->profiles; p && len < sizeof(names); p = p->next)
		len += snprintf(names + len, sizeof(names) - len, "%s%s",
				len ? ", " : "", p->name);
	log_info("%s %s: profiles %s", what,
		 cfg->path ? cfg->path : "(built in)", names);
}

static void reload(struct daemon *d)
{
	struct tlsod_config *cfg = read_config();

	if (!cfg) {
		log_err("reload failed; keeping the configuration in use");
		return;
	}
	tlsod_config_free(d->cfg);
	d->cfg = cfg;
	log_profiles(cfg, "reloaded");
}

static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
	return sigprocmask(SIG_BLOCK, set, NULL);
}

/*
 * A worker ends on SIGTERM (the parent's second stop, systemd), but not
 * on the ^C or hangup that reaches a whole foreground process group: the
 * parent decides whether running handshakes finish.
 */
static void run_worker(struct daemon *d)
{
	sigset_t set;

	close(d->sfd);
	tlsod_listener_free(d->nl);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	block_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	exit(tlsod_serve_one(d->cfg));
}

static void track(struct daemon *d, pid_t pid, pid_t with)
{
	unsigned int i;

	for (i = 0; i < TLSOD_MAX_WORKERS; i++) {
		if (d->pids[i] == pid) {
			d->pids[i] = with;
			return;
		}
	}
}

static void start_workers(struct daemon *d)
{
	pid_t pid;

	while (d->waiting && d->workers < TLSOD_MAX_WORKERS && !d->stopping) {
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			log_err("fork: %s; %u requests wait", strerror(errno),
				d->waiting);
			return;
		}
		if (pid == 0)
			run_worker(d);
		track(d, 0, pid);
		d->waiting--;
		d->workers++;
		log_debug("worker %d started", (int)pid);
	}
	if (d->waiting && !d->stopping)
		log_debug("%u workers busy, %u requests wait", d->workers,
			  d->waiting);
}

static void reap(struct daemon *d)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		track(d, pid, 0);
		if (d->workers)
			d->workers--;
		if (WIFSIGNALED(st))
			log_err("worker %d killed by signal %d (%s)", (int)pid,
				WTERMSIG(st), strsignal(WTERMSIG(st)));
		else if (WIFEXITED(st) && WEXITSTATUS(st))
			log_warn("worker %d exited with status %d", (int)pid,
				 WEXITSTATUS(st));
	}
}

/* Leave the group first, so that new requests fail at once (ESRCH). */
static void stop(struct daemon *d, int sig)
{
	unsigned int i;

	if (d->stopping) {
		log_notice("%s again: ending %u running handshake%s",
			   strsignal(sig), d->workers,
			   d->workers == 1 ? "" : "s");
		for (i = 0; i < TLSOD_MAX_WORKERS; i++)
			if (d->pids[i] > 0)
				kill(d->pids[i], SIGTERM);
		/* Nothing in a worker blocks SIGTERM: these are quick. */
		for (i = 0; i < TLSOD_MAX_WORKERS; i++)
			if (d->pids[i] > 0)
				waitpid(d->pids[i], NULL, 0);
		d->workers = 0;
		return;
	}
	d->stopping = true;
	tlsod_listener_free(d->nl);
	d->nl = NULL;
	if (d->workers)
		log_notice("%s: waiting for %u running handshake%s",
			   strsignal(sig), d->workers,
			   d->workers == 1 ? "" : "s");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(d);
			break;
		case SIGHUP:
			reload(d);
			break;
		default:
			stop(d, si.ssi_signo);
			break;
		}
	}
}

static int loop(struct daemon *d)
{
	struct pollfd pfd[2];
	int n;

	while (!d->stopping || d->workers) {
		pfd[0] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){
			.fd = d->nl ? tlsod_listener_fd(d->nl) : -1,
			.events = POLLIN,
		};
		n = poll(pfd, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			on_signal(d);
		if (d->nl && pfd[1].revents)
			tlsod_listener_read(d->nl, &d->waiting);
		start_workers(d);
	}
	return 0;
}

static int setup(struct daemon *d)
{
	sigset_t set;
	int ret;

	if (block_signals(&set) < 0) {
		log_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	ret = tlsod_listen(&d->nl);
	if (ret == -ENOENT) {
		log_err("tlso module not loaded (no generic netlink family '%s')",
			TLSO_GENL_NAME);
		return -1;
	}
	if (ret) {
		log_err("joining the '%s' group of '%s': %s", TLSO_GENL_MCGRP,
			TLSO_GENL_NAME, strerror(-ret));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .sfd = -1 };
	int ret;

	if (parse_args(argc, argv))
		return 2;
	if (!tlsod_opts.foreground) {
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		starting = !stderr_is_journal();
	}
	d.cfg = read_config();
	if (!d.cfg)
		return 1;
	if (setup(&d)) {
		tlsod_config_free(d.cfg);
		return 1;
	}
	log_profiles(d.cfg, "tlsod " TLSOD_VERSION " listening; using");
	starting = false;
	ret = loop(&d);
	log_info("exiting");
	tlsod_listener_free(d.nl);
	tlsod_config_free(d.cfg);
	close(d.sfd);
	return ret;
}
