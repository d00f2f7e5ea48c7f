#include "store.h"

#include <stdlib.h>
#include <string.h>

int store_lower_bound(const store *s, const uint8_t *k, int klen, int *found) {
	int lo = 0, hi = s->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (key_cmp(s->items[mid]->key, s->items[mid]->klen, k, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (found) *found = lo < s->n && key_cmp(s->items[lo]->key, s->items[lo]->klen, k, klen) == 0;
	return lo;
}

const ver_entry *item_at(const item *it, int64_t version) {
	for (int i = it->n - 1; i >= 0; i--)
		if (it->v[i].version <= version) return &it->v[i];
	return NULL;
}

int store_latest(const store *s, const uint8_t *k, int klen, const uint8_t **val, int *len) {
	int found;
	int i = store_lower_bound(s, k, klen, &found);
	if (!found) return 0;
	const item *it = s->items[i];
	const ver_entry *e = &it->v[it->n - 1];
	*val = e->val;
	*len = e->len;
	return e->present;
}

void store_write(store *s, const uint8_t *k, int klen, int64_t version, int present, const uint8_t *val, int len) {
	int found;
	int i = store_lower_bound(s, k, klen, &found);
	item *it;
	if (!found) {
		if (!present) return; /* clearing a key nobody ever wrote changes nothing */
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 64;
			s->items = xrealloc(s->items, sizeof *s->items * (size_t)s->cap);
		}
		memmove(s->items + i + 1, s->items + i, sizeof *s->items * (size_t)(s->n - i));
		it = xcalloc(1, sizeof *it);
		it->key = mem_dup(k, (size_t)klen);
		it->klen = klen;
		s->items[i] = it;
		s->n++;
	} else {
		it = s->items[i];
	}
	ver_entry *last = it->n ? &it->v[it->n - 1] : NULL;
	if (last && last->version == version) {
		free(last->val);
	} else {
		if (it->n == it->cap) {
			it->cap = it->cap ? it->cap * 2 : 2;
			it->v = xrealloc(it->v, sizeof *it->v * (size_t)it->cap);
		}
		last = &it->v[it->n++];
	}
	last->version = version;
	last->present = present;
	last->val = present ? mem_dup(val, (size_t)len) : NULL;
	last->len = present ? len : 0;
}

static void item_free(item *it) {
	for (int i = 0; i < it->n; i++) free(it->v[i].val);
	free(it->v);
	free(it->key);
	free(it);
}

void store_gc(store *s, int64_t oldest) {
	int out = 0;
	for (int i = 0; i < s->n; i++) {
		item *it = s->items[i];
		int keep_from = 0; /* the newest entry at or before `oldest` is still visible */
		for (int j = it->n - 1; j >= 0; j--)
			if (it->v[j].version <= oldest) {
				keep_from = j;
				break;
			}
		for (int j = 0; j < keep_from; j++) free(it->v[j].val);
		memmove(it->v, it->v + keep_from, sizeof *it->v * (size_t)(it->n - keep_from));
		it->n -= keep_from;
		if (it->n == 1 && !it->v[0].present && it->v[0].version <= oldest) {
			item_free(it);
			continue;
		}
		s->items[out++] = it;
	}
	s->n = out;
}
