// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kmod/cipher.c, the cipher table and the crypto_info
 * checks, compiled here exactly as the module compiles them.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/tls.h>

#include "harness.h"
#include "cipher.h"

struct expect {
	__u16 type;
	size_t info_size, key, iv, salt, rec_seq;
	const char *aead;
};

/* Sizes from the kTLS documentation and RFC 5288 / 7905 / 8446. */
static const struct expect expected[] = {
	{ TLS_CIPHER_AES_GCM_128, 40, 16, 8, 4, 8, "gcm(aes)" },
	{ TLS_CIPHER_AES_GCM_256, 56, 32, 8, 4, 8, "gcm(aes)" },
	{ TLS_CIPHER_AES_CCM_128, 40, 16, 8, 4, 8, "ccm(aes)" },
	{ TLS_CIPHER_CHACHA20_POLY1305, 56, 32, 12, 0, 8,
	  "rfc7539(chacha20,poly1305)" },
};

TEST(table_matches_the_uapi_sizes)
{
	size_t i;

	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct expect *e = &expected[i];
		const struct tlso_cipher *c = tlso_cipher_find(e->type);

		ASSERT_TRUE(c != NULL);
		EXPECT_EQ(c->type, e->type);
		EXPECT_EQ(c->info_size, e->info_size);
		EXPECT_EQ(c->key_size, e->key);
		EXPECT_EQ(c->iv_size, e->iv);
		EXPECT_EQ(c->salt_size, e->salt);
		EXPECT_EQ(c->rec_seq_size, e->rec_seq);
		EXPECT_EQ(c->tag_size, 16);
		EXPECT_STREQ(c->aead_name, e->aead);
	}
}

TEST(offsets_match_the_structs)
{
	const struct tlso_cipher *c;

	c = tlso_cipher_find(TLS_CIPHER_AES_GCM_256);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(c->iv_off, offsetof(struct tls12_crypto_info_aes_gcm_256, iv));
	EXPECT_EQ(c->key_off, offsetof(struct tls12_crypto_info_aes_gcm_256, key));
	EXPECT_EQ(c->salt_off, offsetof(struct tls12_crypto_info_aes_gcm_256, salt));
	EXPECT_EQ(c->rec_seq_off,
		  offsetof(struct tls12_crypto_info_aes_gcm_256, rec_seq));
	c = tlso_cipher_find(TLS_CIPHER_CHACHA20_POLY1305);
	ASSERT_TRUE(c != NULL);
	/* The header is 4 bytes; chacha's 12-byte IV follows it directly. */
	EXPECT_EQ(c->iv_off, 4);
	EXPECT_EQ(c->key_off, 16);
	EXPECT_EQ(c->rec_seq_off, 48);
}

TEST(unsupported_ciphers_are_unknown)
{
	EXPECT_TRUE(tlso_cipher_find(0) == NULL);
	EXPECT_TRUE(tlso_cipher_find(TLS_CIPHER_SM4_GCM) == NULL);
	EXPECT_TRUE(tlso_cipher_find(TLS_CIPHER_ARIA_GCM_128) == NULL);
	EXPECT_TRUE(tlso_cipher_find(0xffff) == NULL);
}

static struct tls_crypto_info info(__u16 version, __u16 cipher)
{
	struct tls_crypto_info i = { .version = version, .cipher_type = cipher };

	return i;
}

TEST(check_accepts_every_version_and_cipher)
{
	__u16 versions[] = { TLS_1_2_VERSION, TLS_1_3_VERSION };
	size_t v, i;

	for (v = 0; v < 2; v++)
		for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
			struct tls_crypto_info ci =
				info(versions[v], expected[i].type);

			EXPECT_EQ(tlso_crypto_info_check(&ci,
					expected[i].info_size, NULL), 0);
			/* and one byte either side is refused */
			EXPECT_EQ(tlso_crypto_info_check(&ci,
					expected[i].info_size - 1, NULL),
				  -EINVAL);
			EXPECT_EQ(tlso_crypto_info_check(&ci,
					expected[i].info_size + 1, NULL),
				  -EINVAL);
		}
}

TEST(check_refuses_bad_headers)
{
	struct tls_crypto_info ci = info(TLS_1_3_VERSION,
					 TLS_CIPHER_AES_GCM_128);

	EXPECT_EQ(tlso_crypto_info_check(&ci, 0, NULL), -EINVAL);
	EXPECT_EQ(tlso_crypto_info_check(&ci, 3, NULL), -EINVAL);
	ci = info(0x0302, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(tlso_crypto_info_check(&ci, 40, NULL), -EINVAL);
	ci = info(0x0305, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(tlso_crypto_info_check(&ci, 40, NULL), -EINVAL);
	ci = info(TLS_1_2_VERSION, 50);
	EXPECT_EQ(tlso_crypto_info_check(&ci, 40, NULL), -EINVAL);
	ci = info(TLS_1_2_VERSION, TLS_CIPHER_SM4_GCM);
	EXPECT_EQ(tlso_crypto_info_check(&ci, 40, NULL), -EINVAL);
}

TEST(check_needs_both_directions_to_agree)
{
	struct tls_crypto_info tx = info(TLS_1_3_VERSION,
					 TLS_CIPHER_AES_GCM_128);
	struct tls_crypto_info rx = tx;

	EXPECT_EQ(tlso_crypto_info_check(&rx, 40, &tx), 0);
	rx = info(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	EXPECT_EQ(tlso_crypto_info_check(&rx, 40, &tx), -EINVAL);
	rx = info(TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128);
	EXPECT_EQ(tlso_crypto_info_check(&rx, 40, &tx), -EINVAL);
}

TEST_HARNESS_MAIN
