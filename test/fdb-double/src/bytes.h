/*
 * Byte buffers and the little wire encoding shared by the client library and the server.
 * Integers are little-endian; byte strings are a u32 length then the bytes.
 */
#ifndef FDB_DOUBLE_BYTES_H
#define FDB_DOUBLE_BYTES_H

#include <stddef.h>
#include <stdint.h>

/** A growable byte buffer. Zero-initialised is empty. */
typedef struct dbuf {
	uint8_t *data;
	size_t len, cap;
} dbuf;

void dbuf_reserve(dbuf *b, size_t extra);
void dbuf_put(dbuf *b, const void *p, size_t n);
void dbuf_u8(dbuf *b, uint8_t v);
void dbuf_u16be(dbuf *b, uint16_t v);
void dbuf_u32(dbuf *b, uint32_t v);
void dbuf_u64(dbuf *b, uint64_t v);
void dbuf_bytes(dbuf *b, const uint8_t *p, int n);
void dbuf_free(dbuf *b);
/** Drops the first n bytes. */
void dbuf_consume(dbuf *b, size_t n);

/** A cursor over received bytes; `bad` is set (and stays set) on any overrun. */
typedef struct dread {
	const uint8_t *p;
	size_t left;
	int bad;
} dread;

uint8_t rd_u8(dread *r);
uint32_t rd_u32(dread *r);
uint64_t rd_u64(dread *r);
/** Returns a pointer into the buffer (not copied) and its length. */
const uint8_t *rd_bytes(dread *r, int *len);

/** memcmp order, shorter first on a common prefix: FoundationDB's key order. */
int key_cmp(const uint8_t *a, int alen, const uint8_t *b, int blen);
/** A malloc'd copy (never NULL, even for n == 0). */
uint8_t *mem_dup(const void *p, size_t n);
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);

/** Monotonic clock in seconds, and wall clock in microseconds. */
double now_monotonic(void);
int64_t now_wall_us(void);

#endif
