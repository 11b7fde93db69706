// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace on a live session: GnuTLS's handshake hook feeds each
 * message to tlsod_trace_decode(), and the outcome is printed after.
 */
#include <pthread.h>
#include <gnutls/gnutls.h>

#include "trace.h"
#include "trace_priv.h"

/*
 * GnuTLS's hook gets the session and nothing else, and the session's
 * user pointer belongs to the daemon, so the fd to print is remembered
 * here, per session.  Slots are reused round-robin; a session that lost
 * its slot to many newer ones falls back to its transport fd, the same
 * number whenever the transport was set with gnutls_transport_set_int().
 */
#define TRACE_SLOTS 64

static struct {
	gnutls_session_t session;
	int fd;
} slots[TRACE_SLOTS];
static unsigned int next_slot;
static FILE *trace_out;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

void tlsod_trace_set_output(FILE *f)
{
	pthread_mutex_lock(&trace_lock);
	trace_out = f;
	pthread_mutex_unlock(&trace_lock);
}

static FILE *output(void)
{
	FILE *f;

	pthread_mutex_lock(&trace_lock);
	f = trace_out ? trace_out : stderr;
	pthread_mutex_unlock(&trace_lock);
	return f;
}

static void remember(gnutls_session_t s, int fd)
{
	unsigned int i;

	pthread_mutex_lock(&trace_lock);
	for (i = 0; i < TRACE_SLOTS && slots[i].session != s; i++)
		;
	if (i == TRACE_SLOTS)
		i = next_slot++ % TRACE_SLOTS;
	slots[i].session = s;
	slots[i].fd = fd;
	pthread_mutex_unlock(&trace_lock);
}

static int fd_of(gnutls_session_t s)
{
	unsigned int i;
	int fd = -1;

	pthread_mutex_lock(&trace_lock);
	for (i = 0; i < TRACE_SLOTS; i++)
		if (slots[i].session == s)
			fd = slots[i].fd;
	pthread_mutex_unlock(&trace_lock);
	return fd >= 0 ? fd : gnutls_transport_get_int(s);
}

static unsigned int wire_version(gnutls_session_t s)
{
	switch (gnutls_protocol_get_version(s)) {
	case GNUTLS_SSL3:
		return 0x0300;
	case GNUTLS_TLS1_0:
		return 0x0301;
	case GNUTLS_TLS1_1:
		return 0x0302;
	case GNUTLS_TLS1_2:
		return 0x0303;
	case GNUTLS_TLS1_3:
		return TLS13_VERSION;
	case GNUTLS_DTLS1_0:
		return 0xfeff;
	case GNUTLS_DTLS1_2:
		return 0xfefd;
	default:
		return 0;
	}
}

/*
 * A received message is shown before GnuTLS acts on it (PRE), so that the
 * one that fails a handshake is seen too; a sent one after GnuTLS made it
 * (POST), since before that there is nothing to show.  Never fails the
 * handshake.
 */
static int trace_hook(gnutls_session_t s, unsigned int htype,
		      unsigned int when, unsigned int incoming,
		      const gnutls_datum_t *msg)
{
	char prefix[40];

	if (when != (incoming ? GNUTLS_HOOK_PRE : GNUTLS_HOOK_POST) || !msg)
		return 0;
	snprintf(prefix, sizeof(prefix), "fd %d: %s ", fd_of(s),
		 incoming ? "<-" : "->");
	tlsod_trace_decode(output(), prefix, htype, wire_version(s), msg->data,
			   msg->size);
	return 0;
}

int tlsod_trace_message(gnutls_session_t session, unsigned int htype,
			unsigned int when, unsigned int incoming,
			const gnutls_datum_t *msg)
{
	return trace_hook(session, htype, when, incoming, msg);
}

void tlsod_trace_handshake(gnutls_session_t session, int fd)
{
	remember(session, fd);
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, trace_hook);
}

void tlsod_trace_result(gnutls_session_t s, int fd)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(s);
	const char *suite = gnutls_ciphersuite_get(s);
	const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(s));
	const char *group = gnutls_group_get_name(gnutls_group_get(s));
	const char *version = gnutls_protocol_get_name(v);
	const char *kx = gnutls_kx_get_name(gnutls_kx_get(s));
	gnutls_datum_t alpn;
	char prefix[40], buf[300];
	struct tr t = { output(), prefix, 0, false };
	struct line l;

	snprintf(prefix, sizeof(prefix), "fd %d: == ", fd);
	flockfile(t.out);
	tlsod_line_start(&l, &t, 0, "handshake done");
	l.wrap = SIZE_MAX;	/* the outcome stays one line, for grep */
	tlsod_line_add(&l, "%s", version ? version : "unknown version");
	if (suite)
		tlsod_line_add(&l, "%s", suite);
	tlsod_line_add(&l, "cipher %s", cipher ? cipher : "unknown");
	/* in TLS 1.3 the suite has no key exchange: the group tells it */
	if (v != GNUTLS_TLS1_3 && kx)
		tlsod_line_add(&l, "key exchange %s", kx);
	tlsod_line_add(&l, "group %s", group ? group : "none");
	if (!gnutls_alpn_get_selected_protocol(s, &alpn))
		tlsod_line_add(&l, "alpn %s", tlsod_esc(buf, sizeof(buf),
							alpn.data, alpn.size));
	tlsod_line_add(&l, "%s", gnutls_session_is_resumed(s) ?
				 "resumed" : "full handshake");
	tlsod_line_end(&l);
	funlockfile(t.out);
}
