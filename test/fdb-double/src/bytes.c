#include "bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *xmalloc(size_t n) {
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "fdb-double: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

void *xcalloc(size_t count, size_t n) {
	void *p = calloc(count ? count : 1, n ? n : 1);
	if (!p) {
		fprintf(stderr, "fdb-double: out of memory\n");
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t n) {
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "fdb-double: out of memory (%zu bytes)\n", n);
		abort();
	}
	return q;
}

uint8_t *mem_dup(const void *p, size_t n) {
	uint8_t *q = xmalloc(n);
	if (n) memcpy(q, p, n);
	return q;
}

void dbuf_reserve(dbuf *b, size_t extra) {
	if (b->len + extra <= b->cap) return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra) cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void dbuf_put(dbuf *b, const void *p, size_t n) {
	dbuf_reserve(b, n);
	if (n) memcpy(b->data + b->len, p, n);
	b->len += n;
}

void dbuf_u8(dbuf *b, uint8_t v) { dbuf_put(b, &v, 1); }

void dbuf_u16be(dbuf *b, uint16_t v) {
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	dbuf_put(b, x, 2);
}

void dbuf_u32(dbuf *b, uint32_t v) {
	uint8_t x[4];
	for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
	dbuf_put(b, x, 4);
}

void dbuf_u64(dbuf *b, uint64_t v) {
	uint8_t x[8];
	for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
	dbuf_put(b, x, 8);
}

void dbuf_bytes(dbuf *b, const uint8_t *p, int n) {
	dbuf_u32(b, (uint32_t)n);
	dbuf_put(b, p, (size_t)n);
}

void dbuf_free(dbuf *b) {
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void dbuf_consume(dbuf *b, size_t n) {
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

static const uint8_t *take(dread *r, size_t n) {
	if (r->bad || r->left < n) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t rd_u8(dread *r) {
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t rd_u32(dread *r) {
	const uint8_t *p = take(r, 4);
	uint32_t v = 0;
	if (p)
		for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t rd_u64(dread *r) {
	const uint8_t *p = take(r, 8);
	uint64_t v = 0;
	if (p)
		for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
	return v;
}

const uint8_t *rd_bytes(dread *r, int *len) {
	uint32_t n = rd_u32(r);
	const uint8_t *p = take(r, n);
	*len = p ? (int)n : 0;
	return p ? p : (const uint8_t *)"";
}

int key_cmp(const uint8_t *a, int alen, const uint8_t *b, int blen) {
	int n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, (size_t)n) : 0;
	if (c) return c;
	return alen < blen ? -1 : alen > blen;
}

double now_monotonic(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t now_wall_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
