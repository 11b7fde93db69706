// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's log, and the options it and the rest of the daemon read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tlsod.h"

/*
 * A handshake's line with everything at its longest: a peer name of
 * TLSO_PEER_NAME_SIZE - 1 bytes escaped four times over, an escaped
 * profile, an identity, the reason.
 */
#define TLSOD_LOG_LINE_MAX	3072

struct tlsod_options tlsod_opts = {
	.config = TLSOD_DEFAULT_CONFIG,
	.worker_idle_ms = TLSOD_WORKER_IDLE_MS,
};

/*
 * Until tlsod is up, whoever started it should see why it did not come
 * up: errors go to stderr too, not only to syslog.
 */
static bool starting;

void tlsod_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !tlsod_opts.verbose)
		return;
	va_start(ap, fmt);
	if (tlsod_opts.foreground || (starting && prio <= LOG_NOTICE)) {
		char line[TLSOD_LOG_LINE_MAX];
		va_list aq;

		va_copy(aq, ap);
		vsnprintf(line, sizeof(line), fmt, aq);
		va_end(aq);
		fprintf(stderr, "%s[%d]: %s\n", TLSOD_PROGNAME, (int)getpid(),
			line);
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

void tlsod_log_open(void)
{
	if (tlsod_opts.foreground)
		return;
	openlog(TLSOD_PROGNAME, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	starting = !stderr_is_journal();
}

void tlsod_log_started(void)
{
	starting = false;
}
