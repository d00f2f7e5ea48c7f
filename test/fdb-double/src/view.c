/* A transaction's read view: a snapshot of the store with its own mutations laid over it. */
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "errors.h"
#include "foundationdb/fdb_c.h"
#include "store.h"
#include "wire.h"

void view_init(view *v, const store *st, int64_t version, int system_keys, int bypass_unreadable) {
	memset(v, 0, sizeof *v);
	v->st = st;
	v->version = version;
	v->bypass_unreadable = bypass_unreadable;
	v->max_key = system_keys ? (const uint8_t *)"\xff\xff" : (const uint8_t *)"\xff";
	v->max_klen = system_keys ? 2 : 1;
}

static void range_free(krange *r, int n) {
	for (int i = 0; i < n; i++) {
		free(r[i].b);
		free(r[i].e);
	}
	free(r);
}

void view_free(view *v) {
	for (int i = 0; i < v->n; i++) {
		free(v->ov[i].key);
		free(v->ov[i].val);
	}
	free(v->ov);
	range_free(v->cleared, v->ncleared);
	range_free(v->unreadable, v->nunreadable);
	memset(v, 0, sizeof *v);
}

static int ov_lower_bound(const view *v, const uint8_t *k, int klen, int *found) {
	int lo = 0, hi = v->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (key_cmp(v->ov[mid].key, v->ov[mid].klen, k, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < v->n && key_cmp(v->ov[lo].key, v->ov[lo].klen, k, klen) == 0;
	return lo;
}

static void ov_put(view *v, const uint8_t *k, int klen, int state, uint8_t *val_owned, int len, int known) {
	int found;
	int i = ov_lower_bound(v, k, klen, &found);
	if (!found) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 16;
			v->ov = xrealloc(v->ov, sizeof *v->ov * (size_t)v->cap);
		}
		memmove(v->ov + i + 1, v->ov + i, sizeof *v->ov * (size_t)(v->n - i));
		v->n++;
		v->ov[i].key = mem_dup(k, (size_t)klen);
		v->ov[i].klen = klen;
	} else {
		free(v->ov[i].val);
	}
	v->ov[i].state = state;
	v->ov[i].val = val_owned;
	v->ov[i].len = len;
	v->ov[i].known = known;
}

static int in_ranges(const krange *r, int n, const uint8_t *k, int klen) {
	for (int i = 0; i < n; i++)
		if (key_cmp(r[i].b, r[i].bl, k, klen) <= 0 && key_cmp(k, klen, r[i].e, r[i].el) < 0) return 1;
	return 0;
}

static void add_range(krange **r, int *n, const uint8_t *b, int bl, const uint8_t *e, int el) {
	*r = xrealloc(*r, sizeof **r * (size_t)(*n + 1));
	(*r)[*n] = (krange){mem_dup(b, (size_t)bl), mem_dup(e, (size_t)el), bl, el};
	(*n)++;
}

int view_lookup(const view *v, const uint8_t *k, int klen, const uint8_t **val, int *len, int *known) {
	int found;
	int i = ov_lower_bound(v, k, klen, &found);
	if (found && !(v->bypass_unreadable && v->ov[i].state == V_UNREADABLE)) {
		*val = v->ov[i].val;
		*len = v->ov[i].len;
		*known = v->ov[i].known;
		return v->ov[i].state;
	}
	*known = 0;
	if (in_ranges(v->cleared, v->ncleared, k, klen)) {
		*known = 1;
		return V_ABSENT;
	}
	if (!v->bypass_unreadable && in_ranges(v->unreadable, v->nunreadable, k, klen)) return V_UNREADABLE;
	int sfound;
	int si = store_lower_bound(v->st, k, klen, &sfound);
	if (!sfound) return V_ABSENT;
	const ver_entry *e = item_at(v->st->items[si], v->version);
	if (!e || !e->present) return V_ABSENT;
	*val = e->val;
	*len = e->len;
	return V_VALUE;
}

int view_apply(view *v, dread *r) {
	uint32_t count = rd_u32(r);
	for (uint32_t m = 0; m < count && !r->bad; m++) {
		int type = rd_u8(r), al, bl;
		const uint8_t *a = rd_bytes(r, &al);
		const uint8_t *b = rd_bytes(r, &bl);
		if (r->bad) break;
		if (type == MUT_SET) {
			ov_put(v, a, al, V_VALUE, mem_dup(b, (size_t)bl), bl, 1);
		} else if (type == MUT_CLEAR_RANGE) {
			int i = 0, found;
			i = ov_lower_bound(v, a, al, &found);
			int j = i;
			while (j < v->n && key_cmp(v->ov[j].key, v->ov[j].klen, b, bl) < 0) {
				free(v->ov[j].key);
				free(v->ov[j].val);
				j++;
			}
			memmove(v->ov + i, v->ov + j, sizeof *v->ov * (size_t)(v->n - j));
			v->n -= j - i;
			add_range(&v->cleared, &v->ncleared, a, al, b, bl);
		} else if (type == FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_VALUE) {
			ov_put(v, a, al, V_UNREADABLE, NULL, 0, 1);
		} else if (type == FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_KEY) {
			/* The key is unknown until commit: every key it could become is unreadable. */
			int klen = al - 4;
			uint32_t off = (uint32_t)a[al - 4] | (uint32_t)a[al - 3] << 8 | (uint32_t)a[al - 2] << 16 |
			               (uint32_t)a[al - 1] << 24;
			uint8_t *lo = mem_dup(a, (size_t)klen), *hi = xmalloc((size_t)klen + 1);
			memcpy(hi, a, (size_t)klen);
			memset(lo + off, 0x00, 10);
			memset(hi + off, 0xff, 10);
			hi[klen] = 0;
			add_range(&v->unreadable, &v->nunreadable, lo, klen, hi, klen + 1);
			free(lo);
			free(hi);
		} else {
			const uint8_t *old = NULL;
			int old_len = 0, known;
			int state = view_lookup(v, a, al, &old, &old_len, &known);
			if (state == V_UNREADABLE) {
				ov_put(v, a, al, V_UNREADABLE, NULL, 0, 1);
				continue;
			}
			uint8_t *out = NULL;
			int out_len = 0;
			int present = atomic_apply(type, state == V_VALUE, old, old_len, b, bl, &out, &out_len);
			ov_put(v, a, al, present ? V_VALUE : V_ABSENT, out, out_len, known);
		}
	}
	return r->bad ? E_INTERNAL_ERROR : 0;
}

static int below_max(const view *v, const uint8_t *k, int klen) {
	return key_cmp(k, klen, v->max_key, v->max_klen) < 0;
}

/* The next store key that the overlay does not shadow and that is visible at the version. */
static int store_step(const view *v, const uint8_t *k, int klen, int forward, int inclusive, vkey *out) {
	const store *s = v->st;
	int found = 0;
	int i = k ? store_lower_bound(s, k, klen, &found) : (forward ? 0 : s->n);
	if (forward) {
		if (found && !inclusive) i++;
	} else {
		i = (found && inclusive) ? i : i - 1;
	}
	for (; i >= 0 && i < s->n; i += forward ? 1 : -1) {
		const item *it = s->items[i];
		int ofound;
		ov_lower_bound(v, it->key, it->klen, &ofound);
		if (ofound || in_ranges(v->cleared, v->ncleared, it->key, it->klen)) continue;
		const ver_entry *e = item_at(it, v->version);
		if (!e || !e->present) continue;
		*out = (vkey){it->key, it->klen, V_VALUE, e->val, e->len};
		return 1;
	}
	return 0;
}

static int overlay_step(const view *v, const uint8_t *k, int klen, int forward, int inclusive, vkey *out) {
	int found = 0;
	int i = k ? ov_lower_bound(v, k, klen, &found) : (forward ? 0 : v->n);
	if (forward) {
		if (found && !inclusive) i++;
	} else {
		i = (found && inclusive) ? i : i - 1;
	}
	for (; i >= 0 && i < v->n; i += forward ? 1 : -1) {
		const ov_entry *o = &v->ov[i];
		if (o->state == V_ABSENT) continue;
		if (o->state == V_UNREADABLE && v->bypass_unreadable) {
			/* bypass: the key reads as what the database holds */
			int sfound;
			int si = store_lower_bound(v->st, o->key, o->klen, &sfound);
			const ver_entry *e = sfound ? item_at(v->st->items[si], v->version) : NULL;
			if (!e || !e->present) continue;
			*out = (vkey){o->key, o->klen, V_VALUE, e->val, e->len};
			return 1;
		}
		*out = (vkey){o->key, o->klen, o->state, o->val, o->len};
		return 1;
	}
	return 0;
}

int view_step(const view *v, const uint8_t *k, int klen, int forward, int inclusive, vkey *out) {
	vkey a, b;
	int ha = store_step(v, k, klen, forward, inclusive, &a);
	int hb = overlay_step(v, k, klen, forward, inclusive, &b);
	if (!ha && !hb) return 0;
	if (ha && hb) {
		int c = key_cmp(a.key, a.klen, b.key, b.klen);
		*out = (forward ? c < 0 : c > 0) ? a : b;
	} else {
		*out = ha ? a : b;
	}
	return below_max(v, out->key, out->klen);
}

int view_range_unreadable(const view *v, const uint8_t *b, int bl, const uint8_t *e, int el) {
	if (v->bypass_unreadable) return 0;
	for (int i = 0; i < v->nunreadable; i++) {
		const krange *r = &v->unreadable[i];
		if (key_cmp(r->b, r->bl, e, el) < 0 && key_cmp(b, bl, r->e, r->el) < 0) return 1;
	}
	return 0;
}
