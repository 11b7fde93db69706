// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-wrap: run a program with TLS on the connections its options name.
 * This is the launcher: it checks the options, resolves the --connect
 * hosts, and runs the program with the preloaded library and the rules
 * in the environment.  See tlso-wrap(1).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlso-wrap.h"

#define PROGNAME	"tlso-wrap"
#define WRAP_VERSION	"0.1"
/* The library, beside the build tree's bin/, or where make install puts it. */
#define WRAP_LIB_NAME	"tlso-wrap.so"
#ifndef TLSO_WRAP_LIBDIR
#define TLSO_WRAP_LIBDIR	"/usr/local/lib/tlso"
#endif
/* Room for the rules in the environment. */
#define WRAP_ENV_MAX	(TLSO_WRAP_RULES_MAX * (TLSO_PEER_NAME_SIZE + 64) + 128)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--connect HOST:PORT [--name NAME]]... [--accept PORT]...\n"
		"       [--profile P] [--timeout MS] [--] PROGRAM [ARG]...\n"
		"\n"
		"Run PROGRAM, a dynamically linked program, with TLS through tlso on\n"
		"the connections named: tlso is attached and tlsod does the handshake,\n"
		"and PROGRAM reads and writes plain data.\n"
		"\n"
		"  -c, --connect HOST:PORT  connect() to HOST's addresses on PORT is a\n"
		"                   TLS client ([V6ADDR]:PORT for an IPv6 literal)\n"
		"  -n, --name NAME  the name the server's certificate must carry, for\n"
		"                   the --connect before it (default: its HOST)\n"
		"  -a, --accept PORT  connections accept()ed on a listener on PORT\n"
		"                   are TLS servers\n"
		"  -p, --profile P  tlsod's profile for every handshake (default\n"
		"                   \"default\"; a server needs one with a certificate)\n"
		"  -t, --timeout MS  handshake timeout (default: the profile's)\n"
		"  -h, --help       show this help\n"
		"      --version    show the version\n"
		"\n"
		"At least one --connect or --accept.  A failed handshake is a failed\n"
		"connect() with its errno; a client whose handshake fails is dropped\n"
		"before accept() returns it.  Not for statically linked programs nor\n"
		"io_uring.  Exit status: PROGRAM's; 2 on bad usage, 127 when PROGRAM\n"
		"cannot be run.  See tlso-wrap(1).\n",
		PROGNAME);
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", PROGNAME);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help'.\n", PROGNAME);
	return 2;
}

/* "host:port" or "[v6]:port" into host and port (in place). */
static int split_hostport(char *s, char **host, char **port)
{
	char *colon;

	if (*s == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -1;
		*colon = 0;
		*host = s + 1;
		*port = colon + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -1;
		*colon = 0;
		*host = s;
		*port = colon + 1;
	}
	return **host && **port ? 0 : -1;
}

/* Every TCP address of host:port, each a rule verifying name. */
static int add_connect(struct wrap_conf *c, char *arg, unsigned int *first)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char *host, *port, *end;
	struct wrap_rule r;
	unsigned long p;
	int err;

	if (split_hostport(arg, &host, &port))
		return bad("--connect: '%s' is not HOST:PORT", arg);
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*end || errno || !p || p > 65535 || *port == '-')
		return bad("--connect: '%s' is not a port number", port);
	if (strlen(host) >= sizeof(r.name) || !wrap_word_ok(host, true))
		return bad("--connect: '%s' is not a host name or address",
			   host);
	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "%s: --connect: %s: %s\n", PROGNAME, host,
			gai_strerror(err));
		return 1;
	}
	*first = c->n;
	for (ai = res; ai; ai = ai->ai_next) {
		memset(&r, 0, sizeof(r));
		r.kind = WRAP_CONNECT;
		r.family = ai->ai_family;
		r.port = (uint16_t)p;
		strcpy(r.name, host);
		if (ai->ai_family == AF_INET)
			memcpy(r.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(r.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		else
			continue;
		if (wrap_match_connect(c, ai->ai_addr, ai->ai_addrlen))
			continue;	/* the same address twice */
		if (wrap_conf_add(c, &r)) {
			freeaddrinfo(res);
			fprintf(stderr, "%s: more than %d addresses and ports\n",
				PROGNAME, TLSO_WRAP_RULES_MAX);
			return 2;
		}
	}
	freeaddrinfo(res);
	return 0;
}

/* PROGRAM as execvp() would find it, for the check below. */
static int find_program(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *colon;
	size_t n;

	if (strchr(prog, '/'))
		return snprintf(out, size, "%s", prog) < (int)size ? 0 : -1;
	for (p = path ? path : "/usr/bin:/bin"; *p; p = colon + 1) {
		colon = strchrnul(p, ':');
		n = colon - p;
		if (snprintf(out, size, "%.*s%s%s", (int)n, n ? p : ".",
			     "/", prog) < (int)size &&
		    !access(out, X_OK))
			return 0;
		if (!*colon)
			break;
	}
	return -1;
}

/*
 * An ELF executable with no program interpreter is static: the dynamic
 * loader never runs, and nothing would be preloaded.  Anything else
 * (dynamic ELF, a script) is left to exec.
 */
static bool is_static_elf(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;
	bool interp = false;

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return false;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			interp = true;
	}
	close(fd);
	return !interp;
}

/*
 * The library: TLSO_WRAP_LIB; beside bin/, in lib/tlso/ (installed) or
 * lib/ (the build tree); or where make install was told to put it.
 */
static int find_lib(char *out, size_t size)
{
	static const char *const rel[] = { "../lib/tlso", "../lib" };
	const char *env = getenv("TLSO_WRAP_LIB");
	char self[PATH_MAX], *dir;
	unsigned int i;
	ssize_t n;

	if (env && *env)
		return snprintf(out, size, "%s", env) < (int)size &&
		       !access(out, R_OK) ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		dir = dirname(self);
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
			if (snprintf(out, size, "%s/%s/%s", dir, rel[i],
				     WRAP_LIB_NAME) < (int)size &&
			    !access(out, R_OK))
				return 0;
	}
	return snprintf(out, size, "%s/%s", TLSO_WRAP_LIBDIR, WRAP_LIB_NAME) <
	       (int)size && !access(out, R_OK) ? 0 : -1;
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256 };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "accept", required_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	static struct wrap_conf conf;
	static char env[WRAP_ENV_MAX];
	char lib[PATH_MAX], prog[PATH_MAX], *preload, *end;
	unsigned int last = 0, i;
	bool have_connect = false;
	struct wrap_rule r;
	unsigned long v;
	int c, ret;

	/* '+': the program's own options are its own. */
	while ((c = getopt_long(argc, argv, "+c:n:a:p:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ret = add_connect(&conf, optarg, &last);
			if (ret)
				return ret;
			have_connect = true;
			break;
		case 'n':
			if (!have_connect)
				return bad("--name '%s' with no --connect before it",
					   optarg);
			if (strlen(optarg) >= sizeof(r.name) ||
			    !wrap_word_ok(optarg, true))
				return bad("--name: '%s' is not a host name",
					   optarg);
			for (i = last; i < conf.n; i++)
				strcpy(conf.rule[i].name, optarg);
			break;
		case 'a':
			memset(&r, 0, sizeof(r));
			r.kind = WRAP_ACCEPT;
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (end == optarg || *end || errno || !v || v > 65535 ||
			    *optarg == '-')
				return bad("--accept: '%s' is not a port number",
					   optarg);
			r.port = (uint16_t)v;
			if (wrap_conf_add(&conf, &r))
				return bad("--accept %s: too many rules", optarg);
			break;
		case 'p':
			if (strlen(optarg) >= sizeof(conf.profile) ||
			    !wrap_word_ok(optarg, false))
				return bad("--profile: '%s' is not a profile name",
					   optarg);
			strcpy(conf.profile, optarg);
			break;
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (end == optarg || *end || errno || v > 120000 ||
			    *optarg == '-')
				return bad("--timeout: '%s' is not 0 to 120000 ms",
					   optarg);
			conf.timeout_ms = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("%s %s\n", PROGNAME, WRAP_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help'.\n", PROGNAME);
			return 2;
		}
	}
	if (optind >= argc)
		return bad("no PROGRAM to run%s", "");
	if (!conf.n)
		return bad("nothing to wrap: give --connect or --accept%s", "");
	if (find_program(argv[optind], prog, sizeof(prog))) {
		fprintf(stderr, "%s: %s: command not found\n", PROGNAME,
			argv[optind]);
		return 127;
	}
	if (is_static_elf(prog)) {
		fprintf(stderr, "%s: %s is statically linked: nothing can be "
			"preloaded into it, and its connections would not be "
			"wrapped\n", PROGNAME, prog);
		return 127;
	}
	if (find_lib(lib, sizeof(lib))) {
		fprintf(stderr, "%s: cannot find %s (TLSO_WRAP_LIB, ../lib "
			"beside tlso-wrap, or %s)\n", PROGNAME, WRAP_LIB_NAME,
			TLSO_WRAP_LIBDIR);
		return 127;
	}
	if (wrap_conf_format(&conf, env, sizeof(env)) ||
	    setenv(TLSO_WRAP_ENV, env, 1)) {
		fprintf(stderr, "%s: the rules do not fit the environment\n",
			PROGNAME);
		return 2;
	}
	preload = getenv("LD_PRELOAD");
	if (preload && *preload) {
		if (asprintf(&end, "%s:%s", lib, preload) < 0)
			return 127;
		setenv("LD_PRELOAD", end, 1);
		free(end);
	} else {
		setenv("LD_PRELOAD", lib, 1);
	}
	execv(prog, argv + optind);
	fprintf(stderr, "%s: %s: %s\n", PROGNAME, prog, strerror(errno));
	return 127;
}
