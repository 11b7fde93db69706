// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-cat: a netcat for TLS built on libtlso.
 *
 * It connects (or accepts one connection), attaches tlso, has tlsod do
 * the handshake, and then copies standard input to the connection and
 * the connection to standard output.  The records are the module's
 * business: this program only ever sees plaintext.
 *
 * This file is its command line; the session is in session.c and the
 * files it calls on.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tlso.h>

#include "tlso-cat.h"

#define TLSO_CAT_VERSION "0.1"

#define REQ_FIELD_SIZE(field) sizeof(((struct tlso_handshake_req *)0)->field)

static void synopsis(FILE *f)
{
	fprintf(f,
		"usage: %s [options] HOST PORT\n"
		"       %s -l [options] PORT\n",
		progname, progname);
}

static void usage(FILE *f)
{
	synopsis(f);
	fprintf(f,
		"\n"
		"A netcat for TLS: connect to HOST PORT (or, with -l, accept one\n"
		"connection on PORT), have tlsod perform the TLS handshake, then\n"
		"copy standard input to the connection and the connection to\n"
		"standard output until the peer closes it.\n"
		"\n"
		"  -l, --listen         be the server: accept one connection on\n"
		"                       PORT (any IPv6 and IPv4 address), serve\n"
		"                       it and exit\n"
		"      --listen-addr A  with -l: listen on address A only\n"
		"      --name NAME      the name the server's certificate must be\n"
		"                       issued to, also sent as SNI (default: HOST;\n"
		"                       '' checks the chain only, and only with a\n"
		"                       profile that says verify_name = no)\n"
		"      --profile P      tlsod profile to use (default: \"default\")\n"
		"      --timeout MS     handshake timeout in milliseconds (default:\n"
		"                       the profile's)\n"
		"  -4, -6               IPv4 or IPv6 only\n"
		"  -q, --quiet          print no error messages (exit status only)\n"
		"  -v, --verbose        print the connection and the handshake's\n"
		"                       outcome (version, cipher, peer) on stderr\n"
		"  -h, --help           show this help\n"
		"      --version        show the version\n"
		"\n"
		"End of input sends the TLS close_notify (shutdown SHUT_WR); the\n"
		"program goes on printing what the peer sends until it closes.\n"
		"Exit status: 0 after a clean session, 1 on a connection, handshake\n"
		"or I/O error, 2 on bad usage.  See tlso-cat(1).\n");
}

static void try_help(void)
{
	synopsis(stderr);
	fprintf(stderr, "Try '%s --help' for the options.\n", progname);
}

/* Level QUIET: a usage error is said even with -q. */
static void __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cat_vmsg(QUIET, NULL, 0, fmt, ap);
	va_end(ap);
	try_help();
}

/* ---- arguments ---- */

static int parse_ms(const char *s, unsigned int *ms)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT_MAX)
		return -1;
	*ms = v;
	return 0;
}

/* A number the kernel can bind (0: any free port, for -l) or a service. */
static bool port_ok(const char *port, bool listen)
{
	unsigned long v;
	char *end;

	if (*port >= '0' && *port <= '9') {
		v = strtoul(port, &end, 10);
		return !*end && v <= 65535 && (v > 0 || listen);
	}
	return *port && getservbyname(port, "tcp") != NULL;
}

static int check_opts(const struct cat_opts *o, int nargs)
{
	if (o->listen && nargs != 1) {
		bad_usage(nargs ? "with -l, give only PORT" :
				  "-l needs a PORT");
		return -1;
	}
	if (!o->listen && nargs != 2) {
		bad_usage(nargs < 2 ? "give HOST and PORT (or -l PORT)" :
				      "too many arguments");
		return -1;
	}
	if (o->listen && o->name) {
		bad_usage("--name is for the client: a server has no name to check");
		return -1;
	}
	if (!o->listen && o->listen_addr) {
		bad_usage("--listen-addr needs -l");
		return -1;
	}
	if (!port_ok(o->port, o->listen)) {
		bad_usage("'%s' is not a TCP port number or service name",
			  o->port);
		return -1;
	}
	return 0;
}

/* The request's own limits, checked here so that they are usage errors. */
static int check_lengths(const struct cat_opts *o)
{
	const char *name = o->name ? o->name : o->host;

	if (name && strlen(name) >= REQ_FIELD_SIZE(peer_name)) {
		bad_usage("the peer name is longer than %zu bytes",
			  REQ_FIELD_SIZE(peer_name) - 1);
		return -1;
	}
	if (o->profile && strlen(o->profile) >= REQ_FIELD_SIZE(profile)) {
		bad_usage("the profile name is longer than %zu bytes",
			  REQ_FIELD_SIZE(profile) - 1);
		return -1;
	}
	return 0;
}

static int set_family(struct cat_opts *o, int family)
{
	if (o->family && o->family != family) {
		bad_usage("-4 and -6 exclude each other");
		return -1;
	}
	o->family = family;
	return 0;
}

/* 0 to go on, 1 when --help or --version has been answered, -1 on error. */
static int parse_args(int argc, char **argv, struct cat_opts *o)
{
	enum { OPT_NAME = 256, OPT_PROFILE, OPT_TIMEOUT, OPT_LISTEN_ADDR,
	       OPT_VERSION };
	static const struct option opts[] = {
		{ "listen", no_argument, NULL, 'l' },
		{ "listen-addr", required_argument, NULL, OPT_LISTEN_ADDR },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c, nargs;

	while ((c = getopt_long(argc, argv, "l46qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = true;
			break;
		case OPT_LISTEN_ADDR:
			o->listen_addr = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_PROFILE:
			o->profile = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_ms(optarg, &o->timeout_ms) < 0) {
				bad_usage("--timeout wants milliseconds, not '%s'",
					  optarg);
				return -1;
			}
			break;
		case '4':
		case '6':
			if (set_family(o, c == '4' ? AF_INET : AF_INET6) < 0)
				return -1;
			break;
		case 'q':
			verbosity = QUIET;
			break;
		case 'v':
			verbosity = VERBOSE;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("%s %s\n", progname, TLSO_CAT_VERSION);
			return 1;
		default:
			/* getopt has said what was wrong */
			try_help();
			return -1;
		}
	}
	nargs = argc - optind;
	if (!o->listen && nargs == 2)
		o->host = argv[optind++];
	if (nargs >= 1)
		o->port = argv[optind];
	if (check_opts(o, nargs) < 0 || check_lengths(o) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct cat_opts o = { 0 };
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? 2 : 0;
	return cat_run(&o);
}
