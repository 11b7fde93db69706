// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace: the names of code points, after the IANA TLS registries
 * (RFC 8446, RFC 5246 and the RFCs that filled the registries since).
 */
#include "trace_priv.h"

struct name {
	uint16_t code;
	const char *name;
};

bool tlsod_is_grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char *lookup(const struct name *tab, size_t n, uint32_t code,
			  char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].code == code)
			return tab[i].name;
	if (tlsod_is_grease(code))
		snprintf(buf, size, "GREASE(0x%04x)", code);
	else
		snprintf(buf, size, "0x%04x", code);
	return buf;
}

#define LOOKUP(tab, code, buf, size) \
	lookup(tab, ARRAY_SIZE(tab), code, buf, size)

static const struct name suites[] = {
	/* TLS 1.3, RFC 8446 B.4, RFC 8998 */
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0x00c6, "TLS_SM4_GCM_SM3" },
	{ 0x00c7, "TLS_SM4_CCM_SM3" },
	/* signalling values, RFC 5746 and RFC 7507 */
	{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x5600, "TLS_FALLBACK_SCSV" },
	/* ECDHE AEAD: RFC 5289, RFC 7251, RFC 7905 */
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ 0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ 0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ 0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	/* DHE and RSA AEAD: RFC 5288, RFC 6655, RFC 7905 */
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM" },
	{ 0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM" },
	{ 0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc09c, "TLS_RSA_WITH_AES_128_CCM" },
	{ 0xc09d, "TLS_RSA_WITH_AES_256_CCM" },
	{ 0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8" },
	/* PSK AEAD: RFC 5487, RFC 6655, RFC 7905, RFC 8442 */
	{ 0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xc0a4, "TLS_PSK_WITH_AES_128_CCM" },
	{ 0xc0a5, "TLS_PSK_WITH_AES_256_CCM" },
	{ 0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM" },
	{ 0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM" },
	{ 0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8" },
	{ 0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8" },
	{ 0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8" },
	{ 0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8" },
	{ 0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256" },
	{ 0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256" },
	/* CBC, still offered by default by many (GnuTLS's NORMAL too) */
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA" },
	{ 0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA" },
	{ 0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384" },
};

static const struct name groups[] = {
	{ 0x0013, "secp192r1" },
	{ 0x0015, "secp224r1" },
	{ 0x0016, "secp256k1" },
	{ 0x0017, "secp256r1" },
	{ 0x0018, "secp384r1" },
	{ 0x0019, "secp521r1" },
	{ 0x001a, "brainpoolP256r1" },
	{ 0x001b, "brainpoolP384r1" },
	{ 0x001c, "brainpoolP512r1" },
	{ 0x001d, "x25519" },
	{ 0x001e, "x448" },
	{ 0x001f, "brainpoolP256r1tls13" },
	{ 0x0020, "brainpoolP384r1tls13" },
	{ 0x0021, "brainpoolP512r1tls13" },
	{ 0x0022, "GC256A" },
	{ 0x0023, "GC256B" },
	{ 0x0024, "GC256C" },
	{ 0x0025, "GC256D" },
	{ 0x0026, "GC512A" },
	{ 0x0027, "GC512B" },
	{ 0x0028, "GC512C" },
	{ 0x0029, "curveSM2" },
	{ 0x0100, "ffdhe2048" },
	{ 0x0101, "ffdhe3072" },
	{ 0x0102, "ffdhe4096" },
	{ 0x0103, "ffdhe6144" },
	{ 0x0104, "ffdhe8192" },
	{ 0x0200, "MLKEM512" },
	{ 0x0201, "MLKEM768" },
	{ 0x0202, "MLKEM1024" },
	{ 0x11eb, "SecP256r1MLKEM768" },
	{ 0x11ec, "X25519MLKEM768" },
	{ 0x11ed, "SecP384r1MLKEM1024" },
	{ 0x6399, "X25519Kyber768Draft00" },
};

static const struct name schemes[] = {
	{ 0x0201, "rsa_pkcs1_sha1" },
	{ 0x0203, "ecdsa_sha1" },
	{ 0x0401, "rsa_pkcs1_sha256" },
	{ 0x0403, "ecdsa_secp256r1_sha256" },
	{ 0x0501, "rsa_pkcs1_sha384" },
	{ 0x0503, "ecdsa_secp384r1_sha384" },
	{ 0x0601, "rsa_pkcs1_sha512" },
	{ 0x0603, "ecdsa_secp521r1_sha512" },
	{ 0x0708, "sm2sig_sm3" },
	{ 0x0709, "gostr34102012_256a" },
	{ 0x070a, "gostr34102012_256b" },
	{ 0x070b, "gostr34102012_256c" },
	{ 0x070c, "gostr34102012_256d" },
	{ 0x070d, "gostr34102012_512a" },
	{ 0x070e, "gostr34102012_512b" },
	{ 0x070f, "gostr34102012_512c" },
	{ 0x0804, "rsa_pss_rsae_sha256" },
	{ 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" },
	{ 0x0807, "ed25519" },
	{ 0x0808, "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256" },
	{ 0x080a, "rsa_pss_pss_sha384" },
	{ 0x080b, "rsa_pss_pss_sha512" },
	{ 0x081a, "ecdsa_brainpoolP256r1tls13_sha256" },
	{ 0x081b, "ecdsa_brainpoolP384r1tls13_sha384" },
	{ 0x081c, "ecdsa_brainpoolP512r1tls13_sha512" },
	{ 0x0904, "mldsa44" },
	{ 0x0905, "mldsa65" },
	{ 0x0906, "mldsa87" },
	/* TLS 1.2 GOST, RFC 9189 */
	{ 0xeded, "gostr34102001" },
	{ 0xeeee, "gostr34102012_256" },
	{ 0xefef, "gostr34102012_512" },
};

const char *tlsod_suite_name(uint32_t v, char *buf, size_t size)
{
	return LOOKUP(suites, v, buf, size);
}

const char *tlsod_group_name(uint32_t v, char *buf, size_t size)
{
	return LOOKUP(groups, v, buf, size);
}

/* TLS 1.2's SignatureAndHashAlgorithm pairs (RFC 5246 7.4.1.4.1) that no
 * TLS 1.3 scheme took over are named after their two halves. */
const char *tlsod_scheme_name(uint32_t v, char *buf, size_t size)
{
	static const char *const hash[] = {
		NULL, "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
	};
	static const char *const sig[] = { NULL, "rsa", "dsa", "ecdsa" };
	const char *s = LOOKUP(schemes, v, buf, size);
	uint32_t h = v >> 8, a = v & 0xff;

	if (s != buf || !h || h >= ARRAY_SIZE(hash) || !a ||
	    a >= ARRAY_SIZE(sig))
		return s;
	snprintf(buf, size, "%s_%s", sig[a], hash[h]);
	return buf;
}

const char *tlsod_version_name(uint32_t v, char *buf, size_t size)
{
	static const struct name tab[] = {
		{ 0x0300, "SSL 3.0" },
		{ 0x0301, "TLS 1.0" },
		{ 0x0302, "TLS 1.1" },
		{ 0x0303, "TLS 1.2" },
		{ 0x0304, "TLS 1.3" },
		{ 0xfeff, "DTLS 1.0" },
		{ 0xfefd, "DTLS 1.2" },
		{ 0xfefc, "DTLS 1.3" },
	};

	/* what TLS 1.3 implementations sent before the RFC */
	if ((v & 0xff00) == 0x7f00) {
		snprintf(buf, size, "TLS 1.3 draft %u", v & 0xff);
		return buf;
	}
	return LOOKUP(tab, v, buf, size);
}

/* One-byte code points: a table indexed by the code. */
static const char *small_name(const char *const *tab, size_t n, uint32_t v,
			      char *buf, size_t size)
{
	if (v < n && tab[v])
		return tab[v];
	snprintf(buf, size, "%u", v);
	return buf;
}

#define SMALL(tab, v, buf, size) small_name(tab, ARRAY_SIZE(tab), v, buf, size)

const char *tlsod_compression_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { "null", "DEFLATE" };

	return SMALL(tab, v, buf, size);
}

const char *tlsod_point_format_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = {
		"uncompressed", "ansiX962_compressed_prime",
		"ansiX962_compressed_char2",
	};

	return SMALL(tab, v, buf, size);
}

const char *tlsod_psk_mode_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { "psk_ke", "psk_dhe_ke" };

	return SMALL(tab, v, buf, size);
}

const char *tlsod_cert_type_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { "X.509", "OpenPGP", "RawPublicKey" };

	return SMALL(tab, v, buf, size);
}

const char *tlsod_cert_compression_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { NULL, "zlib", "brotli", "zstd" };

	return SMALL(tab, v, buf, size);
}

const char *tlsod_client_cert_type_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = {
		[1] = "rsa_sign", [2] = "dss_sign", [3] = "rsa_fixed_dh",
		[4] = "dss_fixed_dh", [5] = "rsa_ephemeral_dh",
		[6] = "dss_ephemeral_dh", [20] = "fortezza_dms",
		[64] = "ecdsa_sign", [65] = "rsa_fixed_ecdh",
		[66] = "ecdsa_fixed_ecdh",
	};

	return SMALL(tab, v, buf, size);
}

bool tlsod_codes(struct line *l, struct rd *r, size_t width, size_t cw,
		 name_fn *name)
{
	struct rd v;
	bool whole = tlsod_rd_vec(r, width, &v);
	char buf[48];
	uint32_t c;

	while (tlsod_rd_uint(&v, cw, &c))
		tlsod_line_add(l, "%s", name(c, buf, sizeof(buf)));
	return whole && !v.n;
}

bool tlsod_code_line(struct tr *t, const char *label, struct rd *r,
		     size_t width, size_t cw, name_fn *name)
{
	struct line l;
	bool ok;

	tlsod_line_start(&l, t, IND, "%s", label);
	ok = tlsod_codes(&l, r, width, cw, name);
	if (!ok)
		tlsod_line_cut(&l);
	tlsod_line_end(&l);
	return ok;
}
