// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: TLS 1.3 KeyUpdate in the kernel, against a raw-record
 * peer.  This program plays tlsod itself (upcall.h): it takes the
 * request, installs keys derived with GnuTLS's HKDF from traffic secrets
 * it chose (gnutls_peer.h) and sends DONE with those secrets.  The peer is a
 * plain TCP socket whose records are sealed and opened in userspace with
 * GnuTLS (wire.h), so that it can send what no TLS library would: a
 * KeyUpdate cut across records, sharing a record with a ticket, followed
 * by data in its own record, malformed; and read tlso's answer to
 * update_requested record by record.
 */
#include <fcntl.h>
#include <poll.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "gnutls_peer.h"
#include "sock.h"
#include "upcall.h"
#include "wire.h"


FIXTURE(ku) {
	int cli, srv;		/* tlso's socket; the raw peer's */
	struct upcall u;
	uint16_t cipher;	/* its hash: gp_suite_mac() */
	size_t slen;
	uint8_t c2s[48], s2c[48];	/* the traffic secrets */
	struct wire_usealer to_cli, from_cli;
	bool sealers;
};

FIXTURE_SETUP(ku)
{
	self->cli = self->srv = -1;
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	ASSERT_OK(upcall_open(&self->u, 1));
}

FIXTURE_TEARDOWN(ku)
{
	if (kmod_loaded("tlso"))
		kmod_param_set("key_update_records", 0);
	if (self->sealers) {
		wire_useal_close(&self->to_cli);
		wire_useal_close(&self->from_cli);
	}
	upcall_close(&self->u);
	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
}

static void secret_fill(uint8_t *s, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = (uint8_t)(seed * 29 + i * 11 + 5);
}

/*
 * A client request taken as tlsod takes it, the keys of the two secrets
 * installed on its descriptor, and DONE with the secrets as given:
 * DONE's answer (0 or -errno).
 */
static int done_with(struct _th_data_ku *self, uint32_t hash,
		     const uint8_t *tx, size_t tx_len, const uint8_t *rx,
		     size_t rx_len)
{
	union keys_info k;
	int err;

	if (upcall_take_client(&self->u, self->cli, "example.test"))
		return -EIO;
	if (gp_keys_from_secret(self->cipher, self->c2s, self->slen, &k) ||
	    keys_install(self->u.fd, TLS_TX, &k) ||
	    gp_keys_from_secret(self->cipher, self->s2c, self->slen, &k) ||
	    keys_install(self->u.fd, TLS_RX, &k))
		return -EIO;
	err = upcall_done_secrets(&self->u, self->u.id, self->u.fd, hash, tx,
				  tx_len, rx, rx_len);
	close(self->u.fd);
	return err;
}

static int sealer(struct _th_data_ku *self, struct wire_usealer *w,
		  const uint8_t *secret)
{
	union keys_info k;

	if (gp_keys_from_secret(self->cipher, secret, self->slen, &k))
		return -1;
	return wire_useal_open(w, &k);
}

/* A session over the given suite, both ends keyed from the secrets. */
static int session_suite(struct _th_data_ku *self, uint16_t cipher)
{
	bool sha384 = gp_suite_mac(cipher) == GNUTLS_MAC_SHA384;

	self->cipher = cipher;
	self->slen = sha384 ? 48 : 32;
	secret_fill(self->c2s, self->slen, 1);
	secret_fill(self->s2c, self->slen, 2);
	if (done_with(self, sha384 ? TLSO_HASH_SHA384 : TLSO_HASH_SHA256,
		      self->c2s, self->slen, self->s2c, self->slen))
		return -1;
	if (sealer(self, &self->to_cli, self->s2c))
		return -1;
	if (sealer(self, &self->from_cli, self->c2s)) {
		wire_useal_close(&self->to_cli);
		return -1;
	}
	self->sealers = true;
	return 0;
}

static int session(struct _th_data_ku *self)
{
	return session_suite(self, TLS_CIPHER_AES_GCM_128);
}

/* The peer sends one record of type with content data[0..len). */
static int peer_send(struct _th_data_ku *self, uint8_t type, const void *data,
		     size_t len)
{
	return wire_usend(self->srv, &self->to_cli, type, data, len, 0,
			  false);
}

/*
 * The next key of one direction (the peer's sealer and s2c, or its
 * opener and c2s), after a KeyUpdate went that way.
 */
static int next_key(struct _th_data_ku *self, struct wire_usealer *w,
		    uint8_t *secret)
{
	union keys_info k;

	wire_useal_close(w);
	if (gp_next_keys(self->cipher, secret, self->slen, &k) ||
	    wire_useal_open(w, &k)) {
		self->sealers = false;
		wire_useal_close(w == &self->to_cli ? &self->from_cli :
						      &self->to_cli);
		return -1;
	}
	return 0;
}

/* The peer's send key after its KeyUpdate went out. */
static int peer_next_key(struct _th_data_ku *self)
{
	return next_key(self, &self->to_cli, self->s2c);
}

/* tlso's send key after the peer read tlso's KeyUpdate. */
static int tlso_next_key(struct _th_data_ku *self)
{
	return next_key(self, &self->from_cli, self->c2s);
}

/* The peer's KeyUpdate in a record of its own, then its next key. */
static int peer_key_update(struct _th_data_ku *self, uint8_t request)
{
	const uint8_t ku[] = { 24, 0, 0, 1, request };

	if (peer_send(self, 22, ku, sizeof(ku)))
		return -1;
	return peer_next_key(self);
}

/* The next record from tlso, opened (wire_urecv()). */
static ssize_t peer_recv(struct _th_data_ku *self, uint8_t *type,
			 uint8_t *out, size_t size, int ms)
{
	return wire_urecv(self->srv, &self->from_cli, type, out, size, ms);
}

static struct tlso_info info_of(int fd)
{
	struct tlso_info info;

	memset(&info, 0xff, sizeof(info));
	if (sock_tlso_info(fd, &info))
		memset(&info, 0xff, sizeof(info));
	return info;
}

static void expect_read(int fd, const char *want)
{
	size_t len = strlen(want);
	char got[256] = { 0 };

	ASSERT_LT(len, sizeof(got));
	ASSERT_EQ(recv(fd, got, len, MSG_WAITALL), (ssize_t)len);
	EXPECT_MEMEQ(got, want, len);
}

/* The peer's KeyUpdate between two data records: read as one stream. */
TEST_F(ku, receive_key_changes_between_records)
{
	ASSERT_OK(session(self));
	ASSERT_OK(peer_send(self, 23, "one ", 4));
	ASSERT_OK(peer_key_update(self, 0));
	ASSERT_OK(peer_send(self, 23, "two", 3));
	expect_read(self->cli, "one two");
	EXPECT_EQ(info_of(self->cli).rx_key_updates, 1);
	EXPECT_EQ(info_of(self->cli).tx_key_updates, 0);
}

/*
 * update_requested: tlso's KeyUpdate comes under its old key, without
 * the application sending anything, and its data after it under the
 * next; a KeyUpdate without the request gets none.
 */
TEST_F(ku, update_requested_is_answered)
{
	uint8_t got[64], type;
	ssize_t n;

	ASSERT_OK(session(self));
	ASSERT_OK(peer_key_update(self, 1));
	ASSERT_OK(peer_send(self, 23, "ping", 4));
	expect_read(self->cli, "ping");
	n = peer_recv(self, &type, got, sizeof(got), 5000);
	ASSERT_EQ(n, 5);
	EXPECT_EQ(type, 22);
	EXPECT_MEMEQ(got, "\x18\x00\x00\x01\x00", 5);
	ASSERT_OK(tlso_next_key(self));
	ASSERT_EQ(send(self->cli, "pong", 4, 0), 4);
	n = peer_recv(self, &type, got, sizeof(got), 5000);
	ASSERT_EQ(n, 4);
	EXPECT_EQ(type, 23);
	EXPECT_MEMEQ(got, "pong", 4);
	EXPECT_EQ(info_of(self->cli).tx_key_updates, 1);

	/* not requested: nothing but the data comes back */
	ASSERT_OK(peer_key_update(self, 0));
	ASSERT_OK(peer_send(self, 23, "ping", 4));
	expect_read(self->cli, "ping");
	ASSERT_EQ(send(self->cli, "pong", 4, 0), 4);
	n = peer_recv(self, &type, got, sizeof(got), 5000);
	ASSERT_EQ(n, 4);
	EXPECT_EQ(type, 23);
	EXPECT_EQ(info_of(self->cli).tx_key_updates, 1);
	EXPECT_EQ(info_of(self->cli).rx_key_updates, 2);
}

/* The message cut after its type byte, and after its length. */
TEST_F(ku, key_update_split_across_records)
{
	ASSERT_OK(session(self));
	ASSERT_OK(peer_send(self, 22, "\x18", 1));
	ASSERT_OK(peer_send(self, 22, "\x00\x00\x01", 3));
	ASSERT_OK(peer_send(self, 22, "\x00", 1));
	ASSERT_OK(peer_next_key(self));
	ASSERT_OK(peer_send(self, 23, "after", 5));
	expect_read(self->cli, "after");
	EXPECT_EQ(info_of(self->cli).rx_key_updates, 1);
}

/* After a NewSessionTicket in the same record. */
TEST_F(ku, key_update_after_a_ticket_in_one_record)
{
	const uint8_t msgs[] = { 4, 0, 0, 3, 1, 2, 3, 24, 0, 0, 1, 0 };

	ASSERT_OK(session(self));
	ASSERT_OK(peer_send(self, 22, msgs, sizeof(msgs)));
	ASSERT_OK(peer_next_key(self));
	ASSERT_OK(peer_send(self, 23, "after", 5));
	expect_read(self->cli, "after");
	EXPECT_EQ(info_of(self->cli).rx_key_updates, 1);
}

/* Malformed, or out of place: the stream ends with the errno of tlso.h. */
TEST_F(ku, bad_key_updates_end_the_stream)
{
	static const struct {
		const char *what;
		uint8_t rec[12];
		size_t len;
		int err;
	} bad[] = {
		{ "length 2", { 24, 0, 0, 2, 0, 0 }, 6, EBADMSG },
		{ "request 2", { 24, 0, 0, 1, 2 }, 5, EBADMSG },
		{ "a ticket after it", { 24, 0, 0, 1, 0, 4, 0, 0, 1, 0 }, 10,
		  EPROTO },
		{ "a ClientHello", { 1, 0, 0, 1, 0 }, 5, EPROTO },
	};
	char buf[16];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TH_LOG("%s", bad[i].what);
		if (i) {
			/* a fresh connection for each */
			wire_useal_close(&self->to_cli);
			wire_useal_close(&self->from_cli);
			self->sealers = false;
			close(self->cli);
			close(self->srv);
			ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
			ASSERT_OK(sock_attach(self->cli, "tlso"));
		}
		ASSERT_OK(session(self));
		ASSERT_OK(peer_send(self, 22, bad[i].rec, bad[i].len));
		EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0),
			     bad[i].err);
	}
}

/* Handshake bytes cut short by a data record, or an empty one. */
TEST_F(ku, handshake_message_cut_by_data_is_eproto)
{
	char buf[16];

	ASSERT_OK(session(self));
	ASSERT_OK(peer_send(self, 22, "\x18\x00", 2));
	ASSERT_OK(peer_send(self, 23, "data", 4));
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), EPROTO);
}

TEST_F(ku, empty_handshake_record_is_eproto)
{
	char buf[16];

	ASSERT_OK(session(self));
	ASSERT_OK(peer_send(self, 22, "", 0));
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), EPROTO);
}

/* Many updates both ways in one transfer, SHA-384 with AES-256-GCM. */
TEST_F(ku, many_updates_sha384)
{
	uint8_t got[64], type;
	char line[32];
	int i;

	ASSERT_OK(session_suite(self, TLS_CIPHER_AES_GCM_256));
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		ASSERT_OK(peer_key_update(self, i % 4 == 0));
		ASSERT_OK(peer_send(self, 23, line, strlen(line)));
		expect_read(self->cli, line);
		if (i % 4)
			continue;
		ASSERT_EQ(peer_recv(self, &type, got, sizeof(got), 5000), 5);
		ASSERT_EQ(type, 22);
		ASSERT_OK(tlso_next_key(self));
		ASSERT_EQ(send(self->cli, line, strlen(line), 0),
			  (ssize_t)strlen(line));
		ASSERT_EQ(peer_recv(self, &type, got, sizeof(got), 5000),
			  (ssize_t)strlen(line));
		EXPECT_MEMEQ(got, line, strlen(line));
	}
	EXPECT_EQ(info_of(self->cli).rx_key_updates, 200);
	EXPECT_EQ(info_of(self->cli).tx_key_updates, 50);
}

/*
 * Past key_update_records records under one key, tlso updates its send
 * key by itself: a KeyUpdate without update_requested before the next
 * record.
 */
TEST_F(ku, own_update_at_the_record_limit)
{
	uint8_t got[64], type;
	int i, lines = 0, updates = 0;
	char line[32];
	ssize_t n;

	ASSERT_OK(kmod_param_set("key_update_records", 3));
	ASSERT_OK(session(self));
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "line %d\n", i);
		ASSERT_EQ(send(self->cli, line, strlen(line), 0),
			  (ssize_t)strlen(line));
	}
	while (lines < 10) {
		n = peer_recv(self, &type, got, sizeof(got), 5000);
		ASSERT_GT(n, 0);
		if (type == 22) {
			ASSERT_EQ(n, 5);
			EXPECT_MEMEQ(got, "\x18\x00\x00\x01\x00", 5);
			/* after every third record, not before the first */
			EXPECT_EQ(lines % 3, 0);
			EXPECT_GT(lines, 0);
			updates++;
			ASSERT_OK(tlso_next_key(self));
			continue;
		}
		snprintf(line, sizeof(line), "line %d\n", lines++);
		ASSERT_EQ(type, 23);
		ASSERT_EQ(n, (ssize_t)strlen(line));
		EXPECT_MEMEQ(got, line, n);
	}
	EXPECT_EQ(updates, 3);
	EXPECT_EQ(info_of(self->cli).tx_key_updates, 3);
}

/* Secrets that do not give the keys installed: the handshake fails. */
TEST_F(ku, secrets_that_do_not_match_the_keys_fail_it)
{
	struct tlso_handshake_status st;
	socklen_t len = sizeof(st);
	uint8_t wrong[32];

	self->cipher = TLS_CIPHER_AES_GCM_128;
	self->slen = 32;
	secret_fill(self->c2s, 32, 1);
	secret_fill(self->s2c, 32, 2);
	secret_fill(wrong, 32, 3);
	ASSERT_EQ(done_with(self, TLSO_HASH_SHA256, self->c2s, 32, wrong, 32),
		  0);
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLSO_HANDSHAKE, &st, &len));
	EXPECT_EQ(st.state, TLSO_HS_FAILED);
	EXPECT_EQ(st.status, EIO);
}

/*
 * Secrets of two lengths are refused (EINVAL) and the request waits on;
 * secrets as long as the other hash's make the handshake fail.
 */
TEST_F(ku, secrets_out_of_shape_are_refused)
{
	struct tlso_handshake_status st;
	socklen_t len = sizeof(st);

	self->cipher = TLS_CIPHER_AES_GCM_128;
	self->slen = 32;
	secret_fill(self->c2s, 48, 1);
	secret_fill(self->s2c, 48, 2);
	EXPECT_EQ(done_with(self, TLSO_HASH_SHA256, self->c2s, 32, self->s2c,
			    48), -EINVAL);
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLSO_HANDSHAKE, &st, &len));
	EXPECT_EQ(st.state, TLSO_HS_PENDING);
	close(self->cli);
	close(self->srv);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	EXPECT_EQ(done_with(self, TLSO_HASH_SHA384, self->c2s, 32, self->s2c,
			    32), 0);
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLSO_HANDSHAKE, &st, &len));
	EXPECT_EQ(st.state, TLSO_HS_FAILED);
	EXPECT_EQ(st.status, EIO);
}

TEST_HARNESS_MAIN
