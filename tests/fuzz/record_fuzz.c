// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target "record": kmod/record.c, the TLS record format the
 * module shares with the host, compiled as record_test compiles it.
 *
 * Each input is one session's shape and what passes on it: the
 * version and cipher, a record the session sends (header, nonce, AAD)
 * and a stream of records a peer sends, whose headers are parsed one
 * after the other as the receive path does, each with the nonce and AAD
 * it would be opened with.  Every result is compared with what RFC 5246,
 * 5288, 7905 and 8446 say, computed here on its own, and every buffer
 * handed over is a heap copy of its exact size, so that a read past it
 * is AddressSanitizer's to see.
 *
 * Input: a selector byte; if its top bit is set, a raw version and
 * cipher (2 bytes each), else the low bits pick TLS 1.2 or 1.3 and one
 * of the four ciphers.  Then the sent record's type, length (2), the
 * sequence number (8), the session IV (16), an explicit nonce (8), a
 * sequence number length for tlso_seq_inc() (1); the rest is the
 * peer's byte stream.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/tls.h>

#include "fuzz.h"
#include "record.h"

#define SEL_RAW		0x80	/* version and cipher from the input */
#define SEL_TLS13	0x01
#define SEL_CIPHER(s)	(((s) >> 1) & 3)
#define SEL_RAISED	0x08	/* tlsod's sockets: RFC 8446 padding */
#define SEL_NO_EXPLICIT	0x10	/* the IV with NULL, as tx.c makes it */

/* The AEADs of the kTLS UAPI tlso serves, written out from the RFCs. */
static const struct spec {
	uint16_t cipher;
	uint8_t salt, iv;	/* implicit and per-record nonce parts */
} specs[] = {
	{ TLS_CIPHER_AES_GCM_128, 4, 8 },	/* RFC 5288 */
	{ TLS_CIPHER_AES_GCM_256, 4, 8 },
	{ TLS_CIPHER_AES_CCM_128, 4, 8 },	/* RFC 6655 */
	{ TLS_CIPHER_CHACHA20_POLY1305, 0, 12 },	/* RFC 7905 */
};

static const struct spec *spec_of(uint16_t version, uint16_t cipher)
{
	size_t i;

	if (version != TLS_1_2_VERSION && version != TLS_1_3_VERSION)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(specs); i++)
		if (specs[i].cipher == cipher)
			return &specs[i];
	return NULL;
}

static void check_prot(const struct tlso_prot *p, const struct spec *s)
{
	bool v13 = p->version == TLS_1_3_VERSION;
	bool ccm = s->cipher == TLS_CIPHER_AES_CCM_128;
	unsigned int nonce = !v13 && s->cipher != TLS_CIPHER_CHACHA20_POLY1305 ?
			     s->iv : 0;

	FUZZ_CHECK(p->cipher_type == s->cipher, "%u", p->cipher_type);
	FUZZ_CHECK(p->salt_len == s->salt && p->iv_len == s->iv,
		   "salt %u iv %u", p->salt_len, p->iv_len);
	/* every nonce is 96 bits: the session's part may not overrun it */
	FUZZ_CHECK(p->salt_len + p->iv_len == TLSO_NONCE_LEN, "%u",
		   p->salt_len + p->iv_len);
	FUZZ_CHECK(p->nonce_len == nonce, "nonce_len %u", p->nonce_len);
	FUZZ_CHECK(p->aad_len == (v13 ? 5 : 13), "aad_len %u", p->aad_len);
	FUZZ_CHECK(p->aad_len <= TLSO_MAX_AAD_LEN, "aad_len %u", p->aad_len);
	FUZZ_CHECK(p->tail_len == (v13 ? 1 : 0), "tail_len %u", p->tail_len);
	FUZZ_CHECK(p->aead_iv_len == (ccm ? 16 : 12), "aead_iv_len %u",
		   p->aead_iv_len);
	FUZZ_CHECK(p->overhead == 5 + nonce + 16 + p->tail_len,
		   "overhead %u", p->overhead);
	FUZZ_CHECK(p->max_payload == TLSO_MAX_PLAIN + p->overhead - 5 &&
		   p->max_payload == tlso_record_max_payload(p),
		   "max_payload %u", p->max_payload);
}

/* What tlso_record_parse() must say of hdr, and the length it gives. */
static int parse_want(const uint8_t *hdr, const struct tlso_prot *p)
{
	unsigned int n = (unsigned int)hdr[3] << 8 | hdr[4];

	if (n > p->max_payload)
		return -EMSGSIZE;
	if (n < p->nonce_len + 16u)
		return -EBADMSG;
	if (hdr[1] != 3 || hdr[2] != 3)
		return -EINVAL;
	return 0;
}

static int parse(const uint8_t *hdr5, const struct tlso_prot *p,
		 unsigned int *len)
{
	uint8_t *hdr = fz_dup(hdr5, TLSO_HDR_LEN);
	unsigned int got = 0xdeadbeef;
	int ret = tlso_record_parse(hdr, p, &got);
	int want = parse_want(hdr5, p);

	free(hdr);
	FUZZ_CHECK(ret == want, "parse %d, want %d", ret, want);
	if (ret) {
		FUZZ_CHECK(got == 0xdeadbeef, "length %u set on error", got);
		return ret;
	}
	FUZZ_CHECK(got == ((unsigned int)hdr5[3] << 8 | hdr5[4]), "len %u",
		   got);
	*len = got;
	return 0;
}

/* The nonce for the AEAD, by the RFCs; explicit NULL: the session's. */
static void iv_want(uint8_t *out, const struct tlso_prot *p,
		    const uint8_t *iv, const uint8_t *seq,
		    const uint8_t *explicit_nonce)
{
	uint8_t *nonce = out;
	int i;

	memset(out, 0, TLSO_MAX_IV_LEN);
	if (p->cipher_type == TLS_CIPHER_AES_CCM_128) {
		/* RFC 3610: flags byte, L = 3 for a 12-byte nonce */
		out[0] = 3 - 1;
		nonce = out + 1;
	}
	memcpy(nonce, iv, p->salt_len + p->iv_len);
	if (p->nonce_len) {
		/* RFC 5288 3: salt || explicit nonce from the record */
		if (explicit_nonce)
			memcpy(nonce + p->salt_len, explicit_nonce,
			       p->nonce_len);
		return;
	}
	/* RFC 8446 5.3, RFC 7905 2: static IV XOR left-padded seq */
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= seq[i];
}

static void check_iv(const struct tlso_prot *p, const uint8_t *iv16,
		     const uint8_t *seq8, const uint8_t *explicit_nonce)
{
	uint8_t *out = fz_alloc(p->aead_iv_len);
	uint8_t *iv = fz_dup(iv16, p->salt_len + p->iv_len);
	uint8_t *seq = fz_dup(seq8, TLSO_SEQ_LEN);
	uint8_t *ex = explicit_nonce ? fz_dup(explicit_nonce, p->nonce_len) :
				       NULL;
	uint8_t want[TLSO_MAX_IV_LEN];

	tlso_record_iv(out, p, iv, seq, ex);
	iv_want(want, p, iv16, seq8, explicit_nonce);
	FUZZ_CHECK(!memcmp(out, want, p->aead_iv_len), "iv differs (%s)",
		   explicit_nonce ? "explicit" : "session");
	free(out);
	free(iv);
	free(seq);
	free(ex);
}

static void check_aad(const struct tlso_prot *p, const uint8_t *seq8,
		      uint8_t type, unsigned int plain)
{
	uint8_t *aad = fz_alloc(TLSO_MAX_AAD_LEN);
	uint8_t *seq = fz_dup(seq8, TLSO_SEQ_LEN);
	uint8_t want[TLSO_MAX_AAD_LEN];
	unsigned int n, len;

	len = tlso_record_aad(aad, p, seq, type, plain);
	FUZZ_CHECK(len == p->aad_len, "aad length %u", len);
	if (p->version == TLS_1_3_VERSION) {
		/* RFC 8446 5.2: the outer header, ciphertext length */
		n = plain + 1 + 16;
		want[0] = 23;
		want[1] = 3;
		want[2] = 3;
		want[3] = (uint8_t)(n >> 8);
		want[4] = (uint8_t)n;
	} else {
		/* RFC 5246 6.2.3.3: seq_num + type + version + length */
		memcpy(want, seq8, 8);
		want[8] = type;
		want[9] = 3;
		want[10] = 3;
		want[11] = (uint8_t)(plain >> 8);
		want[12] = (uint8_t)plain;
	}
	FUZZ_CHECK(!memcmp(aad, want, len), "aad differs, plain %u", plain);
	free(aad);
	free(seq);
}

/* Send side: header and nonce, then what a peer would make of them. */
static void check_build(const struct tlso_prot *p, uint8_t type,
			unsigned int plain, const uint8_t *explicit8)
{
	size_t hlen = TLSO_HDR_LEN + p->nonce_len;
	uint8_t *hdr = fz_alloc(hlen);
	uint8_t *ex = fz_dup(explicit8, p->nonce_len);
	unsigned int n = plain + p->overhead - TLSO_HDR_LEN, len;

	tlso_record_build(hdr, p, type, plain, ex);
	FUZZ_CHECK(hdr[0] == (p->version == TLS_1_3_VERSION ? 23 : type),
		   "type %u", hdr[0]);
	FUZZ_CHECK(hdr[1] == 3 && hdr[2] == 3, "version %u.%u", hdr[1],
		   hdr[2]);
	FUZZ_CHECK(((unsigned int)hdr[3] << 8 | hdr[4]) == n, "len %u",
		   (unsigned int)hdr[3] << 8 | hdr[4]);
	FUZZ_CHECK(!memcmp(hdr + TLSO_HDR_LEN, explicit8, p->nonce_len),
		   "explicit nonce");
	/* whatever tlso sends, tlso (and kTLS) must take */
	FUZZ_CHECK(parse(hdr, p, &len) == 0 && len == n,
		   "own record of %u bytes refused", plain);
	free(hdr);
	free(ex);
}

static void check_seq_inc(const uint8_t *seq8, unsigned int len)
{
	uint8_t *seq = fz_dup(seq8, len);
	uint64_t v = 0, max = len == 8 ? UINT64_MAX :
			       ((uint64_t)1 << (8 * len)) - 1;
	unsigned int i;
	bool wrapped;

	for (i = 0; i < len; i++)
		v = v << 8 | seq8[i];
	wrapped = tlso_seq_inc(seq, len);
	FUZZ_CHECK(wrapped == (v == max), "wrapped %d at len %u", wrapped,
		   len);
	v = v == max ? 0 : v + 1;
	for (i = len; i-- > 0; v >>= 8)
		FUZZ_CHECK(seq[i] == (uint8_t)v, "byte %u of %u", i, len);
	free(seq);
}

/*
 * The peer's bytes, record by record, as rx.c reads them: a header,
 * and when it is good the nonce and AAD of the record's opening; the
 * first bad header ends the stream, as it ends a kTLS socket.
 */
static void peer_stream(const struct tlso_prot *p, struct fz *f,
			const uint8_t *iv16, uint8_t *seq8)
{
	unsigned int len, plain;
	uint8_t hdr[TLSO_HDR_LEN];

	while (f->n >= TLSO_HDR_LEN) {
		fz_bytes(f, hdr, TLSO_HDR_LEN);
		if (parse(hdr, p, &len))
			return;
		if (f->n < len)
			return;	/* the record has not all arrived */
		check_iv(p, iv16, seq8, f->p);
		plain = len - p->nonce_len - 16;
		/* TLS 1.3: no room for the type is the decrypt's to find */
		if (plain >= p->tail_len)
			check_aad(p, seq8, hdr[0], plain - p->tail_len);
		tlso_seq_inc(seq8, TLSO_SEQ_LEN);
		f->p += len;
		f->n -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t sel = (uint8_t)fz_uint(&f, 1);
	uint16_t version, cipher;
	uint8_t seq[8], iv[16], ex[8], type;
	const struct spec *s;
	struct tlso_prot p;
	unsigned int plain;
	int ret;

	if (sel & SEL_RAW) {
		version = (uint16_t)fz_uint(&f, 2);
		cipher = (uint16_t)fz_uint(&f, 2);
	} else {
		version = sel & SEL_TLS13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
		cipher = specs[SEL_CIPHER(sel)].cipher;
	}
	s = spec_of(version, cipher);
	memset(&p, 0x5a, sizeof(p));
	ret = tlso_prot_init(&p, version, cipher);
	FUZZ_CHECK(ret == (s ? 0 : -EINVAL), "prot_init %d for %#x/%u", ret,
		   version, cipher);
	if (ret)
		return 0;
	FUZZ_CHECK(p.version == version, "version %#x", p.version);
	check_prot(&p, s);
	if ((sel & SEL_RAISED) && version == TLS_1_3_VERSION)
		p.max_payload = TLSO_MAX_TLS13_PAYLOAD;

	type = (uint8_t)fz_uint(&f, 1);
	/* tx.c cuts records at 2^14 bytes of content */
	plain = fz_uint(&f, 2) % (TLSO_MAX_PLAIN + 1);
	fz_bytes(&f, seq, sizeof(seq));
	fz_bytes(&f, iv, sizeof(iv));
	fz_bytes(&f, ex, sizeof(ex));
	check_seq_inc(seq, fz_uint(&f, 1) % 9);

	check_build(&p, type, plain, ex);
	check_aad(&p, seq, type, plain);
	check_iv(&p, iv, seq, (sel & SEL_NO_EXPLICIT) || !p.nonce_len ?
			      NULL : ex);
	peer_stream(&p, &f, iv, seq);
	return 0;
}
