// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: every error of the record layer provoked on purpose.  The
 * receiver under test runs tlso or, as the reference, in-tree kTLS; its
 * input comes raw, from records that in-tree kTLS sealed and the test
 * then damaged, or from headers written by hand.
 */
#include <poll.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "ktls_keys.h"
#include "net.h"
#include "sock.h"
#include "wire.h"

#include <linux/tlso.h>

FIXTURE(err) {
	int ra, rb;	/* ra under test, rb raw */
	union keys_info k;
	struct wire_sealer seal;
	bool sealer;
	uint8_t wire[20000];
	ssize_t n;	/* bytes of one good record in wire */
};

FIXTURE_VARIANT(err) {
	const char *ulp;
	uint16_t version;
};

FIXTURE_VARIANT_ADD(err, ktls_tls12) { "tls", TLS_1_2_VERSION };
FIXTURE_VARIANT_ADD(err, ktls_tls13) { "tls", TLS_1_3_VERSION };
FIXTURE_VARIANT_ADD(err, tlso_tls12) { "tlso", TLS_1_2_VERSION };
FIXTURE_VARIANT_ADD(err, tlso_tls13) { "tlso", TLS_1_3_VERSION };

FIXTURE_SETUP(err)
{
	self->ra = self->rb = -1;
	if (kmod_modprobe("tls"))
		SKIP("the in-tree tls module cannot be loaded here");
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	keys_make(&self->k, variant->version, TLS_CIPHER_AES_GCM_128, 3, 0);
	ASSERT_OK(sock_pair(AF_INET, &self->ra, &self->rb));
	ASSERT_OK(sock_attach(self->ra, variant->ulp));
	ASSERT_OK(keys_install(self->ra, TLS_RX, &self->k));
	ASSERT_OK(wire_sealer_open(&self->seal, &self->k));
	self->sealer = true;
	self->n = wire_seal(&self->seal, "0123456789", 10, 23, self->wire,
			    sizeof(self->wire));
	ASSERT_GT(self->n, 10);
}

FIXTURE_TEARDOWN(err)
{
	if (self->ra >= 0)
		close(self->ra);
	if (self->rb >= 0)
		close(self->rb);
	if (self->sealer)
		wire_sealer_close(&self->seal);
}

TEST_F(err, good_record_reads)
{
	char got[16];

	ASSERT_OK(tlso_write_all(self->rb, self->wire, self->n));
	ASSERT_EQ(recv(self->ra, got, sizeof(got), 0), 10);
	EXPECT_MEMEQ(got, "0123456789", 10);
}

TEST_F(err, flipped_bit_is_ebadmsg_and_stays)
{
	char got[16];

	self->wire[self->n - 20] ^= 0x10;
	ASSERT_OK(tlso_write_all(self->rb, self->wire, self->n));
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), 0), EBADMSG);
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), MSG_DONTWAIT), EBADMSG);
}

TEST_F(err, flipped_tag_bit_is_ebadmsg)
{
	char got[16];

	self->wire[self->n - 1] ^= 0x01;
	ASSERT_OK(tlso_write_all(self->rb, self->wire, self->n));
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), 0), EBADMSG);
}

TEST_F(err, counted_as_decrypt_error)
{
	long before = kmod_tlso_stat(TLSO_STAT_DECRYPT_ERROR);
	char got[16];

	if (strcmp(variant->ulp, "tlso"))
		SKIP("tlso's own counter");
	self->wire[self->n - 20] ^= 0x10;
	ASSERT_OK(tlso_write_all(self->rb, self->wire, self->n));
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), 0), EBADMSG);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_DECRYPT_ERROR) - before, 1);
}

/* The peer closes in the middle of a record: end of stream, no data. */
TEST_F(err, truncated_record_then_close)
{
	char got[16];
	ssize_t r;

	ASSERT_OK(tlso_write_all(self->rb, self->wire, self->n - 5));
	ASSERT_OK(shutdown(self->rb, SHUT_WR));
	r = recv(self->ra, got, sizeof(got), 0);
	TH_LOG("recv after a truncated record: %zd (%s)", r,
	       r < 0 ? strerror(errno) : "-");
	EXPECT_EQ(r, 0);
}

/*
 * An error of a record's header is the stream's, reported once (sk_err);
 * after it the socket reads as if no more bytes came.
 */
static void expect_header_error(struct _th_data_err *self, int err)
{
	char got[16];

	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), 0), err);
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), MSG_DONTWAIT), EAGAIN);
	/* More records change nothing. */
	ASSERT_OK(tlso_write_all(self->rb, self->wire, self->n));
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), MSG_DONTWAIT), EAGAIN);
}

TEST_F(err, oversized_length_is_emsgsize)
{
	/* 2^14 + 256: past any AES-GCM record's ciphertext. */
	/* kTLS parses a TLS 1.2 header with its 8-byte nonce: send 13. */
	uint8_t hdr[13] = { 23, 3, 3, 0x41, 0x00 };

	ASSERT_OK(tlso_write_all(self->rb, hdr, sizeof(hdr)));
	expect_header_error(self, EMSGSIZE);
}

TEST_F(err, largest_length_is_accepted)
{
	/* 2^14 + nonce + tag (+ type): the largest a record may be. */
	unsigned int max = 16384 + 16 +
		(variant->version == TLS_1_3_VERSION ? 1 : 8);
	uint8_t hdr[5] = { 23, 3, 3, max >> 8, max & 0xff };
	char got[16];

	ASSERT_OK(tlso_write_all(self->rb, hdr, sizeof(hdr)));
	/* No error for the header: the reader waits for the body. */
	EXPECT_ERRNO(recv(self->ra, got, sizeof(got), MSG_DONTWAIT), EAGAIN);
}

TEST_F(err, too_short_record_is_ebadmsg)
{
	uint8_t hdr[13] = { 23, 3, 3, 0, 4 };

	ASSERT_OK(tlso_write_all(self->rb, hdr, sizeof(hdr)));
	expect_header_error(self, EBADMSG);
}

TEST_F(err, wrong_version_is_einval)
{
	uint8_t hdr[13];	/* kTLS waits for a TLS 1.2 header's nonce */

	memcpy(hdr, self->wire, sizeof(hdr));
	hdr[2] = 1;	/* 3,1: TLS 1.0 */
	ASSERT_OK(tlso_write_all(self->rb, hdr, sizeof(hdr)));
	expect_header_error(self, EINVAL);
}

TEST_F(err, error_wakes_a_poller)
{
	struct pollfd p = { self->ra, POLLIN, 0 };
	uint8_t hdr[13] = { 23, 3, 3, 0x41, 0x00 };

	ASSERT_OK(tlso_write_all(self->rb, hdr, sizeof(hdr)));
	ASSERT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_TRUE(p.revents & (POLLERR | POLLIN));
}

TEST_F(err, record_a_byte_at_a_time)
{
	char got[16];
	ssize_t i;

	for (i = 0; i < self->n; i++) {
		ASSERT_OK(tlso_write_all(self->rb, self->wire + i, 1));
		if (i < self->n - 1 && i % 7 == 0)
			EXPECT_ERRNO(recv(self->ra, got, sizeof(got),
					  MSG_DONTWAIT), EAGAIN);
	}
	ASSERT_EQ(recv(self->ra, got, sizeof(got), 0), 10);
	EXPECT_MEMEQ(got, "0123456789", 10);
}

/*
 * As kTLS: the last sequence number (2^64 - 1) is never used, since the
 * counter would wrap; the send that would use it fails, and so does every
 * later one.
 */
TEST_F(err, send_sequence_exhaustion)
{
	union keys_info k;
	uint8_t wire[200];
	int c, s;

	ASSERT_OK(sock_pair(AF_INET, &c, &s));
	ASSERT_OK(sock_attach(c, variant->ulp));
	keys_make(&k, variant->version, TLS_CIPHER_AES_GCM_128, 6,
		  UINT64_MAX - 1);
	ASSERT_OK(keys_install(c, TLS_TX, &k));
	EXPECT_EQ(send(c, "last", 4, 0), 4);
	EXPECT_ERRNO(send(c, "over", 4, 0), EBADMSG);
	EXPECT_ERRNO(send(c, "more", 4, 0), EBADMSG);
	/* Only the one record reached the wire. */
	EXPECT_EQ(wire_count_records(wire, wire_read_raw(s, wire, sizeof(wire),
							 1000)), 1);
	close(c);
	close(s);
}

TEST_F(err, receive_sequence_exhaustion_and_replay)
{
	union keys_info k;
	struct wire_sealer w;
	uint8_t wire[200];
	char got[16];
	ssize_t n;
	int c, s;

	keys_make(&k, variant->version, TLS_CIPHER_AES_GCM_128, 7,
		  UINT64_MAX - 1);
	ASSERT_OK(wire_sealer_open(&w, &k));
	n = wire_seal(&w, "last", 4, 23, wire, sizeof(wire));
	ASSERT_GT(n, 0);
	ASSERT_OK(sock_pair(AF_INET, &c, &s));
	ASSERT_OK(sock_attach(c, variant->ulp));
	ASSERT_OK(keys_install(c, TLS_RX, &k));
	ASSERT_OK(tlso_write_all(s, wire, n));
	ASSERT_EQ(recv(c, got, sizeof(got), 0), 4);
	/* The same record again: a replay, and past the last number. */
	ASSERT_OK(tlso_write_all(s, wire, n));
	EXPECT_ERRNO(recv(c, got, sizeof(got), 0), EBADMSG);
	close(c);
	close(s);
	wire_sealer_close(&w);
}

TEST_F(err, keys_twice_for_tls12_is_ebusy_tls13_rekeys)
{
	union keys_info k = self->k;

	if (variant->version == TLS_1_2_VERSION) {
		EXPECT_ERRNO(keys_install(self->ra, TLS_RX, &k), EBUSY);
	} else if (strcmp(variant->ulp, "tlso")) {
		SKIP("this kernel's kTLS has no TLS 1.3 rekey");
	} else {
		EXPECT_OK(keys_install(self->ra, TLS_RX, &k));
		k.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256, 3, 0);
		EXPECT_ERRNO(keys_install(self->ra, TLS_RX, &k), EINVAL);
		keys_make(&k, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 3, 0);
		EXPECT_ERRNO(keys_install(self->ra, TLS_RX, &k), EINVAL);
	}
}

TEST_F(err, directions_must_agree)
{
	union keys_info k;

	keys_make(&k, variant->version, TLS_CIPHER_CHACHA20_POLY1305, 8, 0);
	EXPECT_ERRNO(keys_install(self->ra, TLS_TX, &k), EINVAL);
	keys_make(&k, variant->version == TLS_1_2_VERSION ? TLS_1_3_VERSION :
		  TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, 8, 0);
	EXPECT_ERRNO(keys_install(self->ra, TLS_TX, &k), EINVAL);
	keys_make(&k, variant->version, TLS_CIPHER_AES_GCM_128, 8, 0);
	EXPECT_OK(keys_install(self->ra, TLS_TX, &k));
}

TEST_F(err, option_lengths_one_off)
{
	size_t i;
	int c, s;

	ASSERT_OK(sock_pair(AF_INET, &c, &s));
	ASSERT_OK(sock_attach(c, variant->ulp));
	for (i = 0; i < sizeof(keys_ciphers) / sizeof(keys_ciphers[0]); i++) {
		const struct keys_cipher *ci = &keys_ciphers[i];
		union keys_info k;
		socklen_t len;

		keys_make(&k, variant->version, ci->type, 9, 0);
		EXPECT_ERRNO(setsockopt(c, SOL_TLS, TLS_TX, &k, ci->size - 1),
			     EINVAL);
		EXPECT_ERRNO(setsockopt(c, SOL_TLS, TLS_TX, &k, ci->size + 1),
			     EINVAL);
		len = ci->size - 1;
		EXPECT_ERRNO(getsockopt(self->ra, SOL_TLS, TLS_RX, &k, &len),
			     EINVAL);
	}
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
