/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod's configuration while it is read: what config.c, config_access.c
 * (who may use a profile), config_files.c (the files a profile names),
 * config_reader.c (the lines) and config_value.c (the kinds of value)
 * share.  Not for the rest of tlsod: config.h is.
 */
#ifndef TLSOD_CONFIG_PRIV_H
#define TLSOD_CONFIG_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "config.h"

enum key {
	K_CERTIFICATE,
	K_PRIVATE_KEY,
	K_TRUST_STORE,
	K_CLIENT_AUTH,
	K_VERSIONS,
	K_PSK_IDENTITY,
	K_PSK_KEY,
	K_TIMEOUT_MS,
	K_KEY_UPDATE_RECORDS,
	K_VERIFY_NAME,
	K_SESSION_TICKETS,
	K_LEGACY,
	K_ALLOWED_USERS,
	K_ALLOWED_GROUPS,
	NKEYS
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How the words of a list may be separated. */
#define LIST_SEP	" \t,"

/* A profile while the file is read: where each of its keys was. */
struct pprofile {
	struct tlsod_profile *p;
	int line[NKEYS];	/* 0: not given */
	struct pprofile *next;
};

struct parse {
	const char *path;
	char *dir;		/* of the file, for relative paths */
	FILE *f;
	struct stat st;		/* of the file, once opened */
	int line;		/* the line the reader handed out last */
	bool line_start;	/* the next read starts a new line */
	int err_line;		/* of the first error, 0 when none */
	int nerr;
	int err_no;		/* errno for the caller */
	char *err;
	size_t errsize;
	struct pprofile *profiles, **tail;
	/* the global section */
	char *user;
	int user_line;
	bool has_user;		/* uid, gid: user's or TLSOD_USER_DEFAULT's */
	uid_t uid;
	gid_t gid;
	unsigned int nkeys;	/* profiles with a key so far */
};

/*
 * An error of line (0: of the file as a whole): counted, and the first
 * one kept as the message the caller gets.
 */
void tlsod_conf_err(struct parse *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tlsod_conf_strdup(struct parse *ps, char **dst, const char *v);
int tlsod_conf_words(struct parse *ps, const char *key, const char *v,
		     const char *sep, unsigned int max,
		     int (*fn)(struct parse *ps, void *arg, const char *w),
		     void *arg, unsigned int *n);

/* A set of named bits: each word, and its bit (config_value.c). */
struct word_bit {
	const char *word;
	unsigned int bit;
};

int tlsod_conf_bits(struct parse *ps, const char *key, const char *what,
		    const struct word_bit *words, size_t nwords,
		    const char *sep, const char *v, unsigned int *bits);
int tlsod_conf_yes_no(struct parse *ps, const char *key, const char *v,
		      bool *out);
int tlsod_conf_number(struct parse *ps, const char *key, const char *v,
		      unsigned long min, unsigned long max, const char *what,
		      unsigned long *out);

/* inih's reader over ps->f (config_reader.c). */
char *tlsod_conf_read_line(char *buf, int size, void *stream);

int tlsod_conf_line(const struct pprofile *pp, enum key k);

/* config_access.c */
int tlsod_conf_id(struct parse *ps, const char *key, const char *w,
		  uint32_t *id);
int tlsod_conf_allowed_users(struct parse *ps, struct tlsod_profile *p,
			     const char *v);
int tlsod_conf_allowed_groups(struct parse *ps, struct tlsod_profile *p,
			      const char *v);

/* config_files.c */
int tlsod_conf_check_private(struct parse *ps, int line, const char *key,
			     const char *path, const struct stat *st,
			     bool holder);
int tlsod_conf_load_trust(struct parse *ps, struct pprofile *pp);
int tlsod_conf_load_chain(struct parse *ps, struct pprofile *pp);

#endif /* TLSOD_CONFIG_PRIV_H */
