// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the files of a case, read whole, searched, waited for,
 * written and shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tenv.h"

char *tenv_slurp(const char *path, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		abort();
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		for (;;) {
			if (cap - len < 2048) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (!buf)
					abort();
			}
			n = read(fd, buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += n;
		}
		close(fd);
	}
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

bool tenv_file_has(const char *path, const char *text, size_t from)
{
	size_t len;
	char *buf = tenv_slurp(path, &len);
	bool has = from <= len && memmem(buf + from, len - from, text,
					 strlen(text)) != NULL;

	free(buf);
	return has;
}

bool tenv_wait_file_has(const char *path, const char *text, size_t from,
			int ms)
{
	double end = tenv_now() + ms / 1000.0;

	for (;;) {
		if (tenv_file_has(path, text, from))
			return true;
		if (tenv_now() > end)
			return false;
		tenv_msleep(20);
	}
}

off_t tenv_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_size;
}

int tenv_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len)
		ret = -1;
	if (close(fd))
		ret = -1;
	return ret;
}

void tenv_show_file(const char *title, const char *path)
{
	char *buf = tenv_slurp(path, NULL);
	size_t len = strlen(buf);

	if (len > 6000) {
		tcase_log("--- %s (last 6000 bytes) ---\n%s", title,
			  buf + len - 6000);
	} else if (len) {
		tcase_log("--- %s ---\n%s", title, buf);
	}
	free(buf);
}
