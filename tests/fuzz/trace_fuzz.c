// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target "trace": tlsod --trace's decoder of handshake
 * messages (userspace/tlsod/trace_*.c), fed what a peer sends.
 *
 * The first byte says how to read the rest:
 *
 *   bits 0-1  the session's version: TLS 1.2, TLS 1.3, not known yet,
 *             or two more bytes as it is on the wire
 *   bit 2     the message was received ("<-"), else sent ("->")
 *   bit 3     the rest is TLS records; else handshake messages
 *   bit 4     through the GnuTLS hook (tlsod_trace_message()), as tlsod
 *             runs it; else tlsod_trace_decode() directly
 *
 * Messages are a type byte, a 24-bit length and the body, as on the
 * wire, cut where the input ends; types 252 and 253 stand for GnuTLS's
 * own HelloRetryRequest and SSLv2 ClientHello.  Records are as a peer
 * sends them: handshake records are joined and split into messages,
 * ChangeCipherSpec is shown as GnuTLS shows it, and in TLS 1.3 an
 * application_data record is taken as already opened (content, type,
 * zero padding: RFC 8446 5.2), which is what the hook sees of the
 * encrypted flight.  An SSLv2 hello may open the stream.
 *
 * Each message is decoded from a heap copy of exactly its size.  The
 * decoder must return 0 or -1, and print whole lines, each under the
 * prefix, of printable ASCII alone: the peer's bytes must never reach
 * the log unescaped.
 */
#include <stdbool.h>
#include <gnutls/gnutls.h>

#include "fuzz.h"
#include "trace.h"

#define F_VERSION(f)	((f) & 3)
#define F_INCOMING	0x04
#define F_RECORDS	0x08
#define F_HOOK		0x10

#define T_HRR		252
#define T_V2_HELLO	253

#define REC_HANDSHAKE	22
#define REC_CCS		20
#define REC_DATA	23
#define TLS13		0x0304

#define FD		5

/* The trace's output, kept in memory by a stream of our own. */
static char *out;
static size_t out_len, out_size;
static FILE *sink;
static gnutls_session_t hook_session;

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	if (out_len + n > out_size) {
		out_size = (out_len + n) * 2;
		out = realloc(out, out_size);
		if (!out)
			abort();
	}
	memcpy(out + out_len, buf, n);
	out_len += n;
	return (ssize_t)n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const cookie_io_functions_t io = { .write = sink_write };

	(void)argc;
	(void)argv;
	sink = fopencookie(NULL, "w", io);
	if (!sink)
		abort();
	/* the hook's printing is under the prefix, not the stream's buffer */
	setvbuf(sink, NULL, _IOFBF, 1 << 16);
	tlsod_trace_set_output(sink);
	/* one session for the life of the run: GnuTLS's setup is not the
	 * decoder's, and would only slow each input down */
	if (gnutls_init(&hook_session, GNUTLS_CLIENT) < 0)
		abort();
	tlsod_trace_handshake(hook_session, FD);
	return 0;
}

/*
 * What the decoder printed for one message: whole lines, all escaped.
 * Outside libFuzzer's coverage: a comparison hook on each byte of the
 * trace took a sixth of the time, and steers nothing.
 */
__attribute__((no_sanitize("coverage")))
static void check_output(const char *prefix, unsigned int htype, size_t len)
{
	size_t plen = strlen(prefix), i;
	bool line_start = true;

	fflush(sink);
	FUZZ_CHECK(out_len > 0, "nothing for type %u, %zu bytes", htype, len);
	FUZZ_CHECK(out[out_len - 1] == '\n', "last line of type %u unended",
		   htype);
	for (i = 0; i < out_len; i++) {
		if (line_start) {
			FUZZ_CHECK(out_len - i >= plen &&
				   !memcmp(out + i, prefix, plen),
				   "a line without the prefix at %zu: %.40s",
				   i, out + i);
			line_start = false;
		}
		if (out[i] == '\n') {
			line_start = true;
			continue;
		}
		FUZZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f,
			   "byte %#x at %zu of the trace of type %u",
			   (unsigned char)out[i], i, htype);
	}
	out_len = 0;
}

struct run {
	unsigned int flags;
	unsigned int version;
	const char *prefix;
};

static void show(const struct run *r, unsigned int htype,
		 const uint8_t *msg, size_t len)
{
	uint8_t *copy = fz_dup(msg, len);
	bool in = r->flags & F_INCOMING;
	int ret;

	if (r->flags & F_HOOK) {
		gnutls_datum_t d = { copy, (unsigned int)len };

		/* the hook shows a message once: as received, or as sent */
		ret = tlsod_trace_message(hook_session, htype,
					  in ? GNUTLS_HOOK_POST :
					       GNUTLS_HOOK_PRE, in, &d);
		fflush(sink);
		FUZZ_CHECK(ret == 0 && out_len == 0,
			   "hook at the wrong time: %d, %zu bytes", ret,
			   out_len);
		ret = tlsod_trace_message(hook_session, htype,
					  in ? GNUTLS_HOOK_PRE :
					       GNUTLS_HOOK_POST, in, &d);
		FUZZ_CHECK(ret == 0, "hook returned %d", ret);
	} else {
		ret = tlsod_trace_decode(sink, r->prefix, htype, r->version,
					 copy, len);
		FUZZ_CHECK(ret == 0 || ret == -1, "decode returned %d", ret);
	}
	free(copy);
	check_output(r->prefix, htype, len);
}

static unsigned int htype_of(unsigned int t)
{
	if (t == T_HRR)
		return GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST;
	if (t == T_V2_HELLO)
		return GNUTLS_HANDSHAKE_CLIENT_HELLO_V2;
	return t;
}

static void messages(const struct run *r, struct fz *f)
{
	unsigned int t;
	size_t len;

	while (f->n) {
		t = htype_of(fz_uint(f, 1));
		len = fz_uint(f, 3);
		if (len > f->n)
			len = f->n;
		show(r, t, f->p, len);
		f->p += len;
		f->n -= len;
	}
}

/* Handshake bytes of a record stream, joined until messages are whole. */
struct hs {
	uint8_t *buf;
	size_t len, size;
};

static void hs_add(struct hs *h, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	if (h->len + n > h->size) {
		h->size = h->len + n + 256;
		h->buf = realloc(h->buf, h->size);
		if (!h->buf)
			abort();
	}
	memcpy(h->buf + h->len, p, n);
	h->len += n;
}

/* Every whole message; at the end (last) a cut one as it stands. */
static void hs_flush(const struct run *r, struct hs *h, bool last)
{
	size_t off = 0, len;

	while (h->len - off >= 4) {
		len = (size_t)h->buf[off + 1] << 16 |
		      (size_t)h->buf[off + 2] << 8 | h->buf[off + 3];
		if (h->len - off - 4 < len) {
			if (!last)
				break;
			len = h->len - off - 4;
		}
		show(r, h->buf[off], h->buf + off + 4, len);
		off += 4 + len;
	}
	if (off) {
		memmove(h->buf, h->buf + off, h->len - off);
		h->len -= off;
	}
}

/* RFC 8446 5.4: the real type is the last byte that is not padding. */
static bool inner_plaintext(const uint8_t *p, size_t *n, unsigned int *type)
{
	while (*n && !p[*n - 1])
		(*n)--;
	if (!*n)
		return false;
	*type = p[--(*n)];
	return true;
}

static void records(const struct run *r, struct fz *f)
{
	struct hs h = { NULL, 0, 0 };
	size_t len, reclen;
	unsigned int type;

	/* RFC 5246 E.2: a two-byte header with the top bit set */
	if (f->n >= 2 && (f->p[0] & 0x80)) {
		len = fz_uint(f, 2) & 0x7fff;
		if (len > f->n)
			len = f->n;
		show(r, GNUTLS_HANDSHAKE_CLIENT_HELLO_V2, f->p, len);
		f->p += len;
		f->n -= len;
	}
	while (f->n >= 5) {
		type = fz_uint(f, 1);
		fz_uint(f, 2);		/* legacy_record_version */
		reclen = fz_uint(f, 2);
		if (reclen > f->n)
			reclen = f->n;
		len = reclen;
		if (type == REC_DATA && r->version == TLS13 &&
		    !inner_plaintext(f->p, &len, &type))
			type = 0;
		if (type == REC_HANDSHAKE) {
			hs_add(&h, f->p, len);
			hs_flush(r, &h, false);
		} else if (type == REC_CCS) {
			show(r, GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC, f->p,
			     len);
		}
		f->p += reclen;
		f->n -= reclen;
	}
	hs_flush(r, &h, true);
	free(h.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int versions[] = { 0x0303, TLS13, 0 };
	struct fz f = { data, size };
	struct run r;

	if (!size)
		return 0;
	r.flags = fz_uint(&f, 1);
	r.version = F_VERSION(r.flags) < 3 ? versions[F_VERSION(r.flags)] :
					     fz_uint(&f, 2);
	r.prefix = r.flags & F_INCOMING ? "fd 5: <- " : "fd 5: -> ";
	if (r.flags & F_RECORDS)
		records(&r, &f);
	else
		messages(&r, &f);
	return 0;
}
