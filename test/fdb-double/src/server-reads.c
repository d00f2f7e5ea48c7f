/* The server's answers to MSG_READ: point reads, key selectors, ranges, size estimates. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "wire.h"

/* Resolves a key selector in the view into `out` (a key, or "" / the max key at the ends). */
static int resolve(const view *v, const uint8_t *k, int klen, int or_equal, int offset, dbuf *out) {
	out->len = 0;
	if (key_cmp(k, klen, v->max_key, v->max_klen) > 0) {
		k = v->max_key;
		klen = v->max_klen;
	}
	vkey cur;
	int has = view_step(v, k, klen, 0, or_equal, &cur);
	if (offset > 0) {
		for (int i = 0; i < offset; i++) {
			vkey next;
			if (!view_step(v, has ? cur.key : NULL, has ? cur.klen : 0, 1, !has, &next)) {
				dbuf_put(out, v->max_key, (size_t)v->max_klen);
				goto check;
			}
			cur = next;
			has = 1;
		}
	} else {
		if (!has) goto check; /* before the first key: "" */
		for (int i = 0; i < -offset; i++) {
			vkey prev;
			if (!view_step(v, cur.key, cur.klen, 0, 0, &prev)) goto check;
			cur = prev;
		}
	}
	dbuf_put(out, cur.key, (size_t)cur.klen);
check:;
	/* Walking across a versionstamped key whose final key is unknown cannot be answered. */
	int c = key_cmp(k, klen, out->data ? out->data : (const uint8_t *)"", (int)out->len);
	const uint8_t *lo = c <= 0 ? k : out->data;
	int lol = c <= 0 ? klen : (int)out->len;
	const uint8_t *hi = c <= 0 ? out->data : k;
	int hil = c <= 0 ? (int)out->len : klen;
	dbuf hi0 = {0};
	dbuf_put(&hi0, hi ? hi : (const uint8_t *)"", (size_t)hil);
	dbuf_u8(&hi0, 0);
	int bad = view_range_unreadable(v, lo ? lo : (const uint8_t *)"", lol, hi0.data, (int)hi0.len);
	dbuf_free(&hi0);
	return bad ? E_ACCESSED_UNREADABLE : 0;
}

static void conflict_none(dbuf *r) { dbuf_u8(r, 0); }

static void conflict_range(dbuf *r, const uint8_t *b, int bl, const uint8_t *e, int el, int e_plus_zero) {
	dbuf_u8(r, 1);
	dbuf_bytes(r, b, bl);
	dbuf_u32(r, (uint32_t)(el + (e_plus_zero ? 1 : 0)));
	dbuf_put(r, e, (size_t)el);
	if (e_plus_zero) dbuf_u8(r, 0);
}

static int read_get(const view *v, dread *a, dbuf *r) {
	int kl;
	const uint8_t *k = rd_bytes(a, &kl);
	const uint8_t *val = NULL;
	int len = 0, known;
	int state = view_lookup(v, k, kl, &val, &len, &known);
	if (state == V_UNREADABLE) return E_ACCESSED_UNREADABLE;
	dbuf_u8(r, state == V_VALUE);
	dbuf_bytes(r, val, state == V_VALUE ? len : 0);
	if (known)
		conflict_none(r);
	else
		conflict_range(r, k, kl, k, kl, 1);
	return 0;
}

static int read_get_key(const view *v, dread *a, dbuf *r) {
	int kl;
	const uint8_t *k = rd_bytes(a, &kl);
	int or_equal = rd_u8(a);
	int offset = (int)rd_u32(a);
	dbuf key = {0};
	int err = resolve(v, k, kl, or_equal, offset, &key);
	if (!err) {
		dbuf_bytes(r, key.data, (int)key.len);
		int c = key_cmp(k, kl, key.data, (int)key.len);
		if (c <= 0)
			conflict_range(r, k, kl, key.data, (int)key.len, 1);
		else
			conflict_range(r, key.data, (int)key.len, k, kl, 1);
	}
	dbuf_free(&key);
	return err;
}

static int read_range(const view *v, dread *a, dbuf *r) {
	int bl, el;
	const uint8_t *bk = rd_bytes(a, &bl);
	int b_or_equal = rd_u8(a), b_offset = (int)rd_u32(a);
	const uint8_t *ek = rd_bytes(a, &el);
	int e_or_equal = rd_u8(a), e_offset = (int)rd_u32(a);
	int limit = (int)rd_u32(a), target_bytes = (int)rd_u32(a), reverse = rd_u8(a);
	dbuf b = {0}, e = {0}, rows = {0};
	int err = resolve(v, bk, bl, b_or_equal, b_offset, &b);
	if (!err) err = resolve(v, ek, el, e_or_equal, e_offset, &e);
	if (err) goto done;
	const uint8_t *B = b.data ? b.data : (const uint8_t *)"", *E = e.data ? e.data : (const uint8_t *)"";
	int BL = (int)b.len, EL = (int)e.len;
	if (key_cmp(B, BL, E, EL) >= 0) {
		dbuf_u32(r, 0);
		dbuf_u8(r, 0);
		conflict_none(r);
		goto done;
	}
	if (view_range_unreadable(v, B, BL, E, EL)) {
		err = E_ACCESSED_UNREADABLE;
		goto done;
	}
	uint32_t n = 0;
	long bytes = 0;
	int stopped = 0;
	vkey cur, last = {0};
	int has = reverse ? view_step(v, E, EL, 0, 0, &cur) : view_step(v, B, BL, 1, 1, &cur);
	while (has) {
		int c = reverse ? key_cmp(cur.key, cur.klen, B, BL) : key_cmp(cur.key, cur.klen, E, EL);
		if (reverse ? c < 0 : c >= 0) break;
		if (cur.state == V_UNREADABLE) {
			err = E_ACCESSED_UNREADABLE;
			goto done;
		}
		dbuf_bytes(&rows, cur.key, cur.klen);
		dbuf_bytes(&rows, cur.val, cur.len);
		n++;
		bytes += cur.klen + cur.len;
		last = cur;
		if ((limit > 0 && (int)n >= limit) || (target_bytes > 0 && bytes >= target_bytes)) {
			stopped = 1;
			break;
		}
		has = view_step(v, cur.key, cur.klen, !reverse, 0, &cur);
	}
	int more = 0;
	if (stopped) {
		vkey next;
		if (view_step(v, last.key, last.klen, !reverse, 0, &next)) {
			int c = reverse ? key_cmp(next.key, next.klen, B, BL) : key_cmp(next.key, next.klen, E, EL);
			more = reverse ? c >= 0 : c < 0;
		}
	}
	dbuf_u32(r, n);
	dbuf_put(r, rows.data, rows.len);
	dbuf_u8(r, (uint8_t)more);
	if (!more)
		conflict_range(r, B, BL, E, EL, 0);
	else if (reverse)
		conflict_range(r, last.key, last.klen, E, EL, 0);
	else
		conflict_range(r, B, BL, last.key, last.klen, 1);
done:
	dbuf_free(&b);
	dbuf_free(&e);
	dbuf_free(&rows);
	return err;
}

/* Sizes come from the stored data only, as FoundationDB's estimate comes from storage. */
static int read_range_bytes(const view *v, dread *a, dbuf *r, int split, int64_t chunk) {
	int bl, el;
	const uint8_t *b = rd_bytes(a, &bl);
	const uint8_t *e = rd_bytes(a, &el);
	if (split) chunk = (int64_t)rd_u64(a);
	if (key_cmp(b, bl, e, el) > 0) return E_INVERTED_RANGE;
	int64_t total = 0, acc = 0;
	dbuf keys = {0};
	uint32_t nkeys = 1;
	dbuf_bytes(&keys, b, bl);
	for (int i = store_lower_bound(v->st, b, bl, NULL); i < v->st->n; i++) {
		const item *it = v->st->items[i];
		if (key_cmp(it->key, it->klen, e, el) >= 0) break;
		const ver_entry *ve = item_at(it, v->version);
		if (!ve || !ve->present) continue;
		total += it->klen + ve->len;
		acc += it->klen + ve->len;
		if (split && chunk > 0 && acc >= chunk && key_cmp(it->key, it->klen, b, bl) > 0) {
			dbuf_bytes(&keys, it->key, it->klen);
			nkeys++;
			acc = 0;
		}
	}
	if (split) {
		dbuf_bytes(&keys, e, el);
		dbuf_u32(r, nkeys + 1);
		dbuf_put(r, keys.data, keys.len);
	} else {
		dbuf_u64(r, (uint64_t)total);
	}
	dbuf_free(&keys);
	conflict_none(r);
	return 0;
}

int server_read(const store *st, int64_t version, dread *a, dbuf *reply) {
	int flags = rd_u8(a);
	view v;
	view_init(&v, st, version, flags & READ_SYSTEM_KEYS, flags & READ_BYPASS_UNREADABLE);
	int err = view_apply(&v, a);
	if (!err) {
		switch (rd_u8(a)) {
		case READ_GET: err = read_get(&v, a, reply); break;
		case READ_GET_KEY: err = read_get_key(&v, a, reply); break;
		case READ_GET_RANGE: err = read_range(&v, a, reply); break;
		case READ_RANGE_BYTES: err = read_range_bytes(&v, a, reply, 0, 0); break;
		case READ_SPLIT_POINTS: err = read_range_bytes(&v, a, reply, 1, 0); break;
		default: err = E_INTERNAL_ERROR;
		}
	}
	if (a->bad) err = E_INTERNAL_ERROR;
	view_free(&v);
	return err;
}
