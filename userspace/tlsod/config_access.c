// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's configuration: who may use a profile.  allowed_users and
 * allowed_groups are resolved to numbers as the file is read (a group
 * brings in the members the group database lists, since the kernel tells
 * the requester's effective gid alone), and a request is then decided on
 * numbers alone.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/*
 * A word of digits is an id as it stands: 1, the id in *id.  0: a name.
 * -1: digits, but too many for an id.
 */
int tlsod_conf_id(struct parse *ps, const char *key, const char *w,
		   uint32_t *id)
{
	unsigned long long v;

	if (w[strspn(w, "0123456789")])
		return 0;
	errno = 0;
	v = strtoull(w, NULL, 10);
	if (errno || v > TLSOD_ID_MAX) {
		tlsod_conf_err(ps, ps->line, "%s: '%s' is not an id (0 to %u)", key, w,
			       TLSOD_ID_MAX);
		return -1;
	}
	*id = v;
	return 1;
}

static int add_id(struct parse *ps, uint32_t **ids, unsigned int *n,
		  uint32_t id)
{
	uint32_t *more = reallocarray(*ids, *n + 1, sizeof(**ids));

	if (!more) {
		tlsod_conf_err(ps, ps->line, "out of memory");
		ps->err_no = ENOMEM;
		return -1;
	}
	more[(*n)++] = id;
	*ids = more;
	return 0;
}

static int user_word(struct parse *ps, void *arg, const char *w)
{
	struct tlsod_access *a = arg;
	struct passwd *pw;
	uint32_t uid;
	int num;

	if (!strcmp(w, "*")) {
		a->everyone = true;
		return 0;
	}
	num = tlsod_conf_id(ps, "allowed_users", w, &uid);
	if (num < 0)
		return -1;
	if (!num) {
		pw = getpwnam(w);
		if (!pw) {
			tlsod_conf_err(ps, ps->line, "allowed_users: no user '%s'", w);
			return -1;
		}
		uid = pw->pw_uid;
	}
	return add_id(ps, &a->uids, &a->nuids, uid);
}

int tlsod_conf_allowed_users(struct parse *ps, struct tlsod_profile *p,
			     const char *v)
{
	unsigned int n;

	p->access.listed = true;
	if (tlsod_conf_words(ps, "allowed_users", v, LIST_SEP, TLSOD_ALLOWED_MAX,
			     user_word, &p->access, &n))
		return -1;
	if (p->access.everyone && n > 1) {
		tlsod_conf_err(ps, ps->line, "allowed_users: '*' goes alone");
		return -1;
	}
	return 0;
}

struct groups_arg {
	struct tlsod_access *a;
	unsigned int members;	/* brought in so far */
};

/*
 * The members the group database lists for gr, as users of the profile:
 * the kernel tells the requester's effective gid alone, not the
 * supplementary groups, so membership is looked up here, once.
 */
static int add_members(struct parse *ps, struct groups_arg *g,
		       const struct group *gr)
{
	struct passwd *pw;
	char **m;

	for (m = gr->gr_mem; m && *m; m++) {
		pw = getpwnam(*m);
		if (!pw)
			continue;	/* a stale entry names nobody */
		if (++g->members > TLSOD_MEMBERS_MAX) {
			tlsod_conf_err(ps, ps->line,
				       "allowed_groups: more than %d members in all",
				       TLSOD_MEMBERS_MAX);
			return -1;
		}
		if (add_id(ps, &g->a->uids, &g->a->nuids, pw->pw_uid))
			return -1;
	}
	return 0;
}

static int group_word(struct parse *ps, void *arg, const char *w)
{
	struct groups_arg *g = arg;
	struct group *gr;
	uint32_t gid;
	int num = tlsod_conf_id(ps, "allowed_groups", w, &gid);

	if (num < 0)
		return -1;
	gr = num ? getgrgid(gid) : getgrnam(w);
	if (!gr && !num) {
		tlsod_conf_err(ps, ps->line, "allowed_groups: no group '%s'", w);
		return -1;
	}
	if (gr)
		gid = gr->gr_gid;
	if (add_id(ps, &g->a->gids, &g->a->ngids, gid))
		return -1;
	return gr ? add_members(ps, g, gr) : 0;
}

int tlsod_conf_allowed_groups(struct parse *ps, struct tlsod_profile *p,
			      const char *v)
{
	struct groups_arg g = { &p->access, 0 };
	unsigned int n;

	p->access.listed = true;
	return tlsod_conf_words(ps, "allowed_groups", v, LIST_SEP, TLSOD_ALLOWED_MAX,
				group_word, &g, &n);
}

/* What only root may use unless the profile says who else. */
static bool holds_secret(const struct tlsod_profile *p)
{
	return p->private_key || p->psk_identity;
}

bool tlsod_profile_open(const struct tlsod_profile *p)
{
	if (p->access.listed)
		return p->access.everyone;
	return !holds_secret(p);
}

static bool has_id(const uint32_t *ids, unsigned int n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

bool tlsod_profile_allows(const struct tlsod_profile *p, bool known,
			  uint32_t uid, uint32_t gid)
{
	const struct tlsod_access *a = &p->access;

	if (tlsod_profile_open(p))
		return true;
	if (!known)
		return false;
	/* root can read the keys anyway */
	return uid == 0 || has_id(a->uids, a->nuids, uid) ||
	       has_id(a->gids, a->ngids, gid);
}
