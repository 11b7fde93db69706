// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlso against the in-tree kTLS module, the kernel's own
 * independent record layer.  One end of a TCP connection runs tlso, the
 * other in-tree kTLS, with the same keys crosswise; whatever one encrypts
 * the other must decrypt, for every version and cipher.
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

FIXTURE(ktls) {
	int a, b;	/* a: tlso, b: in-tree kTLS */
	union keys_info a_tx, a_rx;
};

FIXTURE_VARIANT(ktls) {
	uint16_t version;
	uint16_t cipher;
};

FIXTURE_VARIANT_ADD(ktls, tls12_aes_gcm_128) { TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128 };
FIXTURE_VARIANT_ADD(ktls, tls12_aes_gcm_256) { TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256 };
FIXTURE_VARIANT_ADD(ktls, tls12_chacha20_poly1305) { TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305 };
FIXTURE_VARIANT_ADD(ktls, tls12_aes_ccm_128) { TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128 };
FIXTURE_VARIANT_ADD(ktls, tls13_aes_gcm_128) { TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128 };
FIXTURE_VARIANT_ADD(ktls, tls13_aes_gcm_256) { TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256 };
FIXTURE_VARIANT_ADD(ktls, tls13_chacha20_poly1305) { TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305 };
FIXTURE_VARIANT_ADD(ktls, tls13_aes_ccm_128) { TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128 };

FIXTURE_SETUP(ktls)
{
	union keys_info k;

	self->a = self->b = -1;
	if (kmod_modprobe("tls"))
		SKIP("the in-tree tls module cannot be loaded here");
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->a, &self->b));
	ASSERT_OK(sock_attach(self->a, "tlso"));
	ASSERT_OK(sock_attach(self->b, "tls"));

	/* Sequence numbers that do not start at zero, as after a handshake. */
	keys_make(&self->a_tx, variant->version, variant->cipher, 1, 3);
	keys_make(&self->a_rx, variant->version, variant->cipher, 2, 5);
	ASSERT_OK(keys_install(self->a, TLS_TX, &self->a_tx));
	ASSERT_OK(keys_install(self->a, TLS_RX, &self->a_rx));
	ASSERT_OK(keys_install(self->b, TLS_RX, &self->a_tx));
	ASSERT_OK(keys_install(self->b, TLS_TX, &self->a_rx));
	(void)k;
}

FIXTURE_TEARDOWN(ktls)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
}

static const size_t sizes[] = { 1, 16383, 16384, 16385, 1 << 20 };

TEST_F(ktls, tlso_encrypts_ktls_decrypts)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(sock_xfer(self->a, self->b, sizes[i], 65536, i), 0);
	}
}

TEST_F(ktls, ktls_encrypts_tlso_decrypts)
{
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(sock_xfer(self->b, self->a, sizes[i], 65536, i), 0);
	}
}

/* Small writes: one record each, and reads that span many of them. */
TEST_F(ktls, small_writes_both_ways)
{
	ASSERT_EQ(sock_xfer(self->a, self->b, 100000, 1000, 7), 0);
	ASSERT_EQ(sock_xfer(self->b, self->a, 100000, 1000, 8), 0);
}

/*
 * getsockopt returns the keys as set and the sequence numbers as they
 * stand; tlso's sending side must agree with kTLS's receiving side.
 */
TEST_F(ktls, getsockopt_tracks_sequence)
{
	const struct keys_cipher *c = keys_cipher(variant->cipher);
	union keys_info got, peer;
	socklen_t len;

	ASSERT_EQ(sock_xfer(self->a, self->b, 50000, 50000, 1), 0);
	len = c->size;
	ASSERT_OK(getsockopt(self->a, SOL_TLS, TLS_TX, &got, &len));
	EXPECT_EQ(len, c->size);
	EXPECT_MEMEQ((char *)&got + c->key_off,
		     (char *)&self->a_tx + c->key_off, c->key);
	EXPECT_MEMEQ((char *)&got + c->salt_off,
		     (char *)&self->a_tx + c->salt_off, c->salt);
	len = c->size;
	ASSERT_OK(getsockopt(self->b, SOL_TLS, TLS_RX, &peer, &len));
	EXPECT_MEMEQ((char *)&got + c->seq_off, (char *)&peer + c->seq_off, 8);
	EXPECT_MEMEQ((char *)&got + c->iv_off, (char *)&peer + c->iv_off,
		     c->iv);
	/* 50000 bytes: four records after the first sequence number, 3. */
	EXPECT_EQ(((unsigned char *)&got)[c->seq_off + 7], 3 + 4);

	len = sizeof(struct tls_crypto_info);
	ASSERT_OK(getsockopt(self->a, SOL_TLS, TLS_RX, &got, &len));
	EXPECT_EQ(got.info.version, variant->version);
	EXPECT_EQ(got.info.cipher_type, variant->cipher);
}

TEST_F(ktls, counters_count_records_and_bytes)
{
	long rec = kmod_tlso_stat(TLSO_STAT_TX_RECORDS);
	long bytes = kmod_tlso_stat(TLSO_STAT_TX_BYTES);
	long rrec = kmod_tlso_stat(TLSO_STAT_RX_RECORDS);

	ASSERT_EQ(sock_xfer(self->a, self->b, 16385, 65536, 3), 0);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_TX_RECORDS) - rec, 2);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_TX_BYTES) - bytes, 16385);
	ASSERT_EQ(sock_xfer(self->b, self->a, 16385, 65536, 4), 0);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_RX_RECORDS) - rrec, 2);
	EXPECT_GE(kmod_tlso_stat(TLSO_STAT_CURR_TX), 1);
	EXPECT_GE(kmod_tlso_stat(TLSO_STAT_CURR_RX), 1);
}

/* ---- TLSO_INFO, checked against kTLS's own sequence numbers ---- */

/* The next record sequence number of kTLS's direction dir on fd. */
static uint64_t ktls_seq(int fd, int dir, uint16_t cipher)
{
	const struct keys_cipher *c = keys_cipher(cipher);
	union keys_info k;
	socklen_t len = c->size;
	uint64_t seq = 0;
	int i;

	ASSERT_OK(getsockopt(fd, SOL_TLS, dir, &k, &len));
	for (i = 0; i < 8; i++)
		seq = seq << 8 | ((uint8_t *)&k)[c->seq_off + i];
	return seq;
}

/* Read exactly len bytes of records of type; any other type fails. */
static void read_type(int fd, size_t len, uint8_t type)
{
	static uint8_t buf[65536];
	size_t got = 0;
	uint8_t t;

	while (got < len) {
		size_t want = len - got < sizeof(buf) ? len - got : sizeof(buf);
		ssize_t n = wire_recv_type(fd, buf, want, &t, 0);

		if (n <= 0)
			TH_LOG("recvmsg: %zd (%s)", n, strerror(errno));
		ASSERT_GT(n, 0);
		ASSERT_EQ(t, type);
		got += n;
	}
}

/*
 * Writes that make a known number of records, and a control record:
 * tlso counts each record it seals, and kTLS must have read as many.
 */
TEST_F(ktls, info_counts_what_ktls_reads)
{
	static const size_t writes[] = { 1, 16384, 16385, 20000 };
	static char data[20000];
	uint64_t seq = ktls_seq(self->b, TLS_RX, variant->cipher);
	struct tlso_info info;
	size_t i, total = 0;

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		ASSERT_EQ(send(self->a, data, writes[i], 0), (ssize_t)writes[i]);
		total += writes[i];
	}
	/* 1 + 1 + 2 + 2 records of data, then one of each type. */
	ASSERT_EQ(wire_send_type(self->a, "\x04\x00\x00\x00", 4, 22, 0), 4);
	ASSERT_EQ(send(self->a, data, 10, 0), 10);
	ASSERT_OK(sock_tlso_info(self->a, &info));
	EXPECT_EQ(info.tx_records, 8);
	EXPECT_EQ(info.tx_bytes, total + 4 + 10);
	EXPECT_EQ(info.rx_records, 0);
	EXPECT_EQ(info.rx_bytes, 0);

	read_type(self->b, total, 23);
	read_type(self->b, 4, 22);
	read_type(self->b, 10, 23);
	EXPECT_EQ(ktls_seq(self->b, TLS_RX, variant->cipher) - seq, 8);
}

/*
 * A record counts on receipt when a read first reaches it -- a peek
 * too -- and never twice; a control record counts like data.
 */
TEST_F(ktls, info_counts_what_ktls_sent)
{
	static char data[30000];
	uint64_t seq = ktls_seq(self->b, TLS_TX, variant->cipher);
	struct pollfd p = { self->a, POLLIN, 0 };
	struct tlso_info info;
	unsigned char buf[sizeof(info) + 1];
	socklen_t len;

	ASSERT_EQ(send(self->b, "hello", 5, 0), 5);
	ASSERT_EQ(wire_send_type(self->b, "\x04\x00\x00\x00", 4, 22, 0), 4);
	ASSERT_OK(tlso_write_all(self->b, data, sizeof(data)));
	/* kTLS cuts its write in two records. */
	EXPECT_EQ(ktls_seq(self->b, TLS_TX, variant->cipher) - seq, 4);

	/* Arrived whole, but not reached by any read yet. */
	ASSERT_EQ(poll(&p, 1, 5000), 1);
	ASSERT_OK(sock_tlso_info(self->a, &info));
	EXPECT_EQ(info.rx_records, 0);
	ASSERT_EQ(recv(self->a, data, 2, MSG_PEEK), 2);
	ASSERT_OK(sock_tlso_info(self->a, &info));
	EXPECT_EQ(info.rx_records, 1);
	EXPECT_EQ(info.rx_bytes, 5);
	ASSERT_EQ(recv(self->a, data, 5, 0), 5);
	ASSERT_OK(sock_tlso_info(self->a, &info));
	EXPECT_EQ(info.rx_records, 1);
	EXPECT_EQ(info.rx_bytes, 5);

	read_type(self->a, 4, 22);
	read_type(self->a, sizeof(data), 23);
	ASSERT_OK(sock_tlso_info(self->a, &info));
	EXPECT_EQ(info.rx_records, 4);
	EXPECT_EQ(info.rx_bytes, 5 + 4 + sizeof(data));
	EXPECT_EQ(info.tx_records, 0);
	EXPECT_EQ(info.tx_bytes, 0);

	/* Cut short in the middle of rx_records. */
	memset(buf, 0xa5, sizeof(buf));
	len = 12;
	ASSERT_OK(getsockopt(self->a, SOL_TLS, TLSO_INFO, buf, &len));
	EXPECT_EQ(len, 12);
	EXPECT_MEMEQ(buf, &info, 12);
	EXPECT_EQ(buf[12], 0xa5);
}

TEST_HARNESS_MAIN
