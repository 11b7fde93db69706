/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: TLS records as bytes on the wire.  Records are made by the
 * in-tree kTLS module (an independent implementation) on a throw-away
 * connection and read back raw, so that tests can take them apart, damage
 * them, or deliver them a byte at a time to the socket under test.
 */
#ifndef TLSO_TEST_WIRE_H
#define TLSO_TEST_WIRE_H

#include <poll.h>
#include <stdint.h>

#include "ktls_keys.h"
#include "sock.h"

#ifndef TLS_SET_RECORD_TYPE
#define TLS_SET_RECORD_TYPE 1
#endif
#ifndef TLS_GET_RECORD_TYPE
#define TLS_GET_RECORD_TYPE 2
#endif

/* Send len bytes as one record of the given type (cmsg when not data). */
static inline ssize_t wire_send_type(int fd, const void *buf, size_t len,
				     uint8_t type, int flags)
{
	char cbuf[CMSG_SPACE(1)] = { 0 };
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (type != 23) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_TLS;
		cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
		cmsg->cmsg_len = CMSG_LEN(1);
		*CMSG_DATA(cmsg) = type;
	}
	return sendmsg(fd, &msg, flags);
}

/*
 * recvmsg with room for the record-type cmsg; *type is set from it (0
 * when none came).
 */
static inline ssize_t wire_recv_type(int fd, void *buf, size_t len,
				     uint8_t *type, int flags)
{
	char cbuf[CMSG_SPACE(1)] = { 0 };
	struct iovec iov = { buf, len };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	ssize_t n;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	*type = 0;
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return n;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_TLS &&
		    cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cmsg);
	return n;
}

/* Read whatever arrives on a raw socket within ms, up to size bytes. */
static inline ssize_t wire_read_raw(int fd, void *buf, size_t size, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	size_t got = 0;

	while (got < size && poll(&p, 1, ms) > 0) {
		ssize_t n = recv(fd, (char *)buf + got, size - got, 0);

		if (n <= 0)
			break;
		got += n;
		ms = 200;
	}
	return got;
}

/*
 * A record encrypter: kTLS sending with keys k on one end, the other end
 * raw.  wire_seal() returns the bytes kTLS put on the wire.
 */
struct wire_sealer {
	int tls, raw;
};

static inline int wire_sealer_open(struct wire_sealer *w,
				   const union keys_info *k)
{
	if (sock_pair(AF_INET, &w->tls, &w->raw))
		return -1;
	if (sock_attach(w->tls, "tls") || keys_install(w->tls, TLS_TX, k))
		return -1;
	return 0;
}

static inline void wire_sealer_close(struct wire_sealer *w)
{
	close(w->tls);
	close(w->raw);
}

static inline ssize_t wire_seal(struct wire_sealer *w, const void *data,
				size_t len, uint8_t type, void *out,
				size_t size)
{
	if (wire_send_type(w->tls, data, len, type, 0) != (ssize_t)len)
		return -1;
	return wire_read_raw(w->raw, out, size, 2000);
}

/* Number of records in a byte stream that holds whole records. */
static inline int wire_count_records(const uint8_t *p, size_t len)
{
	int n = 0;

	while (len >= 5) {
		size_t rl = 5 + ((size_t)p[3] << 8 | p[4]);

		if (rl > len)
			return -1;
		p += rl;
		len -= rl;
		n++;
	}
	return len ? -1 : n;
}

#endif /* TLSO_TEST_WIRE_H */
