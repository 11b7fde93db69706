// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of userspace/tlsod/errors.c against tlsod(8), ERRORS:
 * the errno an application gets for each GnuTLS error code and each
 * alert the page names, and for the cases it describes in words.
 *
 * The page's rows are written out below, each code and alert under the
 * errno the page gives it; page_and_tables_agree reads the page and
 * checks that it names exactly these, under the same errnos, so that the
 * code, these tables and the page cannot drift apart.  Run it from the
 * top of the tree, where the page is.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <gnutls/gnutls.h>

#include "harness.h"
#include "errors.h"

#define MAN_PAGE	"userspace/man/tlsod.8"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A GnuTLS error code or alert, and the errno the page gives it. */
struct row {
	const char *name;
	int value;
	uint32_t want;
};

/* The name and the value from one token, so that they cannot differ. */
#define ROW(x, want)	{ #x, x, want }

/* Whatever the rest: every role, before the server's answer or after. */
static const struct row codes[] = {
	ROW(GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR, EACCES),
	ROW(GNUTLS_E_CERTIFICATE_ERROR, EACCES),
	ROW(GNUTLS_E_PK_SIG_VERIFY_FAILED, EACCES),
	ROW(GNUTLS_E_KEY_USAGE_VIOLATION, EACCES),
	ROW(GNUTLS_E_SESSION_USER_ID_CHANGED, EACCES),
	ROW(GNUTLS_E_RECEIVED_DISALLOWED_NAME, EACCES),
	ROW(GNUTLS_E_NO_CERTIFICATE_FOUND, EACCES),
	ROW(GNUTLS_E_CERTIFICATE_REQUIRED, EACCES),
	ROW(GNUTLS_E_SRP_PWD_ERROR, EACCES),
	ROW(GNUTLS_E_TIMEDOUT, ETIMEDOUT),
	ROW(GNUTLS_E_PREMATURE_TERMINATION, ECONNRESET),
	ROW(GNUTLS_E_SESSION_EOF, ECONNRESET),
	ROW(GNUTLS_E_NO_CIPHER_SUITES, EPROTO),
	ROW(GNUTLS_E_UNSUPPORTED_VERSION_PACKET, EPROTO),
	ROW(GNUTLS_E_INSUFFICIENT_CREDENTIALS, EPROTO),
	ROW(GNUTLS_E_INSUFFICIENT_SECURITY, EPROTO),
	ROW(GNUTLS_E_NO_COMMON_KEY_SHARE, EPROTO),
	ROW(GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM, EPROTO),
	ROW(GNUTLS_E_ECC_UNSUPPORTED_CURVE, EPROTO),
	ROW(GNUTLS_E_DH_PRIME_UNACCEPTABLE, EPROTO),
	ROW(GNUTLS_E_INAPPROPRIATE_FALLBACK, EPROTO),
	ROW(GNUTLS_E_NO_APPLICATION_PROTOCOL, EPROTO),
	ROW(GNUTLS_E_UNEXPECTED_PACKET, EPROTO),
	ROW(GNUTLS_E_UNEXPECTED_PACKET_LENGTH, EPROTO),
	ROW(GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET, EPROTO),
	ROW(GNUTLS_E_DECRYPTION_FAILED, EPROTO),
	ROW(GNUTLS_E_RECORD_OVERFLOW, EPROTO),
	ROW(GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER, EPROTO),
	ROW(GNUTLS_E_RECEIVED_ILLEGAL_EXTENSION, EPROTO),
	ROW(GNUTLS_E_ILLEGAL_PARAMETER, EPROTO),
	ROW(GNUTLS_E_UNEXPECTED_EXTENSIONS_LENGTH, EPROTO),
	ROW(GNUTLS_E_MISSING_EXTENSION, EPROTO),
	ROW(GNUTLS_E_ERROR_IN_FINISHED_PACKET, EPROTO),
	ROW(GNUTLS_E_HANDSHAKE_TOO_LARGE, EPROTO),
	ROW(GNUTLS_E_TOO_MANY_EMPTY_PACKETS, EPROTO),
	ROW(GNUTLS_E_TOO_MANY_HANDSHAKE_PACKETS, EPROTO),
	ROW(GNUTLS_E_SAFE_RENEGOTIATION_FAILED, EPROTO),
	ROW(GNUTLS_E_UNKNOWN_PK_ALGORITHM, EPROTO),
	ROW(GNUTLS_E_ASN1_DER_ERROR, EPROTO),
	ROW(GNUTLS_E_MEMORY_ERROR, ENOMEM),
};

/* Fatal alerts from the peer; the page writes bad_certificate and so on. */
static const struct row alerts[] = {
	ROW(GNUTLS_A_BAD_CERTIFICATE, EACCES),
	ROW(GNUTLS_A_UNSUPPORTED_CERTIFICATE, EACCES),
	ROW(GNUTLS_A_CERTIFICATE_REVOKED, EACCES),
	ROW(GNUTLS_A_CERTIFICATE_EXPIRED, EACCES),
	ROW(GNUTLS_A_CERTIFICATE_UNKNOWN, EACCES),
	ROW(GNUTLS_A_UNKNOWN_CA, EACCES),
	ROW(GNUTLS_A_ACCESS_DENIED, EACCES),
	ROW(GNUTLS_A_CERTIFICATE_REQUIRED, EACCES),
	ROW(GNUTLS_A_DECRYPT_ERROR, EACCES),
	ROW(GNUTLS_A_UNKNOWN_PSK_IDENTITY, EACCES),
	ROW(GNUTLS_A_CLOSE_NOTIFY, ECONNRESET),
	ROW(GNUTLS_A_USER_CANCELED, ECONNRESET),
	ROW(GNUTLS_A_PROTOCOL_VERSION, EPROTO),
	ROW(GNUTLS_A_INSUFFICIENT_SECURITY, EPROTO),
	/* the page's examples of "any other fatal alert" */
	ROW(GNUTLS_A_DECODE_ERROR, EPROTO),
	ROW(GNUTLS_A_ILLEGAL_PARAMETER, EPROTO),
	ROW(GNUTLS_A_UNEXPECTED_MESSAGE, EPROTO),
	ROW(GNUTLS_A_BAD_RECORD_MAC, EPROTO),
	ROW(GNUTLS_A_INTERNAL_ERROR, EIO),
};

/*
 * Named in two rows of the page: EACCES once the server has answered the
 * ClientHello, or as a server; EPROTO in answer to our ClientHello.
 */
#define HANDSHAKE_FAILURE	"handshake_failure"

/* Named in the ECONNRESET row, with the errnos that make them one. */
static const int push_pull[] = { GNUTLS_E_PUSH_ERROR, GNUTLS_E_PULL_ERROR };

static const char *errname(uint32_t e)
{
	const char *name = strerrorname_np((int)e);

	return name ? name : "?";
}

static void expect_errno(const char *what, uint32_t got, uint32_t want)
{
	if (got != want)
		TH_LOG("%s: %s, the page says %s", what, errname(got),
		       errname(want));
	EXPECT_EQ(got, want);
}

static bool in_codes(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i].value == err)
			return true;
	return err == GNUTLS_E_PUSH_ERROR || err == GNUTLS_E_PULL_ERROR;
}

static bool in_alerts(unsigned int a)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alerts); i++)
		if (alerts[i].value == (int)a)
			return true;
	return a == GNUTLS_A_HANDSHAKE_FAILURE;
}

TEST(codes_map_as_the_page_says)
{
	struct tlsod_failure f = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		expect_errno(codes[i].name, tlsod_tls_errno(codes[i].value, 0),
			     codes[i].want);
		f.err = codes[i].value;
		f.server = i % 2;
		expect_errno(codes[i].name, tlsod_failure_errno(&f),
			     codes[i].want);
	}
}

TEST(alerts_map_as_the_page_says)
{
	struct tlsod_failure f = { .err = GNUTLS_E_FATAL_ALERT_RECEIVED };
	unsigned int how;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alerts); i++) {
		for (how = 0; how < 4; how++) {
			f.alert = alerts[i].value;
			f.server = how & 1;
			f.answered = how & 2;
			expect_errno(alerts[i].name,
				     tlsod_alert_errno(f.alert, f.server,
						       f.answered),
				     alerts[i].want);
			expect_errno(alerts[i].name, tlsod_failure_errno(&f),
				     alerts[i].want);
		}
	}
}

TEST(handshake_failure_before_the_server_answers_is_eproto)
{
	struct tlsod_failure f = {
		.err = GNUTLS_E_FATAL_ALERT_RECEIVED,
		.alert = GNUTLS_A_HANDSHAKE_FAILURE,
	};

	expect_errno("client, no answer yet", tlsod_failure_errno(&f),
		     EPROTO);
	f.answered = true;
	expect_errno("client, answered", tlsod_failure_errno(&f), EACCES);
	f.server = true;
	expect_errno("server", tlsod_failure_errno(&f), EACCES);
	f.answered = false;
	expect_errno("server", tlsod_failure_errno(&f), EACCES);
}

TEST(push_and_pull_errors_go_by_errno)
{
	static const struct {
		int sys;
		uint32_t want;
	} sys[] = {
		{ ECONNRESET, ECONNRESET }, { EPIPE, ECONNRESET },
		{ ECONNABORTED, ECONNRESET }, { ETIMEDOUT, ETIMEDOUT },
		/* "an I/O error other than a reset or a timeout" */
		{ 0, EIO }, { EIO, EIO }, { ENOBUFS, EIO },
		{ EHOSTUNREACH, EIO }, { ENETUNREACH, EIO },
	};
	struct tlsod_failure f = { 0 };
	char what[96];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(push_pull); i++) {
		for (j = 0; j < ARRAY_SIZE(sys); j++) {
			snprintf(what, sizeof(what), "%s with %s",
				 gnutls_strerror_name(push_pull[i]),
				 sys[j].sys ? errname(sys[j].sys) : "no errno");
			f.err = push_pull[i];
			f.sys_errno = sys[j].sys;
			expect_errno(what, tlsod_failure_errno(&f),
				     sys[j].want);
		}
	}
}

/* Every GnuTLS error the page does not name is EIO ("anything else"). */
TEST(other_codes_are_eio)
{
	unsigned int n = 0;
	const char *name;
	int err;

	for (err = -1; err > -1000; err--) {
		name = gnutls_strerror_name(err);
		if (!name || in_codes(err))
			continue;
		expect_errno(name, tlsod_tls_errno(err, ECONNRESET), EIO);
		n++;
	}
	TH_LOG("%u other GnuTLS error codes", n);
	EXPECT_GT(n, 50);
}

/* Every other alert is EPROTO, but for the two the page singles out. */
TEST(other_alerts_are_eproto)
{
	struct tlsod_failure f = { .err = GNUTLS_E_FATAL_ALERT_RECEIVED };
	unsigned int a;

	for (a = 0; a < 256; a++) {
		if (in_alerts(a))
			continue;
		f.alert = a;
		expect_errno(gnutls_alert_get_strname(a) ?: "unnamed alert",
			     tlsod_failure_errno(&f), EPROTO);
	}
}

/*
 * "the server asked for a client certificate, the profile has none, and
 * the server then ended the handshake with any alert"
 */
TEST(any_alert_after_a_certificate_request_we_cannot_meet_is_eacces)
{
	struct tlsod_failure f = {
		.err = GNUTLS_E_FATAL_ALERT_RECEIVED,
		.answered = true,
		.cert_wanted = true,
	};
	unsigned int a;

	for (a = 0; a < 256; a++) {
		f.alert = a;
		expect_errno(gnutls_alert_get_strname(a) ?: "unnamed alert",
			     tlsod_failure_errno(&f), EACCES);
	}
}

/* "the client's PSK binder (TLS 1.3) or Finished message (TLS 1.2) did
 * not verify with the key of a known identity" */
TEST(a_known_psk_identity_with_another_key_is_eacces)
{
	static const int mismatch[] = {
		GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER,
		GNUTLS_E_DECRYPTION_FAILED,
		GNUTLS_E_ERROR_IN_FINISHED_PACKET,
	};
	struct tlsod_failure f = { .server = true };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mismatch); i++) {
		f.err = mismatch[i];
		f.psk_known = true;
		EXPECT_TRUE(tlsod_psk_mismatch(f.err, true));
		expect_errno(gnutls_strerror_name(f.err),
			     tlsod_failure_errno(&f), EACCES);
		f.psk_known = false;
		EXPECT_FALSE(tlsod_psk_mismatch(f.err, false));
		expect_errno(gnutls_strerror_name(f.err),
			     tlsod_failure_errno(&f), EPROTO);
	}
	f.err = GNUTLS_E_UNEXPECTED_PACKET;
	f.psk_known = true;
	EXPECT_FALSE(tlsod_psk_mismatch(f.err, true));
	expect_errno("another error", tlsod_failure_errno(&f), EPROTO);
}

/* ---- the page ---- */

/* A code or an alert the page names, and the errno of its row. */
struct named {
	char row[16];		/* "" in a row headed by no errno */
	char name[64];		/* GNUTLS_E_... or an alert's name */
};

/* GNUTLS_A_BAD_CERTIFICATE as the page writes it: bad_certificate. */
static void page_name(char *out, size_t size, const char *constant)
{
	size_t i;

	constant += strlen("GNUTLS_A_");
	for (i = 0; constant[i] && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)constant[i]);
	out[i] = '\0';
}

static bool is_alert_name(const char *word)
{
	const char *constant;
	char name[64];
	unsigned int a;

	for (a = 0; a < 256; a++) {
		constant = gnutls_alert_get_strname(a);
		if (!constant)
			continue;
		page_name(name, sizeof(name), constant);
		if (!strcmp(name, word))
			return true;
	}
	return false;
}

static void take_word(const char *row, const char *word, struct named *out,
		      size_t max, size_t *n)
{
	bool lower = true;
	const char *c;

	for (c = word; *c; c++)
		lower &= islower((unsigned char)*c) || *c == '_';
	if (strncmp(word, "GNUTLS_E_", 9) &&
	    !(lower && strchr(word, '_') && is_alert_name(word)))
		return;
	ASSERT_LT(*n, max);
	snprintf(out[*n].row, sizeof(out[*n].row), "%s", row);
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", word);
	(*n)++;
}

/*
 * What the ERRORS section names, with the errno that heads each row
 * (".TP" then ".B EACCES"); a paragraph of its own ends the rows.
 */
static size_t read_page(struct named *out, size_t max)
{
	char line[512], row[16] = "", word[64];
	bool in = false, heading = false;
	size_t n = 0, len;
	const char *p;
	FILE *f;

	f = fopen(MAN_PAGE, "r");
	if (!f)
		SKIP("no %s here: run from the top of the tree", MAN_PAGE);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, ".SH", 3)) {
			in = !strncmp(line, ".SH ERRORS", 10);
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, ".TP", 3) || !strncmp(line, ".PP", 3)) {
			heading = line[1] == 'T';
			row[0] = '\0';
			continue;
		}
		if (heading) {
			heading = false;
			if (sscanf(line, ".B %15s", row) != 1 || row[0] != 'E')
				row[0] = '\0';
			continue;
		}
		for (p = line; *p; p += len) {
			len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789_");
			if (!len) {
				len = 1;
				continue;
			}
			snprintf(word, sizeof(word), "%.*s", (int)len, p);
			take_word(row, word, out, max, &n);
		}
	}
	fclose(f);
	return n;
}

static void expect_on_page(const struct named *page, size_t n,
			   const char *row, const char *name)
{
	bool found = false;
	size_t i;

	for (i = 0; i < n; i++)
		found |= !strcmp(page[i].row, row) &&
			 !strcmp(page[i].name, name);
	if (!found)
		TH_LOG("%s is not named under %s on the page", name, row);
	EXPECT_TRUE(found);
}

/* The errno under which the tables put name; NULL when they do not. */
static const char *table_row(const char *name, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
		if (!strcmp(codes[i].name, name))
			return errname(codes[i].want);
	for (i = 0; i < ARRAY_SIZE(alerts); i++) {
		page_name(buf, size, alerts[i].name);
		if (!strcmp(buf, name))
			return errname(alerts[i].want);
	}
	return NULL;
}

TEST(page_and_tables_agree)
{
	static struct named page[256];
	const char *row;
	char buf[64];
	size_t n, i;

	n = read_page(page, ARRAY_SIZE(page));
	TH_LOG("%s names %zu GnuTLS codes and alerts under ERRORS",
	       MAN_PAGE, n);
	ASSERT_GT(n, 0);
	/* what the page says, the tables say */
	for (i = 0; i < n; i++) {
		if (!strcmp(page[i].name, HANDSHAKE_FAILURE)) {
			if (strcmp(page[i].row, "EACCES"))
				EXPECT_STREQ(page[i].row, "EPROTO");
			continue;
		}
		if (!strcmp(page[i].name, "GNUTLS_E_PUSH_ERROR") ||
		    !strcmp(page[i].name, "GNUTLS_E_PULL_ERROR")) {
			EXPECT_STREQ(page[i].row, "ECONNRESET");
			continue;
		}
		row = table_row(page[i].name, buf, sizeof(buf));
		if (!row || strcmp(row, page[i].row))
			TH_LOG("the page names %s under '%s', this test under %s",
			       page[i].name, page[i].row, row ?: "none");
		EXPECT_STREQ(page[i].row, row);
	}
	/* and what the tables say, the page says */
	for (i = 0; i < ARRAY_SIZE(codes); i++)
		expect_on_page(page, n, errname(codes[i].want), codes[i].name);
	for (i = 0; i < ARRAY_SIZE(alerts); i++) {
		page_name(buf, sizeof(buf), alerts[i].name);
		expect_on_page(page, n, errname(alerts[i].want), buf);
	}
	expect_on_page(page, n, "EACCES", HANDSHAKE_FAILURE);
	expect_on_page(page, n, "EPROTO", HANDSHAKE_FAILURE);
	expect_on_page(page, n, "ECONNRESET", "GNUTLS_E_PUSH_ERROR");
	expect_on_page(page, n, "ECONNRESET", "GNUTLS_E_PULL_ERROR");
}

TEST_HARNESS_MAIN
