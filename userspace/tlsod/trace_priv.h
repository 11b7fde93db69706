/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decoder behind tlsod_trace_decode() (trace.h), shared between its
 * files: the reader (trace_reader.c), the printer (trace_printer.c), the
 * names of code points (trace_names.c), the extensions (trace_ext.c),
 * the certificate messages (trace_cert.c) and the others (trace_msg.c).
 * trace_hook.c, the GnuTLS side, prints with the printer too.
 *
 * Every field is read through a bounds-checked reader (struct rd): a peer
 * can send anything, and a message may be cut anywhere, so nothing is
 * ever read that the reader has not first checked is there.
 */
#ifndef TLSOD_TRACE_PRIV_H
#define TLSOD_TRACE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TLS13_VERSION	0x0304
#define IND		4	/* a message's fields */
#define IND2		6	/* what belongs to one of them */

/* ---- reading ---- */

struct rd {
	const unsigned char *p;
	size_t n;		/* bytes left */
};

/* A big-endian integer of width bytes. */
bool tlsod_rd_uint(struct rd *r, size_t width, uint32_t *v);
bool tlsod_rd_take(struct rd *r, size_t len, struct rd *sub);
void tlsod_rd_skip_all(struct rd *r);

/*
 * A vector with a length prefix of width bytes.  One that is cut short
 * still gives what did arrive, so that it can be shown; false says it
 * was cut, and then r is used up.
 */
bool tlsod_rd_vec(struct rd *r, size_t width, struct rd *sub);

/* ---- printing ---- */

/* One message being printed. */
struct tr {
	FILE *out;
	const char *prefix;
	unsigned int version;
	bool bad;		/* truncated or malformed */
};

/* A line of "label: item, item, ...", wrapped when it gets long. */
struct line {
	struct tr *t;
	int indent;
	size_t col;
	size_t wrap;		/* column to wrap past */
	unsigned int items;
};

void tlsod_line_start(struct line *l, struct tr *t, int indent,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tlsod_line_add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tlsod_line_end(struct line *l);
/* The data ran out: say so where it happened. */
void tlsod_line_cut(struct line *l);
void tlsod_line_extra(struct line *l, size_t n);

/* A line of its own. */
void tlsod_say(struct tr *t, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For the fields a message cannot go on without. */
bool tlsod_need(struct tr *t, bool ok, const char *what);

/* Up to max bytes as hex, "..." after them when there were more. */
const char *tlsod_hex(char *buf, size_t size, const struct rd *r,
		      size_t max);
/* tlsod_esc(), log.h: strings from the peer may be anything. */

/* ---- names ---- */

/* The name of a code point; buf holds it when it has none of its own. */
typedef const char *name_fn(uint32_t code, char *buf, size_t size);

/* RFC 8701: 0x0a0a, 0x1a1a ... 0xfafa are sent only to keep peers honest
 * about ignoring what they do not know. */
bool tlsod_is_grease(uint32_t v);

const char *tlsod_suite_name(uint32_t v, char *buf, size_t size);
const char *tlsod_group_name(uint32_t v, char *buf, size_t size);
const char *tlsod_scheme_name(uint32_t v, char *buf, size_t size);
const char *tlsod_version_name(uint32_t v, char *buf, size_t size);
const char *tlsod_compression_name(uint32_t v, char *buf, size_t size);
const char *tlsod_point_format_name(uint32_t v, char *buf, size_t size);
const char *tlsod_psk_mode_name(uint32_t v, char *buf, size_t size);
const char *tlsod_cert_type_name(uint32_t v, char *buf, size_t size);
const char *tlsod_cert_compression_name(uint32_t v, char *buf, size_t size);
/* TLS 1.2 CertificateRequest's ClientCertificateType. */
const char *tlsod_client_cert_type_name(uint32_t v, char *buf, size_t size);

/* A vector, of a width-byte length, of cw-byte code points, on l. */
bool tlsod_codes(struct line *l, struct rd *r, size_t width, size_t cw,
		 name_fn *name);
/* The same on a line of its own, after label. */
bool tlsod_code_line(struct tr *t, const char *label, struct rd *r,
		     size_t width, size_t cw, name_fn *name);

/* ---- extensions ---- */

/* The message an extension block is in. */
enum ctx { C_CH, C_SH, C_HRR, C_EE, C_CERT, C_CR, C_NST };

enum {
	EXT_OPTIONAL = 1,	/* the block may be absent (RFC 5246 7.4.1.2) */
	EXT_QUIET = 2,		/* say nothing when there are none */
};

/* A block of extensions, one a line; false when it was cut short. */
bool tlsod_show_exts(struct tr *t, struct rd *r, enum ctx c, int indent,
		     unsigned int flags);

/* ---- certificates ---- */

/* A vector of DistinguishedNames, on l. */
bool tlsod_dn_list(struct line *l, struct rd *r);

void tlsod_show_certificate(struct tr *t, struct rd *r);
void tlsod_show_cert_request(struct tr *t, struct rd *r);
void tlsod_show_cert_verify(struct tr *t, struct rd *r);
void tlsod_show_cert_status(struct tr *t, struct rd *r);
void tlsod_show_compressed_cert(struct tr *t, struct rd *r);

#endif /* TLSOD_TRACE_PRIV_H */
