// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify, by hand (notify.h).  A socket per message: a notification
 * is rare, and no descriptor stays open for a worker to inherit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;	/* 0: nobody to notify */

void tlsod_notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	size_t n;

	notify_len = 0;
	if (!s || !s[0])
		goto out;
	n = strlen(s);
	if ((s[0] != '/' && s[0] != '@') ||
	    n >= sizeof(notify_addr.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not a socket path or an @abstract name; not notifying",
			 s);
		goto out;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, s, n);
	/* the abstract name is the bytes after the NUL, no terminator */
	if (s[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = offsetof(struct sockaddr_un, sun_path) + n +
		     (s[0] == '/');
out:
	unsetenv("NOTIFY_SOCKET");
}

void tlsod_notify(const char *state)
{
	size_t len = strlen(state);
	int fd;

	if (!notify_len)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("notify: socket: %s", strerror(errno));
		return;
	}
	if (sendto(fd, state, len, MSG_NOSIGNAL,
		   (const struct sockaddr *)&notify_addr,
		   notify_len) != (ssize_t)len)
		log_warn("notify '%s': %s", state, strerror(errno));
	close(fd);
}
