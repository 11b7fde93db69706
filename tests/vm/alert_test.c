// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: the alerts a socket tlsod set up sends and reads, as a
 * TLS library would (RFC 8446 5 and 6, RFC 5246 7.2).  This program plays
 * tlsod (upcall.h) and installs the keys; the peer is a plain TCP socket
 * whose records GnuTLS's AEAD seals and opens in userspace (wire.h), so
 * that it can send the records no library would, and check tlso's alert
 * byte by byte on the wire.  TLS 1.3 sessions get traffic secrets in
 * DONE, as tlsod gives them; TLS 1.2 sessions do not.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "gnutls_peer.h"
#include "sock.h"
#include "upcall.h"
#include "wire.h"

enum {
	UNEXPECTED_MESSAGE = 10,
	BAD_RECORD_MAC = 20,
	RECORD_OVERFLOW = 22,
	DECODE_ERROR = 50,
};

FIXTURE(al) {
	int cli, srv;		/* tlso's socket; the raw peer's */
	struct upcall u;
	struct wire_usealer to_cli, from_cli;
	bool sealers;
};

FIXTURE_VARIANT(al) {
	uint16_t version;
};

FIXTURE_VARIANT_ADD(al, tls12) { TLS_1_2_VERSION };
FIXTURE_VARIANT_ADD(al, tls13) { TLS_1_3_VERSION };

static void secret_fill(uint8_t *s, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = (uint8_t)(seed * 13 + i * 7 + 3);
}

/* Both directions' keys; TLS 1.3 ones from traffic secrets. */
static int keys_of(const FIXTURE_VARIANT(al) *v, unsigned int seed,
		   uint8_t *secret, union keys_info *k)
{
	if (v->version == TLS_1_2_VERSION) {
		keys_make(k, v->version, TLS_CIPHER_AES_GCM_128, seed, 0);
		return 0;
	}
	secret_fill(secret, 32, seed);
	return gp_keys_from_secret(TLS_CIPHER_AES_GCM_128, secret, 32, k);
}

/*
 * A client request taken as tlsod takes it, keys installed, DONE (with
 * the secrets for TLS 1.3); or, with daemon false, keys the application
 * installs itself, as for kTLS.
 */
static int session(struct _th_data_al *self, const FIXTURE_VARIANT(al) *v,
		   bool daemon)
{
	uint8_t c2s[32], s2c[32];
	union keys_info tx, rx;
	int fd = self->cli, err;

	if (keys_of(v, 1, c2s, &tx) || keys_of(v, 2, s2c, &rx) ||
	    wire_useal_open(&self->to_cli, &rx))
		return -1;
	if (wire_useal_open(&self->from_cli, &tx)) {
		wire_useal_close(&self->to_cli);
		return -1;
	}
	self->sealers = true;
	if (daemon) {
		if (upcall_take_client(&self->u, fd, "example.test"))
			return -1;
		fd = self->u.fd;
	}
	if (keys_install(fd, TLS_TX, &tx) || keys_install(fd, TLS_RX, &rx))
		return -1;
	if (!daemon)
		return 0;
	if (v->version == TLS_1_3_VERSION)
		err = upcall_done_secrets(&self->u, self->u.id, fd,
					  TLSO_HASH_SHA256, c2s, 32, s2c, 32);
	else
		err = upcall_done(&self->u, self->u.id, fd, 0, NULL, NULL, 0);
	close(fd);
	return err;
}

FIXTURE_SETUP(al)
{
	self->cli = self->srv = -1;
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	ASSERT_OK(upcall_open(&self->u, 1));
	ASSERT_OK(session(self, variant, true));
}

FIXTURE_TEARDOWN(al)
{
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

/* The peer sends one record: content padded (TLS 1.3), or damaged. */
static int peer_send_rec(struct _th_data_al *self, uint8_t type,
			 const void *data, size_t len, size_t pad, bool flip)
{
	return wire_usend(self->srv, &self->to_cli, type, data, len, pad,
			  flip);
}

static int peer_send(struct _th_data_al *self, uint8_t type, const void *data,
		     size_t len)
{
	return peer_send_rec(self, type, data, len, 0, false);
}

static ssize_t peer_recv(struct _th_data_al *self, uint8_t *type,
			 uint8_t *out, size_t size, int ms)
{
	return wire_urecv(self->srv, &self->from_cli, type, out, size, ms);
}

/*
 * The stream has failed with err: this read, the next one, and a send
 * all say so; the peer got exactly the fatal alert desc, under the
 * current key.
 */
static void expect_alert(struct _th_data_al *self, int err, uint8_t desc)
{
	uint8_t got[64], type;
	char buf[64];
	ssize_t n;

	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), err);
	n = peer_recv(self, &type, got, sizeof(got), 5000);
	ASSERT_EQ(n, 2);
	EXPECT_EQ(type, 21);
	EXPECT_EQ(got[0], 2);
	EXPECT_EQ(got[1], desc);
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT), err);
	EXPECT_ERRNO(send(self->cli, "x", 1, MSG_NOSIGNAL), err);
	/* One alert, and nothing after it. */
	EXPECT_EQ(wire_read_raw(self->srv, got, sizeof(got), 200), 0);
}

TEST_F(al, bad_mac_is_bad_record_mac)
{
	char buf[8];

	ASSERT_OK(peer_send(self, 23, "good", 4));
	ASSERT_OK(peer_send_rec(self, 23, "damaged record", 14, 0, true));
	ASSERT_EQ(recv(self->cli, buf, 4, MSG_WAITALL), 4);
	expect_alert(self, EBADMSG, BAD_RECORD_MAC);
}

TEST_F(al, header_past_the_limit_is_record_overflow)
{
	/* One past the largest ciphertext RFC 8446 and 5246 allow. */
	unsigned int n = variant->version == TLS_1_3_VERSION ?
		16384 + 256 + 1 : 16384 + 8 + 16 + 1;
	uint8_t hdr[13] = { 23, 3, 3, n >> 8, n & 0xff };

	ASSERT_EQ(send(self->srv, hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	expect_alert(self, EMSGSIZE, RECORD_OVERFLOW);
}

TEST_F(al, plaintext_past_the_limit_is_record_overflow)
{
	static char big[16385];

	ASSERT_OK(peer_send(self, 23, big, sizeof(big)));
	expect_alert(self, EMSGSIZE, RECORD_OVERFLOW);
}

/* RFC 8446 5.4: padding up to 2^14 + 256 bytes of ciphertext. */
TEST_F(al, tls13_padding_to_the_limit_is_read)
{
	char buf[8];

	if (variant->version != TLS_1_3_VERSION)
		SKIP("TLS 1.3's padding");
	ASSERT_OK(peer_send_rec(self, 23, "pad", 3, 16384 + 256 - 16 - 4, 0));
	ASSERT_OK(peer_send(self, 23, "ded", 3));
	ASSERT_EQ(recv(self->cli, buf, 6, MSG_WAITALL), 6);
	EXPECT_MEMEQ(buf, "padded", 6);
}

/*
 * A record of no known type: in TLS 1.3 one with zeros only inside (RFC
 * 8446 5.4), in TLS 1.2 one whose header names type 24.
 */
TEST_F(al, no_content_type_is_unexpected_message)
{
	if (variant->version == TLS_1_3_VERSION) {
		ASSERT_OK(peer_send(self, 0, NULL, 0));
		expect_alert(self, EBADMSG, UNEXPECTED_MESSAGE);
		return;
	}
	ASSERT_OK(peer_send(self, 24, "\x01", 1));
	expect_alert(self, EPROTO, UNEXPECTED_MESSAGE);
}

TEST_F(al, change_cipher_spec_is_unexpected_message)
{
	ASSERT_OK(peer_send(self, 20, "\x01", 1));
	expect_alert(self, EPROTO, UNEXPECTED_MESSAGE);
}

/* TLS 1.3: an alert in plaintext after the handshake. */
TEST_F(al, plaintext_alert_is_unexpected_message)
{
	static const uint8_t rec[] = { 21, 3, 3, 0, 2, 2, 40 };

	if (variant->version != TLS_1_3_VERSION)
		SKIP("TLS 1.2 reads alerts in plaintext until the handshake ends");
	ASSERT_EQ(send(self->srv, rec, sizeof(rec), 0), (ssize_t)sizeof(rec));
	expect_alert(self, EPROTO, UNEXPECTED_MESSAGE);
}

TEST_F(al, client_hello_is_unexpected_message)
{
	static const uint8_t hello[] = { 1, 0, 0, 1, 0 };

	ASSERT_OK(peer_send(self, 22, hello, sizeof(hello)));
	expect_alert(self, EPROTO, UNEXPECTED_MESSAGE);
}

TEST_F(al, malformed_key_update_is_decode_error)
{
	static const uint8_t ku[] = { 24, 0, 0, 2, 0, 0 };

	if (variant->version != TLS_1_3_VERSION)
		SKIP("KeyUpdate is TLS 1.3's");
	ASSERT_OK(peer_send(self, 22, ku, sizeof(ku)));
	expect_alert(self, EBADMSG, DECODE_ERROR);
}

TEST_F(al, malformed_alert_is_decode_error)
{
	ASSERT_OK(peer_send(self, 21, "\x02\x28\x00", 3));
	expect_alert(self, EBADMSG, DECODE_ERROR);
}

/* The peer's fatal alert ends the stream; nothing is said back. */
TEST_F(al, peer_fatal_alert_gets_no_reply)
{
	uint8_t got[64];
	char buf[8];

	ASSERT_OK(peer_send(self, 21, "\x02\x28", 2));
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), ECONNRESET);
	EXPECT_EQ(wire_read_raw(self->srv, got, sizeof(got), 300), 0);
}

/*
 * Alerts that end nothing: user_canceled, then in TLS 1.2 any warning;
 * in TLS 1.3 every alert but these two is fatal, whatever its level.
 */
TEST_F(al, warnings_end_nothing)
{
	char buf[16];

	ASSERT_OK(peer_send(self, 23, "one ", 4));
	ASSERT_OK(peer_send(self, 21, "\x01\x5a", 2));	/* user_canceled */
	ASSERT_OK(peer_send(self, 23, "two", 3));
	ASSERT_EQ(recv(self->cli, buf, 7, MSG_WAITALL), 7);
	EXPECT_MEMEQ(buf, "one two", 7);
	/* no_renegotiation, a warning */
	ASSERT_OK(peer_send(self, 21, "\x01\x64", 2));
	ASSERT_OK(peer_send(self, 23, "three", 5));
	if (variant->version == TLS_1_3_VERSION) {
		EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), ECONNRESET);
		return;
	}
	ASSERT_EQ(recv(self->cli, buf, 5, MSG_WAITALL), 5);
	EXPECT_MEMEQ(buf, "three", 5);
	ASSERT_OK(peer_send(self, 21, "\x01\x00", 2));	/* close_notify */
	EXPECT_EQ(recv(self->cli, buf, sizeof(buf), 0), 0);
}

struct blocked_send {
	int fd;
	size_t len;
	ssize_t ret;
	int err;
};

static void *send_all_blocking(void *arg)
{
	struct blocked_send *b = arg;
	char *data = malloc(b->len);
	size_t i;

	for (i = 0; data && i < b->len; i++)
		data[i] = sock_pattern(i, 3);
	b->ret = data ? send(b->fd, data, b->len, MSG_NOSIGNAL) : -1;
	b->err = errno;
	free(data);
	return NULL;
}

/*
 * The peer reads nothing: the sender fills the send buffer and sleeps.
 * Its records stop growing in number once it does (a fixed wait was
 * too short for a loaded host, where the thread had not sent at all).
 */
static void wait_for_a_stalled_sender(int fd)
{
	struct tlso_info info;
	uint64_t last = 0;
	int still = 0, i;

	for (i = 0; i < 200 && still < 5; i++) {
		usleep(50 * 1000);
		if (sock_tlso_info(fd, &info))
			break;
		still = info.tx_records && info.tx_records == last ?
			still + 1 : 0;
		last = info.tx_records;
	}
	TH_LOG("the sender stalled after %llu records",
	       (unsigned long long)last);
}

/*
 * A sender asleep on a full send buffer holds the send lock the alert
 * needs: it wakes, its data that send() reports goes out whole, and the
 * alert comes after it.
 */
TEST_F(al, alert_after_a_blocked_sender)
{
	struct blocked_send b = { .fd = self->cli, .len = 1 << 20 };
	int sndbuf = 64 * 1024;
	static uint8_t got[WIRE_RECORD_MAX];
	size_t data = 0, i;
	pthread_t t;
	uint8_t type;
	char buf[8];
	ssize_t n;

	/* Small, so that the sender sleeps soon and the peer reads little. */
	ASSERT_OK(setsockopt(self->cli, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)));
	ASSERT_OK(pthread_create(&t, NULL, send_all_blocking, &b));
	wait_for_a_stalled_sender(self->cli);
	ASSERT_OK(peer_send_rec(self, 23, "damaged", 7, 0, true));
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), EBADMSG);
	for (;;) {
		n = peer_recv(self, &type, got, sizeof(got), 10000);
		ASSERT_GE(n, 0);
		if (type != 23)
			break;
		for (i = 0; i < (size_t)n; i++)
			ASSERT_EQ(got[i], (uint8_t)sock_pattern(data + i, 3));
		data += n;
	}
	pthread_join(t, NULL);
	TH_LOG("the sender: %zd (%s), %zu bytes before the alert", b.ret,
	       b.ret < 0 ? strerror(b.err) : "-", data);
	ASSERT_EQ(n, 2);
	EXPECT_EQ(type, 21);
	EXPECT_MEMEQ(got, "\x02\x14", 2);
	EXPECT_GT(b.ret, 0);
	EXPECT_LT(b.ret, (ssize_t)b.len);
	EXPECT_EQ((ssize_t)data, b.ret);
}

/*
 * Keys the application set itself keep kTLS's way (the drop-in
 * contract): the errno at once, and no alert on the wire.
 */
TEST_F(al, application_keys_send_no_alert)
{
	static const uint8_t big[13] = { 23, 3, 3, 0x41, 0x00 };
	uint8_t got[64];
	char buf[16];

	wire_useal_close(&self->to_cli);
	wire_useal_close(&self->from_cli);
	self->sealers = false;
	close(self->cli);
	close(self->srv);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	ASSERT_OK(session(self, variant, false));
	ASSERT_OK(peer_send_rec(self, 23, "damaged", 7, 0, true));
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), EBADMSG);
	EXPECT_EQ(wire_read_raw(self->srv, got, sizeof(got), 300), 0);

	close(self->cli);
	close(self->srv);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	wire_useal_close(&self->to_cli);
	wire_useal_close(&self->from_cli);
	self->sealers = false;
	ASSERT_OK(session(self, variant, false));
	ASSERT_EQ(send(self->srv, big, sizeof(big), 0), (ssize_t)sizeof(big));
	EXPECT_ERRNO(recv(self->cli, buf, sizeof(buf), 0), EMSGSIZE);
	EXPECT_EQ(wire_read_raw(self->srv, got, sizeof(got), 300), 0);
}

TEST_HARNESS_MAIN
