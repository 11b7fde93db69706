/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers for a program that a test runs in a child process (the
 * built binary, or its code in a fork): a loopback listener for it to
 * connect to, with the port as text for its command line; its exit
 * status; what it printed, all of it or a line at a time.
 */
#ifndef TLSO_TEST_CHILD_H
#define TLSO_TEST_CHILD_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sock.h"

/* A loopback listener; its port, as text, in port. */
static inline int child_listener(char *port, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = sock_listen(AF_INET, &ss, &len);
	ASSERT_GE(fd, 0);
	snprintf(port, size, "%u",
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	return fd;
}

/* Its exit status once it has ended, or 128 + the signal that killed it. */
static inline int child_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		ASSERT_EQ(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * All of what fd holds, up to size - 1 bytes, as a string: a file from
 * its start, a pipe up to its end.
 */
static inline void child_slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);	/* a pipe fails it, and needs none */
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
}

/* The next line it printed on fd, with its '\n'. */
static inline void child_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ASSERT_EQ(read(fd, buf + len, 1), 1);
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = 0;
}

/*
 * A server that says where it listens in its first line on fd, which
 * must begin with prefix ("tlso-cat: listening on ", and the address if
 * that matters): the port that line ends with, as text.
 */
static inline void child_listening_port(int fd, const char *prefix,
					char *port, size_t size)
{
	char line[256], *colon;

	child_line(fd, line, sizeof(line));
	if (strncmp(line, prefix, strlen(prefix)))
		TH_LOG("it said: %s", line);
	ASSERT_TRUE(strncmp(line, prefix, strlen(prefix)) == 0);
	colon = strrchr(line, ':');
	snprintf(port, size, "%.*s", (int)strcspn(colon + 1, "\n"),
		 colon + 1);
}

/* A check on what it printed that shows all of it when it fails. */
#define CONTAINS(hay, needle) do {					\
	if (!strstr(hay, needle))					\
		TH_LOG("'%s' is not in:\n%s", needle, hay);		\
	EXPECT_TRUE(strstr(hay, needle) != NULL);			\
} while (0)

#endif /* TLSO_TEST_CHILD_H */
