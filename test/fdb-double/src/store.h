/*
 * The server's multi-version key-value map and the read view of one transaction.
 *
 * Every key keeps its values at the versions that wrote them, back to the oldest version
 * a transaction may still read at (5 s of versions), so reads at any live read version are
 * snapshots. A view is that snapshot with the transaction's own mutations laid over it
 * (read-your-writes), which is how reads see earlier writes of the same transaction.
 */
#ifndef FDB_DOUBLE_STORE_H
#define FDB_DOUBLE_STORE_H

#include <stdint.h>

#include "bytes.h"

typedef struct ver_entry {
	int64_t version;
	int present;
	uint8_t *val;
	int len;
} ver_entry;

typedef struct item {
	uint8_t *key;
	int klen;
	ver_entry *v; /* ascending versions */
	int n, cap;
} item;

typedef struct store {
	item **items; /* ascending keys */
	int n, cap;
} store;

/** Index of the first item with key >= k; *found when equal. */
int store_lower_bound(const store *s, const uint8_t *k, int klen, int *found);
/** The item's value at `version` (latest entry <= version), or NULL if none. */
const ver_entry *item_at(const item *it, int64_t version);
/** The key's newest value (present or not). */
int store_latest(const store *s, const uint8_t *k, int klen, const uint8_t **val, int *len);
/** Writes a value (present = 0: a clear) at `version`, replacing one already at it. */
void store_write(store *s, const uint8_t *k, int klen, int64_t version, int present, const uint8_t *val, int len);
/** Forgets history that no read version >= oldest can see. */
void store_gc(store *s, int64_t oldest);

/** How a key reads in a view. */
enum { V_ABSENT = 0, V_VALUE = 1, V_UNREADABLE = 2 };

typedef struct ov_entry {
	uint8_t *key;
	int klen;
	int state;
	uint8_t *val;
	int len;
	int known; /* decided by the transaction alone (set/clear): reading it adds no conflict */
} ov_entry;

typedef struct krange {
	uint8_t *b, *e;
	int bl, el;
} krange;

typedef struct view {
	const store *st;
	int64_t version;
	ov_entry *ov; /* ascending keys */
	int n, cap;
	krange *cleared, *unreadable;
	int ncleared, nunreadable;
	int bypass_unreadable;
	const uint8_t *max_key; /* \xff, or \xff\xff with system keys */
	int max_klen;
} view;

void view_init(view *v, const store *st, int64_t version, int system_keys, int bypass_unreadable);
/** Lays the transaction's mutations (wire encoding) over the snapshot. 0, or an error code. */
int view_apply(view *v, dread *mutations);
void view_free(view *v);

/** A key's state in the view; *known as for ov_entry. */
int view_lookup(const view *v, const uint8_t *k, int klen, const uint8_t **val, int *len, int *known);

/** A found key: points into the store or the overlay, valid while both are unchanged. */
typedef struct vkey {
	const uint8_t *key;
	int klen;
	int state;
	const uint8_t *val;
	int len;
} vkey;

/**
 * The next visible key after `k` (forward) or before it (backward); `inclusive` also
 * accepts `k` itself. k == NULL starts at the very beginning (forward) or end (backward).
 * Returns 1 when found.
 */
int view_step(const view *v, const uint8_t *k, int klen, int forward, int inclusive, vkey *out);

/** Whether [b, e) touches a versionstamped key whose key is unknown until commit. */
int view_range_unreadable(const view *v, const uint8_t *b, int bl, const uint8_t *e, int el);

#endif
