// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: TLS 1.3 KeyUpdate (RFC 8446 4.6.3, 7.2) on sockets tlsod set up.
 * tlsod hands over the application traffic secrets with DONE; from then
 * on the kernel is the only TLS stack of the connection, so it derives
 * each next secret, key and IV itself and follows the peer's KeyUpdates.
 * A client's session tickets, which only tlsod can turn into a session to
 * resume, go up to it (TLSO_A_TICKETS).
 */
#include <crypto/hash.h>
#include <crypto/algapi.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/sock.h>

#include "cipher.h"
#include "tlso.h"

static unsigned long key_update_records;
module_param(key_update_records, ulong, 0644);
MODULE_PARM_DESC(key_update_records,
		 "records a send key may seal before tlso updates it on sockets tlsod set up (0: the suite's limit, tlso.h)");

/* "tls13 " and the longest label, "traffic upd" */
#define TLSO_KU_LABEL_MAX	(6 + 11)

/*
 * HKDF-Expand-Label(secret, label, "", len) for len up to the hash's
 * length: one block of HKDF-Expand, T(1) = HMAC(secret, HkdfLabel | 1).
 */
static int tlso_ku_expand(struct tlso_ku *ku, const u8 *secret,
			  const char *label, u8 *out, u32 len)
{
	u8 info[2 + 1 + TLSO_KU_LABEL_MAX + 1 + 1];
	u8 full[TLSO_SECRET_MAX];
	size_t llen = strlen(label);
	int n = 0, err;

	if (WARN_ON_ONCE(len > ku->hash_len || 6 + llen > TLSO_KU_LABEL_MAX))
		return -EINVAL;
	info[n++] = len >> 8;
	info[n++] = len;
	info[n++] = 6 + llen;
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;		/* the context: empty */
	info[n++] = 1;		/* HKDF-Expand's block counter */

	err = crypto_shash_setkey(ku->hmac, secret, ku->hash_len);
	if (!err) {
		SHASH_DESC_ON_STACK(desc, ku->hmac);

		desc->tfm = ku->hmac;
		err = crypto_shash_digest(desc, info, n, full);
		shash_desc_zero(desc);
	}
	if (!err)
		memcpy(out, full, len);
	memzero_explicit(full, sizeof(full));
	return err;
}

/* The kTLS crypto_info for a direction's secret, sequence number 0. */
static int tlso_ku_info(struct tlso_ctx *ctx, const u8 *secret,
			union tlso_crypto_info *ci)
{
	const struct tlso_cipher *c =
		tlso_cipher_find(ctx->prot_info.cipher_type);
	u8 iv[TLSO_NONCE_LEN];
	int err;

	if (!c || c->salt_size + c->iv_size != TLSO_NONCE_LEN)
		return -EINVAL;
	memset(ci, 0, sizeof(*ci));
	ci->info = ctx->prot_info;
	err = tlso_ku_expand(ctx->ku, secret, "key", (u8 *)ci + c->key_off,
			     c->key_size);
	if (!err)
		err = tlso_ku_expand(ctx->ku, secret, "iv", iv, sizeof(iv));
	if (!err) {
		memcpy((u8 *)ci + c->salt_off, iv, c->salt_size);
		memcpy((u8 *)ci + c->iv_off, iv + c->salt_size, c->iv_size);
	}
	memzero_explicit(iv, sizeof(iv));
	return err;
}

/* Whether secret gives the key and IV that d holds. */
static int tlso_ku_check(struct tlso_ctx *ctx, const u8 *secret,
			 const struct tlso_dir *d)
{
	const struct tlso_cipher *c =
		tlso_cipher_find(ctx->prot_info.cipher_type);
	union tlso_crypto_info ci;
	int err = tlso_ku_info(ctx, secret, &ci);

	if (!err && (crypto_memneq((u8 *)&ci + c->key_off,
				   (const u8 *)&d->info + c->key_off,
				   c->key_size) ||
		     crypto_memneq((u8 *)&ci + c->salt_off, d->iv,
				   c->salt_size) ||
		     crypto_memneq((u8 *)&ci + c->iv_off,
				   d->iv + c->salt_size, c->iv_size)))
		err = -EKEYREJECTED;
	memzero_explicit(&ci, sizeof(ci));
	return err;
}

/*
 * At DONE, under lock_sock, both directions' keys installed: keep the
 * secrets if they are the ones those keys came from.
 */
/* How many records a send key may seal, by the suite (tlso.h). */
static u64 tlso_ku_limit(const struct tlso_ctx *ctx, u32 asked)
{
	unsigned long param = READ_ONCE(key_update_records);

	if (asked)
		return asked;
	if (param)
		return param;
	switch (ctx->prot_info.cipher_type) {
	case TLS_CIPHER_AES_CCM_128:
		return TLSO_KU_RECORDS_AES_CCM;
	case TLS_CIPHER_CHACHA20_POLY1305:
		return TLSO_KU_RECORDS_CHACHA;
	default:
		return TLSO_KU_RECORDS_AES_GCM;
	}
}

int tlso_ku_install(struct tlso_ctx *ctx, const struct tlso_hs_outcome *out)
{
	u32 hash = out->hash, len = out->secret_len;
	const char *alg = hash == TLSO_HASH_SHA256 ? "hmac(sha256)" :
			  hash == TLSO_HASH_SHA384 ? "hmac(sha384)" : NULL;
	struct tlso_ku *ku;
	int err;

	if (!alg || ctx->prot.version != TLS_1_3_VERSION || ctx->ku)
		return -EINVAL;
	ku = kzalloc(sizeof(*ku), GFP_KERNEL);
	if (!ku)
		return -ENOMEM;
	ku->hmac = crypto_alloc_shash(alg, 0, 0);
	if (IS_ERR(ku->hmac)) {
		err = PTR_ERR(ku->hmac);
		kfree(ku);
		return err;
	}
	ku->hash_len = crypto_shash_digestsize(ku->hmac);
	if (len != ku->hash_len) {
		err = -EINVAL;
		goto err_free;
	}
	memcpy(ku->secret[0], out->tx_secret, len);
	memcpy(ku->secret[1], out->rx_secret, len);
	ku->tx_limit = tlso_ku_limit(ctx, out->ku_records);
	ctx->ku = ku;
	err = tlso_ku_check(ctx, ku->secret[0], &ctx->tx.dir);
	if (!err)
		err = tlso_ku_check(ctx, ku->secret[1], &ctx->rx.dir);
	if (!err)
		return 0;
	ctx->ku = NULL;
err_free:
	crypto_free_shash(ku->hmac);
	kfree_sensitive(ku);
	return err;
}

void tlso_ku_free(struct tlso_ctx *ctx)
{
	struct tlso_ku *ku = ctx->ku;

	if (!ku)
		return;
	ctx->ku = NULL;
	crypto_free_shash(ku->hmac);
	kfree(ku->ticket);
	kfree_sensitive(ku);
}

/*
 * The next secret of a direction, and its keys in place of the old
 * (RFC 8446 7.2).  On failure the stream cannot go on: the caller ends
 * it.
 */
int tlso_ku_next(struct tlso_ctx *ctx, bool tx)
{
	struct tlso_ku *ku = ctx->ku;
	u8 *secret = ku->secret[tx ? 0 : 1];
	union tlso_crypto_info ci;
	u8 next[TLSO_SECRET_MAX];
	int err;

	err = tlso_ku_expand(ku, secret, "traffic upd", next, ku->hash_len);
	if (!err)
		err = tlso_ku_info(ctx, next, &ci);
	if (!err)
		err = tlso_dir_keys(tx ? &ctx->tx.dir : &ctx->rx.dir, &ci);
	if (!err) {
		memcpy(secret, next, ku->hash_len);
		if (tx)
			ku->tx_records = 0;
	}
	memzero_explicit(next, sizeof(next));
	memzero_explicit(&ci, sizeof(ci));
	return err;
}

/*
 * A record sealed under the send key, under lock_sock: past the limit,
 * the next record is a KeyUpdate (not asking the peer for one: its keys
 * have their own count).
 */
void tlso_ku_sealed(struct tlso_ctx *ctx)
{
	struct tlso_ku *ku = ctx->ku;

	if (ku && ++ku->tx_records >= ku->tx_limit && !ku->tx_pending) {
		ku->tx_pending = true;
		ku->tx_request = 0;
	}
}

/*
 * A record other than handshake came in: handshake messages may not be
 * cut by one (RFC 8446 5.1).
 */
int tlso_ku_rx_other(struct tlso_ctx *ctx, u8 type)
{
	struct tlso_ku *ku = ctx->ku;

	if (ku && (ku->msg_have || ku->msg_left))
		return -EPROTO;
	return 0;
}

/*
 * A NewSessionTicket's header is in: keep the message for tlsod when it
 * wants it, there is room in its count and the message is small enough;
 * else it is dropped (and counted).
 */
static void tlso_ku_ticket_start(struct sock *sk, struct tlso_ku *ku)
{
	u32 len = sizeof(ku->msg_hdr) + ku->msg_left;

	if (ku->tickets_left && len <= TLSO_TICKET_MSG_MAX)
		ku->ticket = kmalloc(len, GFP_KERNEL);
	if (!ku->ticket) {
		tlso_stat_inc(sock_net(sk), TLSO_MIB_TICKET_DROP);
		return;
	}
	memcpy(ku->ticket, ku->msg_hdr, sizeof(ku->msg_hdr));
	ku->ticket_len = sizeof(ku->msg_hdr);
}

/* The whole message is in: up it goes, best effort. */
static void tlso_ku_ticket_end(struct sock *sk, struct tlso_ku *ku)
{
	if (!ku->ticket)
		return;
	ku->tickets_left--;
	if (tlso_genl_ticket(sock_net(sk), ku->ticket_id, ku->ticket,
			     ku->ticket_len))
		tlso_stat_inc(sock_net(sk), TLSO_MIB_TICKET_DROP);
	else
		tlso_stat_inc(sock_net(sk), TLSO_MIB_TICKET_UP);
	kfree(ku->ticket);
	ku->ticket = NULL;
	ku->ticket_len = 0;
}

/*
 * len bytes of a handshake record's content (last: its final bytes), just
 * decrypted, under lock_sock: session tickets are passed up or skipped,
 * a KeyUpdate switches the receive key before the next record is
 * decrypted.  Returns
 * 0, -EBADMSG for a malformed message (decode_error), -EPROTO for one
 * that has no place here (unexpected_message), or the rekey's error.
 */
int tlso_ku_rx(struct sock *sk, struct tlso_ctx *ctx, const u8 *data,
	       u32 len, bool last)
{
	struct tlso_ku *ku = ctx->ku;
	u32 pos = 0;
	int err;

	while (pos < len) {
		u8 type = ku->msg_hdr[0];
		u32 n;

		if (ku->msg_have < sizeof(ku->msg_hdr)) {
			ku->msg_hdr[ku->msg_have++] = data[pos++];
			if (ku->msg_have < sizeof(ku->msg_hdr))
				continue;
			type = ku->msg_hdr[0];
			ku->msg_left = ku->msg_hdr[1] << 16 |
				       ku->msg_hdr[2] << 8 | ku->msg_hdr[3];
			if (type == TLSO_MSG_KEY_UPDATE) {
				if (ku->msg_left != 1)
					return -EBADMSG;
			} else if (type != TLSO_MSG_NEW_SESSION_TICKET) {
				return -EPROTO;
			}
			if (!ku->msg_left) {
				ku->msg_have = 0;  /* an empty ticket: nothing */
				continue;
			}
			/* Only a ticket is kept: a KeyUpdate is used up here. */
			if (type == TLSO_MSG_NEW_SESSION_TICKET)
				tlso_ku_ticket_start(sk, ku);
			continue;
		}
		if (type == TLSO_MSG_KEY_UPDATE) {
			u8 request = data[pos];

			pos++;
			ku->msg_left = 0;
			ku->msg_have = 0;
			if (request > 1)
				return -EBADMSG;
			/* The key changes here: nothing may follow in it. */
			if (pos < len || !last)
				return -EPROTO;
			err = tlso_ku_next(ctx, false);
			if (err)
				return err;
			ctx->info.rx_key_updates++;
			tlso_stat_inc(sock_net(sk), TLSO_MIB_RX_KEY_UPDATE);
			if (request && !ku->tx_pending) {
				ku->tx_pending = true;
				ku->tx_request = 0;
			}
			return 0;
		}
		/* A ticket: to tlsod, or dropped when nobody keeps it. */
		n = min(ku->msg_left, len - pos);
		if (ku->ticket) {
			memcpy(ku->ticket + ku->ticket_len, data + pos, n);
			ku->ticket_len += n;
		}
		pos += n;
		ku->msg_left -= n;
		if (!ku->msg_left) {
			ku->msg_have = 0;
			tlso_ku_ticket_end(sk, ku);
		}
	}
	return 0;
}
