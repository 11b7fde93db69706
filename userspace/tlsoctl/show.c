// SPDX-License-Identifier: GPL-2.0
/*
 * tlsoctl show: the sockets tlso is attached to in this network namespace,
 * from the module's netlink dump (TLSO_CMD_SOCK_GET), as text or JSON.
 * The kernel decides what the caller may see: its own sockets, or all of
 * them with CAP_NET_ADMIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tlso.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "libtlso.h"
#include "tlsoctl.h"

struct show {
	bool json;
	unsigned int count;
	int err;	/* a message that could not be read */
};

static const char *const states[] = {
	[TLSO_SOCK_ATTACHED] = "attached",
	[TLSO_SOCK_HANDSHAKE] = "handshake pending",
	[TLSO_SOCK_KEYS] = "keys installed",
	[TLSO_SOCK_FAILED] = "handshake failed",
};

/* The same, as JSON values: one word each. */
static const char *const state_words[] = {
	[TLSO_SOCK_ATTACHED] = "attached",
	[TLSO_SOCK_HANDSHAKE] = "handshake",
	[TLSO_SOCK_KEYS] = "keys",
	[TLSO_SOCK_FAILED] = "failed",
};

static const char *const auths[] = {
	[TLSO_AUTH_NONE] = "none",
	[TLSO_AUTH_X509] = "x509",
	[TLSO_AUTH_PSK] = "psk",
};

#define PICK(tab, i) \
	((i) < sizeof(tab) / sizeof(tab[0]) && (tab)[i] ? (tab)[i] : "unknown")

static uint32_t get_u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

/* "1.2.3.4" or "::1", or "?" for an attribute of the wrong size. */
static void addr_str(struct nlattr *a, int family, char *buf, size_t len)
{
	size_t need = family == AF_INET6 ? 16 : 4;

	if (!a || (size_t)nla_len(a) != need ||
	    !inet_ntop(family, nla_data(a), buf, len))
		snprintf(buf, len, "?");
}

static void endpoint(char *buf, size_t len, struct nlattr **tb, int addr,
		     int port)
{
	int family = get_u32(tb, TLSO_A_FAMILY) == AF_INET6 ? AF_INET6 :
							      AF_INET;
	char a[INET6_ADDRSTRLEN];

	addr_str(tb[addr], family, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 get_u32(tb, port));
}

static void print_text(struct nlattr **tb, const struct tlso_info *in)
{
	uint32_t state = get_u32(tb, TLSO_A_SOCK_STATE);
	char local[64], peer[64];
	const char *s;

	endpoint(local, sizeof(local), tb, TLSO_A_LOCAL_ADDR,
		 TLSO_A_LOCAL_PORT);
	endpoint(peer, sizeof(peer), tb, TLSO_A_PEER_ADDR, TLSO_A_PEER_PORT);
	printf("socket: %s -> %s\n", local, peer);
	printf("  inode: %" PRIu64 "\n",
	       tb[TLSO_A_INODE] ? (uint64_t)nla_get_u64(tb[TLSO_A_INODE]) : 0);
	printf("  process: ");
	text_str(stdout, tb[TLSO_A_COMM] ? nla_get_string(tb[TLSO_A_COMM]) :
					   "?");
	printf(" (pid %u), user %u\n", get_u32(tb, TLSO_A_PID),
	       get_u32(tb, TLSO_A_SOCK_UID));
	printf("  state: %s", PICK(states, state));
	if (tb[TLSO_A_KEYS_BY])
		printf(" by %s", get_u32(tb, TLSO_A_KEYS_BY) ==
				 TLSO_KEYS_BY_DAEMON ? "tlsod" : "the application");
	if (tb[TLSO_A_STATUS])
		printf(": %s", strerror((int)get_u32(tb, TLSO_A_STATUS)));
	printf("\n");
	if (tb[TLSO_A_VERSION]) {
		s = tlso_version_name(get_u32(tb, TLSO_A_VERSION));
		printf("  tls: %s, ", s ? s : "?");
		s = tlso_cipher_name(get_u32(tb, TLSO_A_CIPHER));
		printf("%s\n", s ? s : "?");
	}
	if (tb[TLSO_A_PEER_AUTH]) {
		printf("  peer identity: %s",
		       PICK(auths, get_u32(tb, TLSO_A_PEER_AUTH)));
		if (tb[TLSO_A_PEER_IDENTITY]) {
			printf(" ");
			text_str(stdout,
				 nla_get_string(tb[TLSO_A_PEER_IDENTITY]));
		}
		printf("\n");
	}
	if (tb[TLSO_A_HS_US])
		printf("  handshake: %.3f ms%s\n",
		       nla_get_u64(tb[TLSO_A_HS_US]) / 1000.0,
		       tb[TLSO_A_RESUMED] ? ", resumed" : "");
	printf("  sent: %llu records, %llu bytes, %llu key updates\n",
	       (unsigned long long)in->tx_records,
	       (unsigned long long)in->tx_bytes,
	       (unsigned long long)in->tx_key_updates);
	printf("  received: %llu records, %llu bytes, %llu key updates\n",
	       (unsigned long long)in->rx_records,
	       (unsigned long long)in->rx_bytes,
	       (unsigned long long)in->rx_key_updates);
}

static void print_json(struct nlattr **tb, const struct tlso_info *in,
		       bool first)
{
	uint32_t state = get_u32(tb, TLSO_A_SOCK_STATE);
	int family = get_u32(tb, TLSO_A_FAMILY) == AF_INET6 ? AF_INET6 :
							      AF_INET;
	char a[INET6_ADDRSTRLEN];
	const char *s;

	printf("%s\n  {", first ? "" : ",");
	printf("\"inode\": %" PRIu64 ", ",
	       tb[TLSO_A_INODE] ? (uint64_t)nla_get_u64(tb[TLSO_A_INODE]) : 0);
	printf("\"family\": \"%s\", ", family == AF_INET6 ? "ipv6" : "ipv4");
	addr_str(tb[TLSO_A_LOCAL_ADDR], family, a, sizeof(a));
	printf("\"local_address\": \"%s\", \"local_port\": %u, ", a,
	       get_u32(tb, TLSO_A_LOCAL_PORT));
	addr_str(tb[TLSO_A_PEER_ADDR], family, a, sizeof(a));
	printf("\"peer_address\": \"%s\", \"peer_port\": %u, ", a,
	       get_u32(tb, TLSO_A_PEER_PORT));
	printf("\"pid\": %u, \"comm\": ", get_u32(tb, TLSO_A_PID));
	json_str(stdout, tb[TLSO_A_COMM] ? nla_get_string(tb[TLSO_A_COMM]) :
					   "");
	printf(", \"uid\": %u, \"state\": \"%s\"", get_u32(tb, TLSO_A_SOCK_UID),
	       PICK(state_words, state));
	if (tb[TLSO_A_KEYS_BY])
		printf(", \"keys_by\": \"%s\"",
		       get_u32(tb, TLSO_A_KEYS_BY) == TLSO_KEYS_BY_DAEMON ?
		       "tlsod" : "application");
	if (tb[TLSO_A_VERSION]) {
		s = tlso_version_name(get_u32(tb, TLSO_A_VERSION));
		printf(", \"version\": \"%s\"", s ? s : "unknown");
		s = tlso_cipher_name(get_u32(tb, TLSO_A_CIPHER));
		printf(", \"cipher\": \"%s\"", s ? s : "unknown");
	}
	if (tb[TLSO_A_STATUS]) {
		printf(", \"error\": ");
		json_str(stdout, strerror((int)get_u32(tb, TLSO_A_STATUS)));
	}
	if (tb[TLSO_A_PEER_AUTH])
		printf(", \"peer_auth\": \"%s\"",
		       PICK(auths, get_u32(tb, TLSO_A_PEER_AUTH)));
	if (tb[TLSO_A_PEER_IDENTITY]) {
		printf(", \"peer_identity\": ");
		json_str(stdout, nla_get_string(tb[TLSO_A_PEER_IDENTITY]));
	}
	if (tb[TLSO_A_HS_US])
		printf(", \"handshake_us\": %" PRIu64 ", \"resumed\": %s",
		       (uint64_t)nla_get_u64(tb[TLSO_A_HS_US]),
		       tb[TLSO_A_RESUMED] ? "true" : "false");
	printf(", \"tx\": {\"records\": %llu, \"bytes\": %llu, "
	       "\"key_updates\": %llu}",
	       (unsigned long long)in->tx_records,
	       (unsigned long long)in->tx_bytes,
	       (unsigned long long)in->tx_key_updates);
	printf(", \"rx\": {\"records\": %llu, \"bytes\": %llu, "
	       "\"key_updates\": %llu}}",
	       (unsigned long long)in->rx_records,
	       (unsigned long long)in->rx_bytes,
	       (unsigned long long)in->rx_key_updates);
}

static int on_sock(struct nl_msg *msg, void *arg)
{
	struct show *sh = arg;
	struct nlattr *tb[TLSO_A_MAX + 1];
	struct tlso_info in = { 0 };
	size_t n;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TLSO_A_MAX, NULL) < 0 ||
	    (tb[TLSO_A_COMM] && !memchr(nla_data(tb[TLSO_A_COMM]), 0,
					(size_t)nla_len(tb[TLSO_A_COMM]))) ||
	    (tb[TLSO_A_PEER_IDENTITY] &&
	     !memchr(nla_data(tb[TLSO_A_PEER_IDENTITY]), 0,
		     (size_t)nla_len(tb[TLSO_A_PEER_IDENTITY])))) {
		sh->err = EBADMSG;
		return NL_SKIP;
	}
	/* A newer module's longer struct is cut to what we know. */
	if (tb[TLSO_A_INFO]) {
		n = (size_t)nla_len(tb[TLSO_A_INFO]);
		memcpy(&in, nla_data(tb[TLSO_A_INFO]),
		       n < sizeof(in) ? n : sizeof(in));
	}
	if (sh->json)
		print_json(tb, &in, sh->count == 0);
	else
		print_text(tb, &in);
	sh->count++;
	return NL_OK;
}

static void show_usage(FILE *f)
{
	fprintf(f,
		"usage: %s show [-j|--json]\n"
		"\n"
		"The sockets tlso is attached to in this network namespace:\n"
		"addresses, process and user, state, version and cipher,\n"
		"records, bytes and KeyUpdates each way, who set the keys,\n"
		"the peer's identity and the handshake's duration.  Without\n"
		"CAP_NET_ADMIN, only your own sockets.\n"
		"\n"
		"  -j, --json   one JSON array of objects\n"
		"  -h, --help   show this help\n",
		progname);
}

static int dump(struct show *sh)
{
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	int family, err;

	sk = nl_socket_alloc();
	if (!sk) {
		fprintf(stderr, "%s: show: out of memory\n", progname);
		return 1;
	}
	err = genl_connect(sk);
	if (err < 0)
		goto nl_fail;
	family = genl_ctrl_resolve(sk, TLSO_GENL_NAME);
	if (family < 0) {
		fprintf(stderr, "%s: show: tlso is not loaded "
			"(no generic netlink family \"%s\")\n",
			progname, TLSO_GENL_NAME);
		nl_socket_free(sk);
		return 1;
	}
	msg = nlmsg_alloc();
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
			 TLSO_CMD_SOCK_GET, TLSO_GENL_VERSION)) {
		err = -NLE_NOMEM;
		goto nl_fail;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_sock, sh);
	err = nl_send_auto(sk, msg);
	if (err < 0)
		goto nl_fail;
	if (sh->json)
		printf("[");
	err = nl_recvmsgs_default(sk);
	if (sh->json)
		printf("%s]\n", sh->count ? "\n" : "");
	if (err < 0)
		goto nl_fail;
	nlmsg_free(msg);
	nl_socket_free(sk);
	if (sh->err) {
		fprintf(stderr, "%s: show: a malformed message from the "
			"kernel was left out\n", progname);
		return 1;
	}
	return 0;

nl_fail:
	fprintf(stderr, "%s: show: %s%s\n", progname, nl_geterror(err),
		err == -NLE_OPNOTSUPP ?
		" (a tlso module older than this tlsoctl)" : "");
	nlmsg_free(msg);
	nl_socket_free(sk);
	return 1;
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show sh = { 0 };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			sh.json = true;
			break;
		case 'h':
			show_usage(stdout);
			return 0;
		default:
			show_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: show: unexpected argument '%s'\n",
			progname, argv[optind]);
		show_usage(stderr);
		return 2;
	}
	return dump(&sh);
}
