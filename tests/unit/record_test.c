// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kmod/record.c, the TLS record format, compiled here
 * exactly as the module compiles it.  Expected values are written out
 * from the RFCs, not computed by the code under test.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <linux/tls.h>

#include "harness.h"
#include "record.h"

static struct tlso_prot prot(uint16_t version, uint16_t cipher)
{
	struct tlso_prot p;

	memset(&p, 0xaa, sizeof(p));
	if (tlso_prot_init(&p, version, cipher))
		memset(&p, 0, sizeof(p));
	return p;
}

TEST(prot_sizes)
{
	struct tlso_prot p;

	p = prot(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(p.nonce_len, 8);	/* RFC 5288 explicit nonce */
	EXPECT_EQ(p.aad_len, 13);
	EXPECT_EQ(p.tail_len, 0);
	EXPECT_EQ(p.overhead, 5 + 8 + 16);
	EXPECT_EQ(p.aead_iv_len, 12);

	p = prot(TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305);
	EXPECT_EQ(p.nonce_len, 0);	/* RFC 7905: none on the wire */
	EXPECT_EQ(p.salt_len, 0);
	EXPECT_EQ(p.iv_len, 12);
	EXPECT_EQ(p.overhead, 5 + 16);

	p = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256);
	EXPECT_EQ(p.nonce_len, 0);
	EXPECT_EQ(p.aad_len, 5);
	EXPECT_EQ(p.tail_len, 1);
	EXPECT_EQ(p.overhead, 5 + 16 + 1);

	p = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128);
	EXPECT_EQ(p.aead_iv_len, 16);	/* ccm(aes) takes a whole block */
}

TEST(prot_refuses_the_unknown)
{
	struct tlso_prot p;

	EXPECT_EQ(tlso_prot_init(&p, 0x0302, TLS_CIPHER_AES_GCM_128), -EINVAL);
	EXPECT_EQ(tlso_prot_init(&p, TLS_1_3_VERSION, TLS_CIPHER_SM4_GCM),
		  -EINVAL);
}

TEST(parse_limits)
{
	struct tlso_prot p12 = prot(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	struct tlso_prot p13 = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	uint8_t h[5] = { 23, 3, 3, 0, 0 };
	unsigned int len = 0;

	/* TLS 1.2 GCM: 2^14 + 8 + 16 = 16408 is the largest. */
	h[3] = 16408 >> 8;
	h[4] = 16408 & 0xff;
	EXPECT_EQ(tlso_record_parse(h, &p12, &len), 0);
	EXPECT_EQ(len, 16408);
	h[4]++;
	EXPECT_EQ(tlso_record_parse(h, &p12, &len), -EMSGSIZE);
	/* TLS 1.3: 2^14 + 16 + 1 = 16401. */
	h[3] = 16401 >> 8;
	h[4] = 16401 & 0xff;
	EXPECT_EQ(tlso_record_parse(h, &p13, &len), 0);
	h[4]++;
	EXPECT_EQ(tlso_record_parse(h, &p13, &len), -EMSGSIZE);
	/* Too short for the nonce and tag. */
	h[3] = 0;
	h[4] = 23;
	EXPECT_EQ(tlso_record_parse(h, &p12, &len), -EBADMSG);
	h[4] = 24;
	EXPECT_EQ(tlso_record_parse(h, &p12, &len), 0);
	h[4] = 15;
	EXPECT_EQ(tlso_record_parse(h, &p13, &len), -EBADMSG);
	/* Version bytes: 3,3 for both versions, nothing else. */
	h[4] = 100;
	h[2] = 4;
	EXPECT_EQ(tlso_record_parse(h, &p13, &len), -EINVAL);
	h[2] = 1;
	EXPECT_EQ(tlso_record_parse(h, &p12, &len), -EINVAL);
	h[1] = 2;
	h[2] = 3;
	EXPECT_EQ(tlso_record_parse(h, &p12, &len), -EINVAL);
}

TEST(build_header)
{
	struct tlso_prot p12 = prot(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	struct tlso_prot p13 = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	const uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t want12[13] = { 21, 3, 3, 0, 2 + 24,
				     1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t want13[5] = { 23, 3, 3, 0, 2 + 17 };
	uint8_t h[13];

	tlso_record_build(h, &p12, 21, 2, nonce);
	EXPECT_MEMEQ(h, want12, 13);
	/* TLS 1.3 shows application data outside whatever is inside. */
	tlso_record_build(h, &p13, 21, 2, NULL);
	EXPECT_MEMEQ(h, want13, 5);
}

TEST(iv_tls13_xors_the_sequence)
{
	struct tlso_prot p = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	const uint8_t iv[12] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
				 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b };
	const uint8_t seq[8] = { 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	const uint8_t want[12] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
				   0x16, 0x17, 0x18, 0x19, 0x1b, 0xe4 };
	uint8_t out[16];

	tlso_record_iv(out, &p, iv, seq, NULL);
	EXPECT_MEMEQ(out, want, 12);
}

TEST(iv_tls12_gcm_takes_the_explicit_nonce)
{
	struct tlso_prot p = prot(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256);
	const uint8_t iv[12] = { 0xa, 0xb, 0xc, 0xd, 9, 9, 9, 9, 9, 9, 9, 9 };
	const uint8_t seq[8] = { 0 };
	const uint8_t explicit[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t want_rx[12] = { 0xa, 0xb, 0xc, 0xd,
				      1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t want_tx[12] = { 0xa, 0xb, 0xc, 0xd,
				      9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t out[16];

	tlso_record_iv(out, &p, iv, seq, explicit);
	EXPECT_MEMEQ(out, want_rx, 12);
	tlso_record_iv(out, &p, iv, seq, NULL);
	EXPECT_MEMEQ(out, want_tx, 12);
}

TEST(iv_ccm_is_a_block_with_flags)
{
	struct tlso_prot p = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128);
	const uint8_t iv[12] = { 0 };
	const uint8_t seq[8] = { 0, 0, 0, 0, 0, 0, 0, 5 };
	const uint8_t want[16] = { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
				   0, 0, 0 };
	uint8_t out[16];

	tlso_record_iv(out, &p, iv, seq, NULL);
	EXPECT_MEMEQ(out, want, 16);
}

TEST(iv_chacha_tls12_xors_too)
{
	struct tlso_prot p = prot(TLS_1_2_VERSION,
				  TLS_CIPHER_CHACHA20_POLY1305);
	const uint8_t iv[12] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
				 0, 0, 0, 0 };
	const uint8_t seq[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t want[12] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
				   5, 6, 7, 8 };
	uint8_t out[16];

	tlso_record_iv(out, &p, iv, seq, NULL);
	EXPECT_MEMEQ(out, want, 12);
}

TEST(aad_tls12_and_tls13)
{
	struct tlso_prot p12 = prot(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	struct tlso_prot p13 = prot(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	const uint8_t seq[8] = { 0, 0, 0, 0, 0, 0, 0, 7 };
	/* RFC 5246 6.2.3.3: seq, type, version, length of the plaintext */
	const uint8_t want12[13] = { 0, 0, 0, 0, 0, 0, 0, 7, 23, 3, 3,
				     0x01, 0x00 };
	/* RFC 8446 5.2: the header, with the ciphertext length */
	const uint8_t want13[5] = { 23, 3, 3, 0x01, 0x11 };
	uint8_t aad[13];

	EXPECT_EQ(tlso_record_aad(aad, &p12, seq, 23, 256), 13);
	EXPECT_MEMEQ(aad, want12, 13);
	EXPECT_EQ(tlso_record_aad(aad, &p13, seq, 22, 256), 5);
	EXPECT_MEMEQ(aad, want13, 5);
}

TEST(sequence_increment_and_wrap)
{
	uint8_t s[8] = { 0, 0, 0, 0, 0, 0, 0, 0xff };
	const uint8_t want[8] = { 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t max[8];

	EXPECT_FALSE(tlso_seq_inc(s, 8));
	EXPECT_MEMEQ(s, want, 8);
	memset(max, 0xff, 8);
	EXPECT_TRUE(tlso_seq_inc(max, 8));
	memset(s, 0, 8);
	EXPECT_MEMEQ(max, s, 8);
}

TEST_HARNESS_MAIN
