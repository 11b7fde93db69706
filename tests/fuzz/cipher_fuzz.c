// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target "cipher": kmod/cipher.c, the cipher table and the
 * checks on the crypto_info an application passes to
 * setsockopt(SOL_TLS, TLS_TX or TLS_RX), compiled as cipher_test
 * compiles it.
 *
 * The bytes are what setsockopt's optval holds, with its optlen, and the
 * other direction's header when that one is installed.  The verdict is
 * compared with kTLS's rules, written out here from <linux/tls.h>; a
 * struct that passes is then taken apart at the table's offsets, as
 * key.c does, from a heap copy of exactly optlen bytes, so that a field
 * the table places past the struct is AddressSanitizer's to see; and it
 * must give a record layout (kmod/record.c) too.
 *
 * Input: optlen (one byte, or 0xff and four more for any 32-bit one);
 * a byte saying whether the other direction is installed (bit 0) and
 * whether its header is this one's (bit 1) or the next four bytes; then
 * optval, zeros past the end of the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/tls.h>

#include "fuzz.h"
#include "cipher.h"
#include "record.h"

#define OPTLEN_WIDE	0xff
#define OPTVAL_MAX	512	/* past every struct tlso knows */
#define OTHER_SET	0x01
#define OTHER_SAME	0x02

/* The kTLS UAPI's structs, by the sizes its header defines. */
static const struct shape {
	uint16_t cipher;
	size_t iv, key, salt, rec_seq;
	const char *aead;
} shapes[] = {
	{ TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_128_IV_SIZE,
	  TLS_CIPHER_AES_GCM_128_KEY_SIZE, TLS_CIPHER_AES_GCM_128_SALT_SIZE,
	  TLS_CIPHER_AES_GCM_128_REC_SEQ_SIZE, "gcm(aes)" },
	{ TLS_CIPHER_AES_GCM_256, TLS_CIPHER_AES_GCM_256_IV_SIZE,
	  TLS_CIPHER_AES_GCM_256_KEY_SIZE, TLS_CIPHER_AES_GCM_256_SALT_SIZE,
	  TLS_CIPHER_AES_GCM_256_REC_SEQ_SIZE, "gcm(aes)" },
	{ TLS_CIPHER_AES_CCM_128, TLS_CIPHER_AES_CCM_128_IV_SIZE,
	  TLS_CIPHER_AES_CCM_128_KEY_SIZE, TLS_CIPHER_AES_CCM_128_SALT_SIZE,
	  TLS_CIPHER_AES_CCM_128_REC_SEQ_SIZE, "ccm(aes)" },
	{ TLS_CIPHER_CHACHA20_POLY1305, TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE,
	  TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE,
	  TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE,
	  TLS_CIPHER_CHACHA20_POLY1305_REC_SEQ_SIZE,
	  "rfc7539(chacha20,poly1305)" },
};

static const struct shape *shape_of(uint16_t cipher)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++)
		if (shapes[i].cipher == cipher)
			return &shapes[i];
	return NULL;
}

/* The struct is its header, then byte arrays: no padding anywhere. */
static size_t struct_size(const struct shape *s)
{
	return sizeof(struct tls_crypto_info) + s->iv + s->key + s->salt +
	       s->rec_seq;
}

/* One field inside the struct, after the header, clear of another. */
static void check_field(const char *what, size_t off, size_t len,
			size_t size)
{
	FUZZ_CHECK(off >= sizeof(struct tls_crypto_info) && off + len <= size,
		   "%s at %zu+%zu in %zu bytes", what, off, len, size);
}

static bool apart(size_t a, size_t alen, size_t b, size_t blen)
{
	return a + alen <= b || b + blen <= a;
}

static void check_entry(const struct tlso_cipher *c, const struct shape *s)
{
	size_t size = struct_size(s);

	FUZZ_CHECK(c->info_size == size, "info_size %u, want %zu",
		   c->info_size, size);
	FUZZ_CHECK(c->key_size == s->key && c->iv_size == s->iv &&
		   c->salt_size == s->salt && c->rec_seq_size == s->rec_seq,
		   "sizes of cipher %u", c->type);
	FUZZ_CHECK(c->tag_size == 16, "tag %u", c->tag_size);
	FUZZ_CHECK(c->aead_name && !strcmp(c->aead_name, s->aead), "aead %s",
		   c->aead_name ? c->aead_name : "(null)");
	check_field("key", c->key_off, c->key_size, size);
	check_field("iv", c->iv_off, c->iv_size, size);
	check_field("salt", c->salt_off, c->salt_size, size);
	check_field("rec_seq", c->rec_seq_off, c->rec_seq_size, size);
	FUZZ_CHECK(apart(c->key_off, c->key_size, c->iv_off, c->iv_size) &&
		   apart(c->key_off, c->key_size, c->salt_off, c->salt_size) &&
		   apart(c->key_off, c->key_size, c->rec_seq_off,
			 c->rec_seq_size) &&
		   apart(c->iv_off, c->iv_size, c->salt_off, c->salt_size) &&
		   apart(c->iv_off, c->iv_size, c->rec_seq_off,
			 c->rec_seq_size) &&
		   apart(c->salt_off, c->salt_size, c->rec_seq_off,
			 c->rec_seq_size),
		   "fields of cipher %u overlap", c->type);
	/* the AEAD's IV buffer in crypto.c holds salt and iv together */
	FUZZ_CHECK(c->salt_size + c->iv_size <= TLSO_MAX_IV_LEN, "iv %u",
		   c->salt_size + c->iv_size);
}

/* kTLS's verdict (net/tls/tls_main.c do_tls_setsockopt_conf()). */
static int check_want(const struct tls_crypto_info *info, size_t optlen,
		      const struct tls_crypto_info *other)
{
	const struct shape *s;

	if (optlen < sizeof(*info))
		return -EINVAL;
	if (info->version != TLS_1_2_VERSION &&
	    info->version != TLS_1_3_VERSION)
		return -EINVAL;
	if (other && (other->version != info->version ||
		      other->cipher_type != info->cipher_type))
		return -EINVAL;
	s = shape_of(info->cipher_type);
	if (!s || optlen != struct_size(s))
		return -EINVAL;
	return 0;
}

/* What key.c does with a struct that passed: every field, then a layout. */
static void take_apart(const uint8_t *optval, const struct tlso_cipher *c,
		       const struct tls_crypto_info *info)
{
	uint8_t key[64], iv[TLSO_MAX_IV_LEN], seq[TLSO_SEQ_LEN];
	struct tlso_prot p;
	int ret;

	FUZZ_CHECK(c->key_size <= sizeof(key) && c->rec_seq_size == 8,
		   "key %u seq %u", c->key_size, c->rec_seq_size);
	memcpy(key, optval + c->key_off, c->key_size);
	memcpy(iv, optval + c->salt_off, c->salt_size);
	memcpy(iv + c->salt_size, optval + c->iv_off, c->iv_size);
	memcpy(seq, optval + c->rec_seq_off, c->rec_seq_size);
	ret = tlso_prot_init(&p, info->version, info->cipher_type);
	FUZZ_CHECK(ret == 0, "checked %#x/%u, but no layout: %d",
		   info->version, info->cipher_type, ret);
	FUZZ_CHECK(p.salt_len == c->salt_size && p.iv_len == c->iv_size,
		   "layout salt %u iv %u", p.salt_len, p.iv_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct tls_crypto_info info, other_hdr, *other = NULL;
	const struct tlso_cipher *c;
	uint32_t optlen = fz_uint(&f, 1);
	unsigned int how;
	uint8_t *optval;
	size_t have;
	int ret, want;

	if (optlen == OPTLEN_WIDE)
		optlen = fz_uint(&f, 4);
	how = fz_uint(&f, 1);
	if (how & OTHER_SET)
		other = &other_hdr;
	if ((how & (OTHER_SET | OTHER_SAME)) == OTHER_SET)
		fz_bytes(&f, &other_hdr, sizeof(other_hdr));

	have = optlen < OPTVAL_MAX ? optlen : OPTVAL_MAX;
	optval = fz_alloc(have);
	fz_bytes(&f, optval, have);
	/*
	 * key.c copies the header out before it looks at it, so that the
	 * application cannot change it under the check.
	 */
	memset(&info, 0, sizeof(info));
	memcpy(&info, optval, have < sizeof(info) ? have : sizeof(info));
	if (how & OTHER_SAME)
		other_hdr = info;

	ret = tlso_crypto_info_check(&info, optlen, other);
	want = check_want(&info, optlen, other);
	FUZZ_CHECK(ret == want, "check %d, want %d (optlen %u, %#x/%u)", ret,
		   want, optlen, info.version, info.cipher_type);

	/* the table, for whatever type the application named */
	c = tlso_cipher_find(info.cipher_type);
	FUZZ_CHECK(!c == !shape_of(info.cipher_type), "find %u: %p",
		   info.cipher_type, (const void *)c);
	if (c) {
		FUZZ_CHECK(c->type == info.cipher_type, "found %u for %u",
			   c->type, info.cipher_type);
		check_entry(c, shape_of(info.cipher_type));
	}
	if (!ret)
		take_apart(optval, c, &info);
	free(optval);
	return 0;
}
