// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: TLSO_HANDSHAKE as an application asks for it, on tlso
 * sockets of the case.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "tenv.h"

int tenv_attach(struct tenv *e, int fd)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, e->ulp, strlen(e->ulp));
}

int tenv_tlso_client(struct tenv *e, int port)
{
	int fd = tenv_connect(e, port);

	TCASE_ASSERT_OK(tenv_attach(e, fd));
	return fd;
}

int tenv_tlso_accept(struct tenv *e, int lfd)
{
	int fd = tenv_accept(e, lfd, TENV_HS_MS);

	TCASE_ASSERT_OK(fd);
	TCASE_ASSERT_OK(tenv_attach(e, fd));
	return fd;
}

int hs_start(int fd, uint32_t role, const char *profile, const char *peer,
	     uint32_t ms)
{
	struct tlso_handshake_req r;

	memset(&r, 0, sizeof(r));
	r.role = role;
	r.timeout_ms = ms;
	snprintf(r.peer_name, sizeof(r.peer_name), "%s", peer ? peer : "");
	snprintf(r.profile, sizeof(r.profile), "%s", profile ? profile : "");
	return setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &r, sizeof(r));
}

struct tlso_handshake_status hs_get(int fd)
{
	struct tlso_handshake_status st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &st, &len)) {
		st.state = 0xdead;
		st.status = errno;
	}
	st.peer_identity[sizeof(st.peer_identity) - 1] = 0;
	return st;
}

uint32_t hs_wait(int fd, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	struct pollfd p = { fd, POLLOUT, 0 };

	for (;;) {
		uint32_t state = hs_get(fd).state;

		if (state != TLSO_HS_PENDING)
			return state;
		if (tenv_now() > end)
			return state;
		poll(&p, 1, 100);
	}
}

const char *tenv_errname(int e)
{
	static char buf[64];
	const char *n = strerrorname_np(e);

	snprintf(buf, sizeof(buf), "%s", n ? n : "?");
	return buf;
}
