// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtlso: attach the ULP and read what the module says of itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tlso.h>

#include "libtlso.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define TLSO_PARAM_ULP_NAME "/sys/module/tlso/parameters/ulp_name"

int tlso_ulp_name(char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = open(TLSO_PARAM_ULP_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (access("/sys/module/tlso", F_OK) < 0) {
			errno = ENOENT;
			return -1;
		}
		/* Loaded, but sysfs does not show the parameter. */
		strncpy(buf, TLSO_ULP_NAME, size - 1);
		buf[size - 1] = 0;
		return 0;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

int tlso_attach(int fd)
{
	char name[16];

	if (tlso_ulp_name(name, sizeof(name)) < 0)
		return -1;
	return setsockopt(fd, SOL_TCP, TCP_ULP, name, strlen(name));
}
