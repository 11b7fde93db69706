// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-perf's command line: the options, and what each end accepts of
 * them.  Bad usage exits 2 here, before anything is opened.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "perf.h"
#include "record.h"

static const char usage_text[] =
"usage: tlso-perf -s [-p PORT] [-B ADDR] [-1] [-J] [--cert FILE --key FILE]\n"
"       tlso-perf -c HOST [-p PORT] [-t SECONDS | -n BYTES] [-l LENGTH]\n"
"                 [-P STREAMS] [-R] [-J] [-i SECONDS] [--mode MODE]\n"
"                 [--tls VERSION] [--cipher CIPHER] [--keys KEYS]\n"
"                 [--sendfile FILE] [--rx-only] [--handshakes N [--resume]]\n"
"                 [--ca FILE] [--name NAME] [--profile NAME]\n"
"\n"
"Measure TLS throughput or handshake rate between a client and a server,\n"
"with tlso, the kernel's kTLS, GnuTLS in userspace or plain TCP.\n"
"\n"
"  -s, --server           run as the server (one test at a time)\n"
"  -c, --client HOST      run as the client against HOST\n"
"  -p, --port PORT        control and data port (default " DEFAULT_PORT ")\n"
"  -B, --bind ADDR        server: listen on ADDR only\n"
"  -1, --one-off          server: serve one test, exit with its status\n"
"  -t, --time SECONDS     how long to send (default 10)\n"
"  -n, --bytes BYTES      send BYTES in all instead (suffix K, M, G)\n"
"  -l, --length LENGTH    bytes per write (default 16K; up to 16M)\n"
"  -P, --parallel N       data connections (1..64, default 1)\n"
"  -R, --reverse          the server sends, the client receives\n"
"  -J, --json             results as JSON\n"
"  -i, --interval SECONDS between interval reports (default 1; 0: none)\n"
"      --mode MODE        plain, tlso (default), ktls or gnutls\n"
"      --tls VERSION      1.3 (default) or 1.2\n"
"      --cipher CIPHER    aes-gcm-128 (default), aes-gcm-256,\n"
"                         chacha20-poly1305 or aes-ccm-128\n"
"      --keys KEYS        handshake (default: tlsod in mode tlso, GnuTLS\n"
"                         in the process otherwise) or static (fixed keys\n"
"                         sent over the control connection; not gnutls)\n"
"      --sendfile FILE    send with sendfile(2) from FILE\n"
"      --rx-only          the sender encrypts everything before the clock\n"
"                         starts: only the receiver is measured; needs -n\n"
"      --handshakes N     measure N full handshakes instead: rate, p50, p99\n"
"      --resume           with --handshakes: resumed ones instead (session\n"
"                         tickets), each from the one before, after one\n"
"                         unmeasured handshake per stream; a handshake of\n"
"                         the other kind fails the test; not mode plain\n"
"      --cert FILE        server: certificate chain (PEM), for ktls and\n"
"                         gnutls handshakes\n"
"      --key FILE         server: its private key (PEM)\n"
"      --ca FILE          client: CAs to check the server against\n"
"                         (default: the system's)\n"
"      --name NAME        client: the server's name to check (default HOST)\n"
"      --profile NAME     mode tlso: the tlsod profile (default \"default\")\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 the test ran to its end, 1 it failed, 2 bad usage.\n"
"See tlso-perf(1).\n";

enum {
	OPT_MODE = 256, OPT_TLS, OPT_CIPHER, OPT_KEYS, OPT_SENDFILE,
	OPT_RX_ONLY, OPT_HANDSHAKES, OPT_RESUME, OPT_CERT, OPT_KEY, OPT_CA,
	OPT_NAME, OPT_PROFILE,
};

static const struct option long_opts[] = {
	{ "server", no_argument, NULL, 's' },
	{ "client", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'B' },
	{ "one-off", no_argument, NULL, '1' },
	{ "time", required_argument, NULL, 't' },
	{ "bytes", required_argument, NULL, 'n' },
	{ "length", required_argument, NULL, 'l' },
	{ "parallel", required_argument, NULL, 'P' },
	{ "reverse", no_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'J' },
	{ "interval", required_argument, NULL, 'i' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "sendfile", required_argument, NULL, OPT_SENDFILE },
	{ "rx-only", no_argument, NULL, OPT_RX_ONLY },
	{ "handshakes", required_argument, NULL, OPT_HANDSHAKES },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	exit(2);
}

/* A size with an optional K, M or G suffix (powers of 1024). */
static uint64_t parse_size(const char *flag, const char *s, uint64_t min,
			   uint64_t max)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		usage_error("%s: '%s' is not a size", flag, s);
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	else if (*end)
		usage_error("%s: '%s' is not a size", flag, s);
	if (mul > 1 && end[1])
		usage_error("%s: '%s' is not a size", flag, s);
	if (v > max / mul || v * mul < min || v * mul > max)
		usage_error("%s: %s is out of range (%llu..%llu)", flag, s,
			    (unsigned long long)min, (unsigned long long)max);
	return v * mul;
}

static unsigned long parse_uint(const char *flag, const char *s,
				unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || errno || *s == '-')
		usage_error("%s: '%s' is not a number", flag, s);
	if (v < min || v > max)
		usage_error("%s: %s is out of range (%lu..%lu)", flag, s, min,
			    max);
	return v;
}

static double parse_seconds(const char *flag, const char *s, double min,
			    double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || isnan(v))
		usage_error("%s: '%s' is not a number of seconds", flag, s);
	if (v < min || v > max)
		usage_error("%s: %s is out of range (%g..%g)", flag, s, min,
			    max);
	return v;
}

static void __attribute__((noreturn))
unknown_value(const char *flag, const char *s)
{
	usage_error("%s: unknown value '%s'", flag, s);
}

/* found, the index of s among the flag's values, unless it is -1. */
static int known(const char *flag, const char *s, int found)
{
	if (found < 0)
		unknown_value(flag, s);
	return found;
}

static void copy_arg(const char *flag, char *dst, size_t size)
{
	if (strlen(optarg) >= size)
		usage_error("%s: longer than %zu bytes", flag, size - 1);
	strcpy(dst, optarg);
}

/* The flags that only one end takes, the last of each given. */
struct ends {
	const char *client_flag, *server_flag;
	bool set_t, set_keys;
};

/* One option into opt or *p; false for one getopt did not know. */
static bool take_option(int c, struct perf_params *p, struct ends *e)
{
	static const char *const tls_names[] = { "1.2", "1.3" };

	switch (c) {
	case 's':
		opt.server = true;
		break;
	case 'c':
		opt.host = optarg;
		break;
	case 'p':
		parse_uint("-p", optarg, 1, 65535);
		opt.port = optarg;
		break;
	case 'B':
		opt.bind = optarg;
		e->server_flag = "-B";
		break;
	case '1':
		opt.one_off = true;
		e->server_flag = "-1";
		break;
	case 't':
		p->seconds = parse_seconds("-t", optarg, 0.001, 86400);
		e->set_t = true;
		e->client_flag = "-t";
		break;
	case 'n':
		p->bytes = parse_size("-n", optarg, 1, 1ull << 50);
		e->client_flag = "-n";
		break;
	case 'l':
		p->len = parse_size("-l", optarg, 1, MAX_LEN);
		e->client_flag = "-l";
		break;
	case 'P':
		p->streams = parse_uint("-P", optarg, 1, MAX_STREAMS);
		e->client_flag = "-P";
		break;
	case 'R':
		p->reverse = true;
		e->client_flag = "-R";
		break;
	case 'J':
		opt.json = true;
		break;
	case 'i':
		opt.interval = parse_seconds("-i", optarg, 0, 3600);
		e->client_flag = "-i";
		break;
	case OPT_MODE:
		p->mode = mode_by_name(optarg);
		if (!p->mode)
			unknown_value("--mode", optarg);
		e->client_flag = "--mode";
		break;
	case OPT_TLS:
		p->tls = known("--tls", optarg,
			       find_name(tls_names, 2, optarg)) ? 13 : 12;
		p->tls_set = true;
		e->client_flag = "--tls";
		break;
	case OPT_CIPHER:
		p->cipher = known("--cipher", optarg, cipher_index(optarg));
		p->cipher_set = true;
		e->client_flag = "--cipher";
		break;
	case OPT_KEYS:
		p->keys = known("--keys", optarg,
				find_name(keys_names, 2, optarg));
		e->set_keys = true;
		e->client_flag = "--keys";
		break;
	case OPT_SENDFILE:
		copy_arg("--sendfile", p->sendfile, sizeof(p->sendfile));
		e->client_flag = "--sendfile";
		break;
	case OPT_RX_ONLY:
		p->rx_only = true;
		e->client_flag = "--rx-only";
		break;
	case OPT_HANDSHAKES:
		p->handshakes = parse_uint("--handshakes", optarg, 1, 1000000);
		e->client_flag = "--handshakes";
		break;
	case OPT_RESUME:
		p->resume = true;
		e->client_flag = "--resume";
		break;
	case OPT_CERT:
		opt.cert = optarg;
		e->server_flag = "--cert";
		break;
	case OPT_KEY:
		opt.key = optarg;
		e->server_flag = "--key";
		break;
	case OPT_CA:
		opt.ca = optarg;
		e->client_flag = "--ca";
		break;
	case OPT_NAME:
		copy_arg("--name", p->name, sizeof(p->name));
		e->client_flag = "--name";
		break;
	case OPT_PROFILE:
		copy_arg("--profile", p->profile, sizeof(p->profile));
		opt.profile = optarg;
		break;
	default:
		return false;
	}
	return true;
}

/* The client's options, together: what excludes or needs what. */
static void check_client(const struct perf_params *p, const struct ends *e)
{
	const char *why;

	if (e->server_flag)
		usage_error("%s is for the server", e->server_flag);
	if (p->resume && !p->handshakes)
		usage_error("--resume needs --handshakes N: it measures resumed handshakes, not a transfer");
	if (e->set_t && p->bytes)
		usage_error("-t and -n exclude each other");
	if (p->bytes && p->bytes < p->streams)
		usage_error("-n: fewer bytes than streams");
	why = p->mode->refuse ? p->mode->refuse(p, e->set_keys) : NULL;
	if (why)
		usage_error("%s", why);
	if (p->handshakes && p->keys == KEYS_STATIC)
		usage_error("--handshakes needs --keys handshake");
	if (p->handshakes && (p->rx_only || p->sendfile[0] || p->bytes ||
			      e->set_t || p->reverse))
		usage_error("--handshakes excludes -t, -n, -R, --sendfile and --rx-only");
	if (p->rx_only && !p->bytes)
		usage_error("--rx-only needs -n: the transfer is built in memory first");
	if (p->rx_only && p->sendfile[0])
		usage_error("--rx-only and --sendfile exclude each other");
	if (p->sendfile[0] && !p->reverse) {
		struct stat sb;

		if (stat(p->sendfile, &sb))
			usage_error("--sendfile %s: %s", p->sendfile,
				    strerror(errno));
		if (!S_ISREG(sb.st_mode) || !sb.st_size)
			usage_error("--sendfile %s: not a non-empty file",
				    p->sendfile);
	}
}

void parse_cmdline(int argc, char **argv, struct perf_params *p)
{
	struct ends e = { 0 };
	int c;

	*p = (struct perf_params){
		.mode = &mode_tlso, .tls = 13, .keys = KEYS_HANDSHAKE,
		.streams = 1, .len = TLSO_MAX_PLAIN, .seconds = 10,
	};
	while ((c = getopt_long(argc, argv, "sc:p:B:1t:n:l:P:RJi:h", long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (!take_option(c, p, &e)) {
			fprintf(stderr, "(see %s --help)\n", prog);
			exit(2);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opt.server == !!opt.host)
		usage_error(opt.server ? "-s and -c exclude each other" :
					 "say -s (server) or -c HOST (client)");
	if (opt.server) {
		if (e.client_flag)
			usage_error("%s is for the client: the server follows the client's parameters",
				    e.client_flag);
		if (!opt.cert != !opt.key)
			usage_error("--cert and --key go together");
		return;
	}
	check_client(p, &e);
	if (p->bytes)
		p->seconds = 0;
}
