// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace: the extensions, by the registry's numbers, each on a
 * line of its own.
 */
#include "trace_priv.h"

/* Each shows a non-empty extension body on its line; false when the
 * data ran out. */
typedef bool ext_fn(struct line *l, struct rd *r, enum ctx c);

static bool x_len(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	tlsod_line_add(l, "%zu bytes", r->n);
	tlsod_rd_skip_all(r);
	return true;
}

static bool x_server_name(struct line *l, struct rd *r, enum ctx c)
{
	struct rd list, name;
	bool whole;
	char buf[300];
	uint32_t type;

	if (c != C_CH)
		return x_len(l, r, c);
	whole = tlsod_rd_vec(r, 2, &list);
	while (list.n) {
		if (!tlsod_rd_uint(&list, 1, &type) ||
		    !tlsod_rd_vec(&list, 2, &name))
			return false;
		if (type == 0)
			tlsod_line_add(l, "%s", tlsod_esc(buf, sizeof(buf),
							  name.p, name.n));
		else
			tlsod_line_add(l, "name type %u, %zu bytes", type,
				       name.n);
	}
	return whole;
}

static bool x_max_fragment(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	(void)c;
	if (!tlsod_rd_uint(r, 1, &v))
		return false;
	if (v >= 1 && v <= 4)
		tlsod_line_add(l, "%u bytes", 256u << v);
	else
		tlsod_line_add(l, "code %u", v);
	return true;
}

static bool x_status_request(struct line *l, struct rd *r, enum ctx c)
{
	struct rd v;
	uint32_t type;
	bool ok;

	if (!tlsod_rd_uint(r, 1, &type))
		return false;
	/* TLS 1.3 carries the OCSP response in the certificate's entry */
	if (c == C_CERT) {
		ok = tlsod_rd_vec(r, 3, &v);
		tlsod_line_add(l, "%s response %zu bytes",
			       type == 1 ? "OCSP" : "unknown", v.n);
		return ok;
	}
	if (type == 1)
		tlsod_line_add(l, "OCSP");
	else
		tlsod_line_add(l, "status type %u", type);
	/* responder ids, then request extensions */
	return tlsod_rd_vec(r, 2, &v) && tlsod_rd_vec(r, 2, &v);
}

static bool x_groups(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return tlsod_codes(l, r, 2, 2, tlsod_group_name);
}

static bool x_point_formats(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return tlsod_codes(l, r, 1, 1, tlsod_point_format_name);
}

static bool x_schemes(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return tlsod_codes(l, r, 2, 2, tlsod_scheme_name);
}

static bool x_heartbeat(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	(void)c;
	if (!tlsod_rd_uint(r, 1, &v))
		return false;
	if (v == 1 || v == 2)
		tlsod_line_add(l, "%s", v == 1 ? "peer_allowed_to_send" :
						 "peer_not_allowed_to_send");
	else
		tlsod_line_add(l, "mode %u", v);
	return true;
}

static bool x_alpn(struct line *l, struct rd *r, enum ctx c)
{
	struct rd list, proto;
	bool whole = tlsod_rd_vec(r, 2, &list);
	char buf[300];

	(void)c;
	while (list.n) {
		if (!tlsod_rd_vec(&list, 1, &proto))
			return false;
		tlsod_line_add(l, "%s", tlsod_esc(buf, sizeof(buf), proto.p,
						  proto.n));
	}
	return whole;
}

/* A list of cw-byte code points from the client, the one it took from
 * the server. */
static bool offer(struct line *l, struct rd *r, enum ctx c, size_t cw,
		  name_fn *name, const char *took)
{
	char buf[48];
	uint32_t v;

	if (c == C_CH)
		return tlsod_codes(l, r, 1, cw, name);
	if (!tlsod_rd_uint(r, cw, &v))
		return false;
	tlsod_line_add(l, "%s%s", took, name(v, buf, sizeof(buf)));
	return true;
}

/* RFC 7250: the client lists what it takes, the server names one. */
static bool x_cert_type(struct line *l, struct rd *r, enum ctx c)
{
	return offer(l, r, c, 1, tlsod_cert_type_name, "");
}

static bool x_cert_compression(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return tlsod_codes(l, r, 1, 2, tlsod_cert_compression_name);
}

static bool x_u16(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	(void)c;
	if (!tlsod_rd_uint(r, 2, &v))
		return false;
	tlsod_line_add(l, "%u", v);
	return true;
}

/* RFC 5077 3.2: the client's ticket is the server's own sealed state,
 * opaque to all but it; only its size tells anything here. */
static bool x_session_ticket(struct line *l, struct rd *r, enum ctx c)
{
	/* the server's is always empty: leave any body as unexpected */
	if (c == C_SH)
		return true;
	if (c != C_CH)
		return x_len(l, r, c);
	tlsod_line_add(l, "ticket %zu bytes (offered to resume)", r->n);
	tlsod_rd_skip_all(r);
	return true;
}

static bool psk_identities(struct line *l, struct rd *r)
{
	struct rd ids, id, copy;
	unsigned int n = 0;
	uint32_t age;
	bool whole = tlsod_rd_vec(r, 2, &ids);

	copy = ids;
	while (tlsod_rd_vec(&copy, 2, &id) && tlsod_rd_uint(&copy, 4, &age))
		n++;
	tlsod_line_add(l, "%u identit%s", n, n == 1 ? "y" : "ies");
	while (ids.n) {
		if (!tlsod_rd_vec(&ids, 2, &id) ||
		    !tlsod_rd_uint(&ids, 4, &age))
			return false;
		tlsod_line_add(l, "%zu bytes with obfuscated age 0x%08x",
			       id.n, age);
	}
	return whole;
}

/* One binder per identity, in the same order: an HMAC as long as its
 * PSK's hash, which tells SHA-256 (32) from SHA-384 (48) suites. */
static bool psk_binders(struct line *l, struct rd *r)
{
	struct rd binders, b, copy;
	unsigned int n = 0;
	bool whole = tlsod_rd_vec(r, 2, &binders);

	copy = binders;
	while (tlsod_rd_vec(&copy, 1, &b))
		n++;
	tlsod_line_add(l, "%u binder%s", n, n == 1 ? "" : "s");
	while (binders.n) {
		if (!tlsod_rd_vec(&binders, 1, &b))
			return false;
		tlsod_line_add(l, "%zu bytes", b.n);
	}
	return whole;
}

/* RFC 8446 4.2.11: what the client offers to resume with, and which of
 * them the server took. */
static bool x_pre_shared_key(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t sel;

	if (c == C_SH) {
		if (!tlsod_rd_uint(r, 2, &sel))
			return false;
		tlsod_line_add(l, "selected identity %u", sel);
		return true;
	}
	if (c != C_CH)
		return x_len(l, r, c);
	return psk_identities(l, r) && psk_binders(l, r);
}

/* RFC 8446 4.2.10: a flag in the hellos (see empty_exts), a limit in
 * a ticket. */
static bool x_early_data(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	/* must be empty: what is there is left to show as unexpected */
	if (c == C_CH || c == C_EE)
		return true;
	if (c != C_NST)
		return x_len(l, r, c);
	if (!tlsod_rd_uint(r, 4, &v))
		return false;
	tlsod_line_add(l, "max_early_data_size %u", v);
	return true;
}

static bool x_versions(struct line *l, struct rd *r, enum ctx c)
{
	return offer(l, r, c, 2, tlsod_version_name, "selected ");
}

static bool x_vec16_len(struct line *l, struct rd *r, enum ctx c)
{
	struct rd v;
	bool whole = tlsod_rd_vec(r, 2, &v);

	(void)c;
	tlsod_line_add(l, "%zu bytes", v.n);
	return whole;
}

static bool x_psk_modes(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return tlsod_codes(l, r, 1, 1, tlsod_psk_mode_name);
}

static bool x_cas(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return tlsod_dn_list(l, r);
}

static bool key_share_entry(struct line *l, struct rd *r)
{
	struct rd key;
	char buf[48];
	uint32_t g;

	if (!tlsod_rd_uint(r, 2, &g) || !tlsod_rd_vec(r, 2, &key))
		return false;
	tlsod_line_add(l, "%s (%zu bytes)",
		       tlsod_group_name(g, buf, sizeof(buf)), key.n);
	return true;
}

/* RFC 8446 4.2.8: a list from the client, the one taken from the server,
 * and in a HelloRetryRequest only the group the server wants. */
static bool x_key_share(struct line *l, struct rd *r, enum ctx c)
{
	struct rd list;
	char buf[48];
	uint32_t g;
	bool whole;

	if (c == C_SH)
		return key_share_entry(l, r);
	if (c == C_HRR) {
		if (!tlsod_rd_uint(r, 2, &g))
			return false;
		tlsod_line_add(l, "wants %s",
			       tlsod_group_name(g, buf, sizeof(buf)));
		return true;
	}
	if (c != C_CH)
		return x_len(l, r, c);
	whole = tlsod_rd_vec(r, 2, &list);
	while (list.n)
		if (!key_share_entry(l, &list))
			return false;
	return whole;
}

static bool x_renegotiation(struct line *l, struct rd *r, enum ctx c)
{
	struct rd v;
	bool whole = tlsod_rd_vec(r, 1, &v);

	(void)c;
	if (v.n)
		tlsod_line_add(l, "%zu bytes of verify_data (renegotiating)",
			       v.n);
	else if (whole)
		tlsod_line_add(l, "empty (initial handshake)");
	return whole;
}

static const struct ext {
	uint16_t type;
	const char *name;
	ext_fn *show;
} exts[] = {
	{ 0, "server_name", x_server_name },
	{ 1, "max_fragment_length", x_max_fragment },
	{ 2, "client_certificate_url", NULL },
	{ 3, "trusted_ca_keys", NULL },
	{ 4, "truncated_hmac", NULL },
	{ 5, "status_request", x_status_request },
	{ 6, "user_mapping", NULL },
	{ 7, "client_authz", NULL },
	{ 8, "server_authz", NULL },
	{ 9, "cert_type", NULL },
	{ 10, "supported_groups", x_groups },
	{ 11, "ec_point_formats", x_point_formats },
	{ 12, "srp", NULL },
	{ 13, "signature_algorithms", x_schemes },
	{ 14, "use_srtp", NULL },
	{ 15, "heartbeat", x_heartbeat },
	{ 16, "alpn", x_alpn },
	{ 17, "status_request_v2", NULL },
	{ 18, "signed_certificate_timestamp", NULL },
	{ 19, "client_certificate_type", x_cert_type },
	{ 20, "server_certificate_type", x_cert_type },
	{ 21, "padding", NULL },
	{ 22, "encrypt_then_mac", NULL },
	{ 23, "extended_master_secret", NULL },
	{ 24, "token_binding", NULL },
	{ 25, "cached_info", NULL },
	{ 26, "tls_lts", NULL },
	{ 27, "compress_certificate", x_cert_compression },
	{ 28, "record_size_limit", x_u16 },
	{ 29, "pwd_protect", NULL },
	{ 30, "pwd_clear", NULL },
	{ 31, "password_salt", NULL },
	{ 32, "ticket_pinning", NULL },
	{ 33, "tls_cert_with_extern_psk", NULL },
	{ 34, "delegated_credential", NULL },
	{ 35, "session_ticket", x_session_ticket },
	{ 36, "TLMSP", NULL },
	{ 37, "TLMSP_proxying", NULL },
	{ 38, "TLMSP_delegate", NULL },
	{ 39, "supported_ekt_ciphers", NULL },
	{ 41, "pre_shared_key", x_pre_shared_key },
	{ 42, "early_data", x_early_data },
	{ 43, "supported_versions", x_versions },
	{ 44, "cookie", x_vec16_len },
	{ 45, "psk_key_exchange_modes", x_psk_modes },
	{ 47, "certificate_authorities", x_cas },
	{ 48, "oid_filters", NULL },
	{ 49, "post_handshake_auth", NULL },
	{ 50, "signature_algorithms_cert", x_schemes },
	{ 51, "key_share", x_key_share },
	{ 52, "transparency_info", NULL },
	{ 53, "connection_id_deprecated", NULL },
	{ 54, "connection_id", NULL },
	{ 55, "external_id_hash", NULL },
	{ 56, "external_session_id", NULL },
	{ 57, "quic_transport_parameters", NULL },
	{ 58, "ticket_request", NULL },
	{ 59, "dnssec_chain", NULL },
	{ 0xfe0d, "encrypted_client_hello", NULL },
	{ 0xff01, "renegotiation_info", x_renegotiation },
};

/* Extensions whose empty body means something the name alone does not
 * say, in the message it is in.  Resumption hinges on these, so the
 * trace spells them out. */
static const struct empty_ext {
	uint16_t type;
	enum ctx c;
	const char *means;
} empty_exts[] = {
	{ 35, C_CH, "asking for a ticket" },
	{ 35, C_SH, "a NewSessionTicket will follow" },
	{ 42, C_CH, "early data follows" },
	{ 42, C_EE, "early data accepted" },
};

static void show_empty(struct line *l, uint32_t type, enum ctx c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(empty_exts); i++)
		if (empty_exts[i].type == type && empty_exts[i].c == c)
			tlsod_line_add(l, "empty (%s)", empty_exts[i].means);
}

static const struct ext *find_ext(uint32_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exts); i++)
		if (exts[i].type == type)
			return &exts[i];
	return NULL;
}

static const char *ext_name(uint32_t type, char *buf, size_t size)
{
	const struct ext *e = find_ext(type);

	if (e)
		return e->name;
	if (tlsod_is_grease(type))
		snprintf(buf, size, "GREASE(0x%04x)", type);
	else
		snprintf(buf, size, "%u (unknown)", type);
	return buf;
}

/* One extension on one line; false when it was cut short. */
static bool show_ext(struct tr *t, int indent, uint32_t type,
		     struct rd *body, bool whole, enum ctx c)
{
	const struct ext *e = find_ext(type);
	ext_fn *show = e && e->show ? e->show : x_len;
	struct line l;
	char buf[32];
	bool ok = true;

	tlsod_line_start(&l, t, indent, "extension %s",
			 ext_name(type, buf, sizeof(buf)));
	if (body->n)
		ok = show(&l, body, c);
	else if (whole)
		show_empty(&l, type, c);
	if (!ok || !whole)
		tlsod_line_cut(&l);
	else if (body->n)
		tlsod_line_extra(&l, body->n);
	tlsod_line_end(&l);
	return ok && whole;
}

bool tlsod_show_exts(struct tr *t, struct rd *r, enum ctx c, int indent,
		     unsigned int flags)
{
	struct rd all, body;
	bool whole, ok = true;
	uint32_t type;

	if ((flags & EXT_OPTIONAL) && !r->n) {
		tlsod_say(t, indent, "no extensions");
		return true;
	}
	whole = tlsod_rd_vec(r, 2, &all);
	if (whole && !all.n && !(flags & EXT_QUIET))
		tlsod_say(t, indent, "no extensions");
	while (ok && all.n) {
		if (!tlsod_rd_uint(&all, 2, &type)) {
			tlsod_say(t, indent, "extension (truncated)");
			t->bad = true;
			return false;
		}
		ok = tlsod_rd_vec(&all, 2, &body);
		ok = show_ext(t, indent, type, &body, ok, c);
	}
	if (ok && !whole) {
		tlsod_say(t, indent, "extensions (truncated)");
		t->bad = true;
	}
	return ok && whole;
}
