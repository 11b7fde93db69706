/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod's configuration: an INI file, one section per profile.
 *
 * Everything a profile names (certificate, key, CA file, PSK, users and
 * groups) is loaded here, when the file is read, so that a broken file
 * shows at startup or at reload and never in the middle of a handshake.
 */
#ifndef TLSOD_CONFIG_H
#define TLSOD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include <linux/tlso.h>

#include "keyproxy.h"

#define TLSOD_PROFILE_DEFAULT	"default"
/* What a request can name, and what the kernel can report back. */
#define TLSOD_PROFILE_MAX	(TLSO_PROFILE_SIZE - 1)
#define TLSOD_PSK_IDENTITY_MAX	(TLSO_IDENTITY_SIZE - 1)
#define TLSOD_TIMEOUT_DEFAULT	10000	/* ms */
#define TLSOD_TIMEOUT_MAX	3600000	/* ms */
/* A shorter key is a password, and PSK suites do not stretch it. */
#define TLSOD_PSK_KEY_MIN	16	/* bytes */
/* Names in one allowed_users or allowed_groups line. */
#define TLSOD_ALLOWED_MAX	64
/* Users that a profile's allowed_groups bring in as their members. */
#define TLSOD_MEMBERS_MAX	1024
/* A user or group id in the file; (uid_t)-1 means "none" to the kernel. */
#define TLSOD_ID_MAX		4294967294u
/* The user tlsod runs as when the file names none and it exists. */
#define TLSOD_USER_DEFAULT	"tlsod"
/* Certificates in one profile's chain. */
#define TLSOD_CHAIN_MAX		16
/* A private key file, PEM. */
#define TLSOD_KEY_FILE_MAX	(64 * 1024)

enum tlsod_client_auth {
	TLSOD_CLIENT_AUTH_NONE,
	TLSOD_CLIENT_AUTH_OPTIONAL,
	TLSOD_CLIENT_AUTH_REQUIRE,
};

/* Bits of tlsod_profile.versions. */
#define TLSOD_TLS12	0x1
#define TLSOD_TLS13	0x2

/* Bits of tlsod_profile.legacy: what a profile takes back that is off. */
#define TLSOD_LEGACY_RSA_KX	0x1	/* TLS 1.2 RSA key transport */
#define TLSOD_LEGACY_SHA1	0x2	/* SHA-1 handshake signatures */
#define TLSOD_LEGACY_PSK_NO_DHE	0x4	/* PSK without (EC)DHE */

/*
 * Who may use a profile besides root: allowed_users and allowed_groups,
 * every name resolved when the file is read.
 */
struct tlsod_access {
	bool listed;		/* either key was given */
	bool everyone;		/* allowed_users = * */
	uint32_t *uids;		/* users named, members of groups named */
	unsigned int nuids;
	uint32_t *gids;		/* groups named */
	unsigned int ngids;
};

struct tlsod_profile {
	char *name;
	char *certificate;	/* absolute paths, or NULL */
	char *private_key;
	char *trust_store;	/* NULL: the system's */
	bool trust_explicit;	/* trust_store was written in the file */
	enum tlsod_client_auth client_auth;
	bool verify_name;	/* a client request must name its peer */
	unsigned int versions;	/* TLSOD_TLS1x bits */
	unsigned int legacy;	/* TLSOD_LEGACY_* bits */
	struct tlsod_access access;
	char *psk_identity;	/* NULL: no PSK */
	gnutls_datum_t psk_key;
	unsigned int timeout_ms;
	/* TLS 1.3: records per send key, then a KeyUpdate; 0: the module's */
	uint32_t key_update_records;
	/*
	 * Resumption (resumption.c): a server issues tickets under
	 * ticket_key, which the parent makes when it reads the profile (a
	 * reload makes a new one) and every worker shares; a client offers
	 * the tickets it was given.
	 */
	bool session_tickets;
	gnutls_datum_t ticket_key;
	/* [server]: the GnuTLS priorities, tlsod_priority_prepare()'s */
	gnutls_priority_t prio[2];
	/*
	 * Own chain and key (if any) and the trust store.  NULL for a
	 * profile that authenticates by PSK alone.  The key in it is an
	 * external one (keyproxy.h): key is the real one, which only the
	 * parent keeps (tlsod_config_drop_keys()), and keyref how a worker
	 * names it.
	 */
	gnutls_certificate_credentials_t cred;
	gnutls_privkey_t key;
	struct tlsod_keyref keyref;
	unsigned int trust_count;	/* CAs loaded */
	struct tlsod_profile *next;
};

struct tlsod_config {
	char *path;		/* NULL for the built-in defaults */
	struct tlsod_profile *profiles;
	/*
	 * The global section (before any [profile]): user = NAME, or
	 * TLSOD_USER_DEFAULT when that user exists.  has_user: uid and gid
	 * are that user's; without one a root tlsod stays uid 0.
	 */
	char *user;		/* as written, NULL when not given */
	bool has_user;
	uid_t uid;
	gid_t gid;
	/* Every profile's real key, by keyref.index; NULL once dropped. */
	gnutls_privkey_t *keys;
	unsigned int nkeys;
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

/*
 * In a worker: deinit every real private key, which GnuTLS zeroizes, so
 * that no long-term key stays in a process that parses a peer's bytes.
 * The credentials' external keys go on signing through the parent.
 */
void tlsod_config_drop_keys(struct tlsod_config *cfg);

/* The profile of that name; NULL or "" is "default". */
const struct tlsod_profile *tlsod_config_find(const struct tlsod_config *cfg,
					      const char *name);

const char *tlsod_client_auth_name(enum tlsod_client_auth ca);

/*
 * Whether any user may use p, a request without credentials too: one
 * that holds neither private key nor PSK and lists nobody, or one whose
 * allowed_users is "*".
 */
bool tlsod_profile_open(const struct tlsod_profile *p);

/*
 * Whether the requester may use p: known says the request carried the
 * requester's effective uid and gid; without them only an open profile.
 */
bool tlsod_profile_allows(const struct tlsod_profile *p, bool known,
			  uint32_t uid, uint32_t gid);

#endif /* TLSOD_CONFIG_H */
