// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the command-line TLS programs as the peers of a case,
 * and each TLS version as they spell it.
 */
#include <stdio.h>

#include "tenv.h"

const struct tver tver_tls12 = {
	TLS_1_2_VERSION, "-tls1_2", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "1.2",
};
const struct tver tver_tls13 = {
	TLS_1_3_VERSION, "-tls1_3", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "1.3",
};

struct tproc *tenv_spawn_listener(struct tenv *e, const char *name,
				  bool pipe_in, const char *const argv[],
				  char *portbuf, size_t size, const char *fmt,
				  int *port)
{
	struct tproc *p;
	char st[64];
	int i, n;

	for (i = 0; i < TENV_SERVER_TRIES; i++) {
		*port = tenv_free_port();
		TCASE_ASSERT(*port > 0);
		n = snprintf(portbuf, size, fmt, *port);
		TCASE_ASSERT(n > 0 && (size_t)n < size);
		p = tenv_spawn(e, name, pipe_in, argv);
		if (tenv_wait_listen(p, *port, TENV_SERVER_UP_MS))
			return p;
		tcase_log("%s is not listening on port %d: %s", name, *port,
			  tenv_status_str(tproc_wait(p, 0), st, sizeof(st)));
		tenv_show(p);
		tproc_kill(p);
	}
	TCASE_ASSERT(!"the server came up on one of TENV_SERVER_TRIES ports");
	return NULL;
}

struct tproc *tenv_spawn_server(struct tenv *e, const char *name,
				const char *const argv[], char *portbuf,
				int *port)
{
	return tenv_spawn_listener(e, name, true, argv, portbuf, 16, "%d",
				   port);
}

/* openssl s_server -quiet: stdin goes to the client, what it gets to stdout. */
static struct tproc *tenv_s_server(struct tenv *e, int *port, int cert,
				   const struct tver *v, const char *x1,
				   const char *x2, const char *x3)
{
	static char portbuf[16], crt[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	const char *argv[] = {
		"openssl", "s_server", "-quiet", "-naccept", "1",
		"-accept", portbuf, "-cert", crt, "-key", key, "-CAfile", ca,
		v->ossl, x1, x2, x3, NULL,
	};

	tenv_need("openssl");
	tenv_pki(e, crt, sizeof(crt), cert, "pem");
	tenv_pki(e, key, sizeof(key), cert, "key");
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	return tenv_spawn_server(e, "s_server", argv, portbuf, port);
}

int tenv_s_server_client(struct tenv *e, struct tproc **srv, int cert,
			 const struct tver *v, const char *x1, const char *x2,
			 const char *x3)
{
	int port;

	*srv = tenv_s_server(e, &port, cert, v, x1, x2, x3);
	return tenv_tlso_client(e, port);
}

struct tproc *tenv_s_client(struct tenv *e, int port, const struct tver *v,
			    bool with_cert)
{
	static char conn[32], ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	const char *argv[] = {
		"openssl", "s_client", "-connect", conn, "-CAfile", ca,
		"-verify_return_error", "-verify_hostname", "localhost",
		"-quiet", v->ossl,
		with_cert ? "-cert" : NULL, crt, "-key", key, NULL,
	};

	tenv_need("openssl");
	snprintf(conn, sizeof(conn), "127.0.0.1:%d", port);
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	tenv_pki(e, crt, sizeof(crt), PKI_CLIENT, "pem");
	tenv_pki(e, key, sizeof(key), PKI_CLIENT, "key");
	return tenv_spawn(e, "s_client", true, argv);
}
