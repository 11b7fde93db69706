/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod's configuration: an INI file, one section per profile.
 *
 * Everything a profile names (certificate, key, CA file, PSK) is loaded
 * here, when the file is read, so that a broken file shows at startup or
 * at reload and never in the middle of a handshake.
 */
#ifndef TLSOD_CONFIG_H
#define TLSOD_CONFIG_H

#include <stdbool.h>
#include <gnutls/gnutls.h>

#include <linux/tlso.h>

#define TLSOD_PROFILE_DEFAULT	"default"
/* What a request can name, and what the kernel can report back. */
#define TLSOD_PROFILE_MAX	(TLSO_PROFILE_SIZE - 1)
#define TLSOD_PSK_IDENTITY_MAX	(TLSO_IDENTITY_SIZE - 1)
#define TLSOD_TIMEOUT_DEFAULT	10000	/* ms */
#define TLSOD_TIMEOUT_MAX	3600000	/* ms */

enum tlsod_client_auth {
	TLSOD_CLIENT_AUTH_NONE,
	TLSOD_CLIENT_AUTH_OPTIONAL,
	TLSOD_CLIENT_AUTH_REQUIRE,
};

/* Bits of tlsod_profile.versions. */
#define TLSOD_TLS12	0x1
#define TLSOD_TLS13	0x2

struct tlsod_profile {
	char *name;
	char *certificate;	/* absolute paths, or NULL */
	char *private_key;
	char *trust_store;	/* NULL: the system's */
	bool trust_explicit;	/* trust_store was written in the file */
	enum tlsod_client_auth client_auth;
	unsigned int versions;	/* TLSOD_TLS1x bits */
	char *psk_identity;	/* NULL: no PSK */
	gnutls_datum_t psk_key;
	unsigned int timeout_ms;
	/*
	 * Own chain and key (if any) and the trust store.  NULL for a
	 * profile that authenticates by PSK alone.
	 */
	gnutls_certificate_credentials_t cred;
	unsigned int trust_count;	/* CAs loaded */
	struct tlsod_profile *next;
};

struct tlsod_config {
	char *path;		/* NULL for the built-in defaults */
	struct tlsod_profile *profiles;
};

/*
 * Read and check the file at path.  On failure returns NULL with errno
 * set (ENOENT for a missing file, EINVAL for a bad one, ENOMEM) and a
 * message, "path:line: what", in err.
 */
struct tlsod_config *tlsod_config_load(const char *path, char *err,
				       size_t errsize);

/* The configuration without a file: only the default profile. */
struct tlsod_config *tlsod_config_builtin(char *err, size_t errsize);

void tlsod_config_free(struct tlsod_config *cfg);

/* The profile of that name; NULL or "" is "default". */
const struct tlsod_profile *tlsod_config_find(const struct tlsod_config *cfg,
					      const char *name);

const char *tlsod_client_auth_name(enum tlsod_client_auth ca);

#endif /* TLSOD_CONFIG_H */
