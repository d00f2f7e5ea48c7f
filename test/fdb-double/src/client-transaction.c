/*
 * Transactions: buffered mutations, conflict ranges, reads through the server (which lays
 * the transaction's own writes over its snapshot), commits, watches, on_error and options.
 * Every function takes g_mu.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "client.h"
#include "errors.h"
#include "wire.h"

#define KEY_SIZE_LIMIT 10000
#define VALUE_SIZE_LIMIT 100000

static void lock(void) { pthread_mutex_lock(&g_mu); }
static void unlock(void) { pthread_mutex_unlock(&g_mu); }

static int max_read_klen(const FDBTransaction *tr) { return tr->opt.system_keys || tr->opt.read_system_keys ? 2 : 1; }
static int max_write_klen(const FDBTransaction *tr) { return tr->opt.system_keys ? 2 : 1; }
static const uint8_t MAX_KEY[] = {0xff, 0xff};

/* key >= the end of what may be read or written ("\xff", or "\xff\xff" with system keys) */
static int beyond(const uint8_t *k, int kl, int max_len) { return key_cmp(k, kl, MAX_KEY, max_len) >= 0; }

/* The error every operation reports while the transaction cannot be used. */
static fdb_error_t unusable(const FDBTransaction *tr) {
	if (tr->cancelled) return E_TRANSACTION_CANCELLED;
	if (tr->timed_out) return E_TRANSACTION_TIMED_OUT;
	if (tr->committing && !tr->committed) return E_USED_DURING_COMMIT;
	return tr->deferred;
}

static void defer(FDBTransaction *tr, fdb_error_t err) {
	if (!tr->deferred) tr->deferred = err;
}

/* ---- watches of this transaction ---- */

static void tx_watch_free(FDBTransaction *tr, tx_watch *w) {
	for (tx_watch **p = &tr->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	if (w->armed) tr->db->watch_count--;
	if (w->f) w->f->watch = NULL;
	free(w->key);
	free(w->val);
	free(w->written_val);
	free(w);
}

static void tx_watch_end(FDBTransaction *tr, tx_watch *w, fdb_error_t err) {
	FDBFuture *f = w->f;
	w->f = NULL;
	tx_watch_free(tr, w);
	if (f) future_complete(f, err);
}

/* A watch reports a change made by its own transaction at once, as FoundationDB's does. */
static void trigger_watches(FDBTransaction *tr, const uint8_t *b, int bl, const uint8_t *e, int el, int known,
                            int present, const uint8_t *val, int len) {
	for (tx_watch *w = tr->watches, *next; w; w = next) {
		next = w->next;
		if (key_cmp(w->key, w->klen, b, bl) < 0 || key_cmp(w->key, w->klen, e, el) >= 0) continue;
		if (!w->armed) { /* its value is still being read: compare when it arrives */
			w->written = 1;
			w->written_known = known;
			w->written_present = present;
			free(w->written_val);
			w->written_val = mem_dup(val, (size_t)len);
			w->written_len = len;
			continue;
		}
		int same = known && present == w->present && (!present || key_cmp(val, len, w->val, w->len) == 0);
		if (!same) tx_watch_end(tr, w, 0);
	}
}

/* ---- state ---- */

void tx_options_default(FDBTransaction *tr) {
	tr->opt = tr->db->defaults;
}

void tx_fail_outstanding(FDBTransaction *tr, fdb_error_t err) {
	while (tr->watches) tx_watch_end(tr, tr->watches, err);
	while (tr->futures) future_complete(tr->futures, err);
}

static void on_timeout(void *p) {
	FDBTransaction *tr = p;
	tr->timeout_timer = NULL;
	tr->timed_out = 1;
	tx_fail_outstanding(tr, E_TRANSACTION_TIMED_OUT);
}

static void arm_timeout(FDBTransaction *tr) {
	if (tr->timeout_timer) timer_cancel(tr->timeout_timer);
	tr->timeout_timer = NULL;
	if (tr->opt.timeout_ms > 0) tr->timeout_timer = timer_add(tr->created + tr->opt.timeout_ms / 1000.0, on_timeout, tr);
}

/* Forgets everything the transaction did. `full`: also its options, retries and clock
 * (fdb_transaction_reset); otherwise what on_error keeps (timeout, limits, backoff). */
static void tx_clear(FDBTransaction *tr, int full) {
	tx_fail_outstanding(tr, E_TRANSACTION_CANCELLED);
	while (tr->requests) tx_forget_request(tr, tr->requests);
	while (tr->waiting_rv) {
		request *r = tr->waiting_rv;
		tr->waiting_rv = r->next;
		request_drop(r);
	}
	tr->gen++;
	tr->rv_state = 0;
	tr->muts.len = tr->reads.len = tr->writes.len = 0;
	tr->nmuts = tr->nreads = tr->nwrites = 0;
	tr->size = 0;
	tr->next_write_no_conflict = 0;
	tr->deferred = 0;
	tr->committing = tr->committed = tr->cancelled = 0;
	tr->committed_version = -1;
	tr->reads_outstanding = 0;
	tx_options persist = tr->opt;
	tx_options_default(tr);
	if (full) {
		tr->retries = 0;
		tr->backoff = 0.01;
		tr->created = now_monotonic();
		tr->timed_out = 0;
	} else {
		tr->opt.timeout_ms = persist.timeout_ms;
		tr->opt.retry_limit = persist.retry_limit;
		tr->opt.max_retry_delay_ms = persist.max_retry_delay_ms;
		tr->opt.size_limit = persist.size_limit;
	}
	arm_timeout(tr);
}

fdb_error_t fdb_database_create_transaction(FDBDatabase *db, FDBTransaction **out) {
	lock();
	FDBTransaction *tr = xcalloc(1, sizeof *tr);
	tr->db = db;
	db->refs++;
	tx_clear(tr, 1);
	*out = tr;
	unlock();
	return 0;
}

void fdb_transaction_reset(FDBTransaction *tr) {
	lock();
	tx_clear(tr, 1);
	unlock();
}

void fdb_transaction_cancel(FDBTransaction *tr) {
	lock();
	tx_fail_outstanding(tr, E_TRANSACTION_CANCELLED);
	tr->cancelled = 1;
	unlock();
}

void fdb_transaction_destroy(FDBTransaction *tr) {
	if (!tr) return;
	lock();
	tx_clear(tr, 0);
	if (tr->timeout_timer) timer_cancel(tr->timeout_timer);
	dbuf_free(&tr->muts);
	dbuf_free(&tr->reads);
	dbuf_free(&tr->writes);
	db_unref(tr->db);
	free(tr);
	unlock();
}

/* ---- options ---- */

static int int_option(const uint8_t *v, int len, int64_t *out) {
	if (!v || len != 8) return 0;
	int64_t x = 0;
	for (int i = 7; i >= 0; i--) x = (x << 8) | v[i];
	*out = x;
	return 1;
}

/* Options shared by transactions and the database's transaction defaults. 1 if known. */
int apply_tx_option(tx_options *o, int code, const uint8_t *v, int len, fdb_error_t *err) {
	int64_t x = 0;
	*err = 0;
	switch (code) {
	case FDB_TR_OPTION_TIMEOUT:
		if (!int_option(v, len, &x) || x < 0 || x > INT_MAX) *err = E_INVALID_OPTION_VALUE;
		else o->timeout_ms = x;
		return 1;
	case FDB_TR_OPTION_RETRY_LIMIT:
		if (!int_option(v, len, &x) || x < -1 || x > INT_MAX) *err = E_INVALID_OPTION_VALUE;
		else o->retry_limit = x;
		return 1;
	case FDB_TR_OPTION_MAX_RETRY_DELAY:
		if (!int_option(v, len, &x) || x < 0 || x > INT_MAX) *err = E_INVALID_OPTION_VALUE;
		else o->max_retry_delay_ms = x;
		return 1;
	case FDB_TR_OPTION_SIZE_LIMIT:
		if (!int_option(v, len, &x) || x < 32 || x > 10000000) *err = E_INVALID_OPTION_VALUE;
		else o->size_limit = x;
		return 1;
	case FDB_TR_OPTION_CAUSAL_READ_RISKY: o->causal_read_risky = 1; return 1;
	case FDB_TR_OPTION_SNAPSHOT_RYW_ENABLE: o->snapshot_ryw_disabled = 0; return 1;
	case FDB_TR_OPTION_SNAPSHOT_RYW_DISABLE: o->snapshot_ryw_disabled = 1; return 1;
	case FDB_TR_OPTION_BYPASS_UNREADABLE: o->bypass_unreadable = 1; return 1;
	default: return 0;
	}
}

/* Options the double accepts and ignores: they tune performance, tracing or priorities. */
static int ignored_tx_option(int code) {
	static const int codes[] = {10, 21, 23, 40, 50, 52, 110, 120, 130, 200, 201, 300, 303, 400, 401, 402, 403, 404, 405,
	                            406, 504, 505, 700, 701, 702, 710, 711, 712, 713, 714, 800, 801, 900, 1000, 1101,
	                            1102, 2000};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i] == code) return 1;
	return 0;
}

fdb_error_t fdb_transaction_set_option(FDBTransaction *tr, FDBTransactionOption option, uint8_t const *value,
                                       int value_length) {
	lock();
	fdb_error_t err = 0;
	if (apply_tx_option(&tr->opt, option, value, value_length, &err)) {
		if (!err && option == FDB_TR_OPTION_TIMEOUT) arm_timeout(tr);
	} else if (option == FDB_TR_OPTION_READ_YOUR_WRITES_DISABLE) {
		tr->opt.ryw_disabled = 1;
	} else if (option == FDB_TR_OPTION_ACCESS_SYSTEM_KEYS) {
		tr->opt.system_keys = 1;
	} else if (option == FDB_TR_OPTION_READ_SYSTEM_KEYS) {
		tr->opt.read_system_keys = 1;
	} else if (option == FDB_TR_OPTION_NEXT_WRITE_NO_WRITE_CONFLICT_RANGE) {
		tr->next_write_no_conflict = 1;
	} else if (!ignored_tx_option(option)) {
		err = E_INVALID_OPTION;
	}
	unlock();
	return err;
}

/* ---- the read version ---- */

static void send_read(FDBTransaction *tr, request *r);

static void on_read_version(request *req, int err, dread *payload) {
	FDBTransaction *tr = req->tr;
	if (!tr) return;
	if (err) return tx_fail_outstanding(tr, err);
	tr->read_version = (int64_t)rd_u64(payload);
	tr->rv_state = 2;
	tr->rv_epoch = tr->db->epoch;
	for (FDBFuture *f = tr->futures, *next; f; f = next) {
		next = f->tr_next;
		if (f->role == ROLE_READ_VERSION) {
			f->i64 = tr->read_version;
			future_complete(f, 0);
		}
	}
	while (tr->waiting_rv) {
		request *r = tr->waiting_rv;
		tr->waiting_rv = r->next;
		send_read(tr, r);
	}
}

static void need_read_version(FDBTransaction *tr) {
	if (tr->rv_state) return;
	tr->rv_state = 1;
	request_send(request_new(tr->db, MSG_GRV, tr, NULL, on_read_version));
}

FDBFuture *fdb_transaction_get_read_version(FDBTransaction *tr) {
	lock();
	FDBFuture *f;
	fdb_error_t err = unusable(tr);
	if (err) {
		f = future_error(FK_INT64, err);
	} else {
		f = future_new(FK_INT64, tr);
		if (tr->rv_state == 2) {
			f->i64 = tr->read_version;
			future_complete(f, 0);
		} else {
			f->role = ROLE_READ_VERSION;
			need_read_version(tr);
		}
	}
	unlock();
	return f;
}

void fdb_transaction_set_read_version(FDBTransaction *tr, int64_t version) {
	lock();
	if (tr->rv_state)
		defer(tr, E_READ_VERSION_ALREADY_SET);
	else if (version < 0)
		defer(tr, E_VERSION_INVALID);
	else {
		tr->read_version = version;
		tr->rv_state = 2;
		tr->rv_epoch = tr->db->epoch;
	}
	unlock();
}

/* ---- reads ---- */

static void send_commit(FDBTransaction *tr, FDBFuture *f);

static void read_finished(FDBTransaction *tr) {
	if (--tr->reads_outstanding == 0 && tr->commit_f) {
		FDBFuture *f = tr->commit_f;
		tr->commit_f = NULL;
		send_commit(tr, f);
	}
}

static void add_range(dbuf *b, uint32_t *n, const uint8_t *k, int kl, const uint8_t *e, int el) {
	dbuf_bytes(b, k, kl);
	dbuf_bytes(b, e, el);
	(*n)++;
}

/* Takes the read conflict range that ends every read reply. */
static void take_conflict(FDBTransaction *tr, request *req, dread *p) {
	if (!rd_u8(p)) return;
	int bl, el;
	const uint8_t *b = rd_bytes(p, &bl);
	const uint8_t *e = rd_bytes(p, &el);
	if (tr && !req->snapshot && !p->bad) {
		add_range(&tr->reads, &tr->nreads, b, bl, e, el);
		tr->size += bl + el;
	}
}

static void parse_result(FDBFuture *f, int kind, dread *p) {
	switch (kind) {
	case READ_GET: {
		f->present = rd_u8(p);
		const uint8_t *v = rd_bytes(p, &f->len);
		f->data = mem_dup(v, (size_t)f->len);
		break;
	}
	case READ_GET_KEY: {
		const uint8_t *k = rd_bytes(p, &f->len);
		f->data = mem_dup(k, (size_t)f->len);
		break;
	}
	case READ_GET_RANGE:
	case READ_SPLIT_POINTS: {
		/* One copy of the payload; the arrays point into it. */
		uint32_t n = rd_u32(p);
		if (n > p->left) n = 0;
		f->data = mem_dup(p->p, p->left);
		dread q = {f->data, p->left, 0};
		if (kind == READ_GET_RANGE) {
			f->kvs = xcalloc(n ? n : 1, sizeof *f->kvs);
			for (uint32_t i = 0; i < n; i++) {
				f->kvs[i].key = rd_bytes(&q, &f->kvs[i].key_length);
				f->kvs[i].value = rd_bytes(&q, &f->kvs[i].value_length);
			}
			f->more = rd_u8(&q);
		} else {
			f->keys = xcalloc(n ? n : 1, sizeof *f->keys);
			for (uint32_t i = 0; i < n; i++) f->keys[i].key = rd_bytes(&q, &f->keys[i].key_length);
		}
		f->count = (int)n;
		p->p = q.p - f->data + p->p;
		p->left = q.left;
		break;
	}
	case READ_RANGE_BYTES: f->i64 = (int64_t)rd_u64(p); break;
	default: break;
	}
}

static void on_read(request *req, int err, dread *p) {
	FDBTransaction *tr = req->tr;
	FDBFuture *f = req->f;
	if (!err && p) {
		if (f) parse_result(f, req->read_kind, p);
		else {
			FDBFuture scratch = {0};
			parse_result(&scratch, req->read_kind, p);
			free(scratch.data);
			free(scratch.kvs);
			free(scratch.keys);
		}
		take_conflict(tr, req, p);
	}
	if (f) future_complete(f, err);
	if (tr) read_finished(tr);
}

/* A watch's value, read in its transaction; then it is armed (or fires at once). */
static void on_watch_value(request *req, int err, dread *p) {
	FDBTransaction *tr = req->tr;
	FDBFuture *f = req->f;
	tx_watch *w = f ? f->watch : NULL;
	if (!tr || !w) {
		if (tr) read_finished(tr);
		return;
	}
	if (err) {
		tx_watch_end(tr, w, err);
		return read_finished(tr);
	}
	w->present = rd_u8(p);
	const uint8_t *v = rd_bytes(p, &w->len);
	w->val = mem_dup(v, (size_t)w->len);
	take_conflict(tr, req, p);
	if (w->written) {
		int same = w->written_known && w->written_present == w->present &&
		           (!w->present || key_cmp(w->written_val, w->written_len, w->val, w->len) == 0);
		if (!same) {
			tx_watch_end(tr, w, 0);
			return read_finished(tr);
		}
	}
	if (tr->db->watch_count >= tr->db->max_watches) {
		tx_watch_end(tr, w, E_TOO_MANY_WATCHES);
		return read_finished(tr);
	}
	tr->db->watch_count++;
	w->armed = 1;
	read_finished(tr);
}

static void send_read(FDBTransaction *tr, request *r) {
	if (tr->rv_epoch != tr->db->epoch) { /* the read version belongs to a cluster that is gone */
		tx_forget_request(tr, r);
		r->tr = tr;
		r->on_reply(r, E_TRANSACTION_TOO_OLD, NULL);
		r->tr = NULL;
		request_drop(r);
		return;
	}
	for (int i = 0; i < 8; i++) r->frame.data[13 + i] = (uint8_t)((uint64_t)tr->read_version >> (8 * i));
	request_send(r);
}

/* Starts a read: the frame up to the kind; the caller appends the arguments, then dispatches. */
static request *read_begin(FDBTransaction *tr, FDBFuture *f, int kind, int snapshot, reply_fn fn) {
	request *r = request_new(tr->db, MSG_READ, tr, f, fn);
	r->snapshot = snapshot;
	r->read_kind = kind;
	dbuf_u64(&r->frame, 0); /* the read version, filled in when known */
	uint8_t flags = (uint8_t)((tr->opt.system_keys || tr->opt.read_system_keys ? READ_SYSTEM_KEYS : 0) |
	                          (tr->opt.bypass_unreadable ? READ_BYPASS_UNREADABLE : 0));
	dbuf_u8(&r->frame, flags);
	int ryw = !tr->opt.ryw_disabled && !(snapshot && tr->opt.snapshot_ryw_disabled);
	dbuf_u32(&r->frame, ryw ? tr->nmuts : 0);
	if (ryw) dbuf_put(&r->frame, tr->muts.data, tr->muts.len);
	dbuf_u8(&r->frame, (uint8_t)kind);
	tr->reads_outstanding++;
	return r;
}

static void read_dispatch(FDBTransaction *tr, request *r) {
	if (tr->rv_state == 2) return send_read(tr, r);
	r->next = tr->waiting_rv;
	tr->waiting_rv = r;
	need_read_version(tr);
}

FDBFuture *fdb_transaction_get(FDBTransaction *tr, uint8_t const *key, int key_length, fdb_bool_t snapshot) {
	lock();
	FDBFuture *f;
	fdb_error_t err = unusable(tr);
	if (!err && key_length > KEY_SIZE_LIMIT) err = E_KEY_TOO_LARGE;
	if (!err && beyond(key, key_length, max_read_klen(tr))) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) {
		f = future_error(FK_VALUE, err);
	} else {
		f = future_new(FK_VALUE, tr);
		request *r = read_begin(tr, f, READ_GET, snapshot, on_read);
		dbuf_bytes(&r->frame, key, key_length);
		read_dispatch(tr, r);
	}
	unlock();
	return f;
}

static int selector_ok(const FDBTransaction *tr, const uint8_t *k, int kl) {
	return key_cmp(k, kl, MAX_KEY, max_read_klen(tr)) <= 0;
}

FDBFuture *fdb_transaction_get_key(FDBTransaction *tr, uint8_t const *key, int key_length, fdb_bool_t or_equal,
                                   int offset, fdb_bool_t snapshot) {
	lock();
	FDBFuture *f;
	fdb_error_t err = unusable(tr);
	if (!err && !selector_ok(tr, key, key_length)) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) {
		f = future_error(FK_KEY, err);
	} else {
		f = future_new(FK_KEY, tr);
		request *r = read_begin(tr, f, READ_GET_KEY, snapshot, on_read);
		dbuf_bytes(&r->frame, key, key_length);
		dbuf_u8(&r->frame, (uint8_t)(or_equal != 0));
		dbuf_u32(&r->frame, (uint32_t)offset);
		read_dispatch(tr, r);
	}
	unlock();
	return f;
}

/* fdb_c's mapping of streaming modes to a byte limit per batch. */
static int mode_bytes(FDBStreamingMode mode, int iteration, int *out) {
	static const int modes[] = {0, 256, 1000, 4096, 80000}; /* EXACT..SERIAL; 0 = unlimited */
	static const int progression[] = {4096, 6144, 9216, 13824, 20736, 31104, 46656, 69984, 80000, 120000};
	if (mode == FDB_STREAMING_MODE_WANT_ALL) mode = FDB_STREAMING_MODE_EXACT;
	if (mode == FDB_STREAMING_MODE_ITERATOR) {
		if (iteration <= 0) return 0;
		if (iteration > 10) iteration = 10;
		*out = progression[iteration - 1];
		return 1;
	}
	if (mode < 0 || mode > FDB_STREAMING_MODE_SERIAL) return 0;
	*out = modes[mode];
	return 1;
}

FDBFuture *fdb_transaction_get_range(FDBTransaction *tr, uint8_t const *bk, int bl, fdb_bool_t b_or_equal, int b_offset,
                                     uint8_t const *ek, int el, fdb_bool_t e_or_equal, int e_offset, int limit,
                                     int target_bytes, FDBStreamingMode mode, int iteration, fdb_bool_t snapshot,
                                     fdb_bool_t reverse) {
	lock();
	FDBFuture *f;
	int per_mode = 0;
	fdb_error_t err = unusable(tr);
	if (!err && (limit < 0 || target_bytes < 0)) err = E_RANGE_LIMITS_INVALID;
	if (!err && limit == 0 && target_bytes == 0 && mode == FDB_STREAMING_MODE_EXACT) err = E_EXACT_MODE_WITHOUT_LIMITS;
	if (!err && !mode_bytes(mode, iteration, &per_mode)) err = E_CLIENT_INVALID_OPERATION;
	if (!err && (!selector_ok(tr, bk, bl) || !selector_ok(tr, ek, el))) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) {
		f = future_error(FK_KVS, err);
	} else {
		if (target_bytes == 0) target_bytes = per_mode;
		else if (per_mode && per_mode < target_bytes) target_bytes = per_mode;
		f = future_new(FK_KVS, tr);
		request *r = read_begin(tr, f, READ_GET_RANGE, snapshot, on_read);
		dbuf_bytes(&r->frame, bk, bl);
		dbuf_u8(&r->frame, (uint8_t)(b_or_equal != 0));
		dbuf_u32(&r->frame, (uint32_t)b_offset);
		dbuf_bytes(&r->frame, ek, el);
		dbuf_u8(&r->frame, (uint8_t)(e_or_equal != 0));
		dbuf_u32(&r->frame, (uint32_t)e_offset);
		dbuf_u32(&r->frame, (uint32_t)limit);
		dbuf_u32(&r->frame, (uint32_t)target_bytes);
		dbuf_u8(&r->frame, (uint8_t)(reverse != 0));
		read_dispatch(tr, r);
	}
	unlock();
	return f;
}

static FDBFuture *range_stat(FDBTransaction *tr, const uint8_t *b, int bl, const uint8_t *e, int el, int split,
                             int64_t chunk) {
	lock();
	FDBFuture *f;
	future_kind kind = split ? FK_KEYS : FK_INT64;
	fdb_error_t err = unusable(tr);
	if (!err && key_cmp(b, bl, e, el) > 0) err = E_INVERTED_RANGE;
	if (!err && (!selector_ok(tr, b, bl) || !selector_ok(tr, e, el))) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) {
		f = future_error(kind, err);
	} else {
		f = future_new(kind, tr);
		request *r = read_begin(tr, f, split ? READ_SPLIT_POINTS : READ_RANGE_BYTES, 1, on_read);
		dbuf_bytes(&r->frame, b, bl);
		dbuf_bytes(&r->frame, e, el);
		if (split) dbuf_u64(&r->frame, (uint64_t)chunk);
		read_dispatch(tr, r);
	}
	unlock();
	return f;
}

FDBFuture *fdb_transaction_get_estimated_range_size_bytes(FDBTransaction *tr, uint8_t const *b, int bl,
                                                          uint8_t const *e, int el) {
	return range_stat(tr, b, bl, e, el, 0, 0);
}

FDBFuture *fdb_transaction_get_range_split_points(FDBTransaction *tr, uint8_t const *b, int bl, uint8_t const *e,
                                                  int el, int64_t chunk_size) {
	return range_stat(tr, b, bl, e, el, 1, chunk_size);
}

FDBFuture *fdb_transaction_get_addresses_for_key(FDBTransaction *tr, uint8_t const *key, int key_length) {
	(void)key;
	(void)key_length;
	lock();
	fdb_error_t err = unusable(tr);
	FDBFuture *f;
	if (err) {
		f = future_error(FK_STRINGS, err);
	} else {
		/* One process holds every key: its address is the server's socket. */
		f = future_new(FK_STRINGS, NULL);
		f->data = mem_dup(tr->db->sock_path, strlen(tr->db->sock_path) + 1);
		f->strings = xcalloc(1, sizeof *f->strings);
		f->strings[0] = (const char *)f->data;
		f->count = 1;
		future_complete(f, 0);
	}
	unlock();
	return f;
}

/* ---- writes ---- */

static void add_mutation(FDBTransaction *tr, int type, const uint8_t *a, int al, const uint8_t *b, int bl) {
	dbuf_u8(&tr->muts, (uint8_t)type);
	dbuf_bytes(&tr->muts, a, al);
	dbuf_bytes(&tr->muts, b, bl);
	tr->nmuts++;
	tr->size += al + bl;
}

static void add_write_conflict(FDBTransaction *tr, const uint8_t *b, int bl, const uint8_t *e, int el) {
	if (tr->next_write_no_conflict) {
		tr->next_write_no_conflict = 0;
		return;
	}
	add_range(&tr->writes, &tr->nwrites, b, bl, e, el);
	tr->size += bl + el;
}

/* [k, k + "\0") */
static void key_after(const uint8_t *k, int kl, dbuf *out) {
	out->len = 0;
	dbuf_put(out, k, (size_t)kl);
	dbuf_u8(out, 0);
}

static int write_ok(FDBTransaction *tr, const uint8_t *k, int kl) {
	fdb_error_t err = unusable(tr);
	if (!err && kl > KEY_SIZE_LIMIT) err = E_KEY_TOO_LARGE;
	if (!err && beyond(k, kl, max_write_klen(tr))) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) defer(tr, err);
	return !err;
}

void fdb_transaction_set(FDBTransaction *tr, uint8_t const *k, int kl, uint8_t const *v, int vl) {
	lock();
	if (write_ok(tr, k, kl)) {
		if (vl > VALUE_SIZE_LIMIT) {
			defer(tr, E_VALUE_TOO_LARGE);
		} else {
			dbuf end = {0};
			key_after(k, kl, &end);
			add_mutation(tr, MUT_SET, k, kl, v, vl);
			add_write_conflict(tr, k, kl, end.data, (int)end.len);
			trigger_watches(tr, k, kl, end.data, (int)end.len, 1, 1, v, vl);
			dbuf_free(&end);
		}
	}
	unlock();
}

static void clear_range_locked(FDBTransaction *tr, const uint8_t *b, int bl, const uint8_t *e, int el) {
	add_mutation(tr, MUT_CLEAR_RANGE, b, bl, e, el);
	add_write_conflict(tr, b, bl, e, el);
	trigger_watches(tr, b, bl, e, el, 1, 0, NULL, 0);
}

void fdb_transaction_clear(FDBTransaction *tr, uint8_t const *k, int kl) {
	lock();
	if (write_ok(tr, k, kl)) {
		dbuf end = {0};
		key_after(k, kl, &end);
		clear_range_locked(tr, k, kl, end.data, (int)end.len);
		dbuf_free(&end);
	}
	unlock();
}

void fdb_transaction_clear_range(FDBTransaction *tr, uint8_t const *b, int bl, uint8_t const *e, int el) {
	lock();
	fdb_error_t err = unusable(tr);
	if (!err && (bl > KEY_SIZE_LIMIT || el > KEY_SIZE_LIMIT + 1)) err = E_KEY_TOO_LARGE;
	if (!err && (beyond(b, bl, max_write_klen(tr)) || key_cmp(e, el, MAX_KEY, max_write_klen(tr)) > 0))
		err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (!err && key_cmp(b, bl, e, el) > 0) err = E_INVERTED_RANGE;
	if (err)
		defer(tr, err);
	else if (key_cmp(b, bl, e, el) < 0)
		clear_range_locked(tr, b, bl, e, el);
	unlock();
}

static int stamp_offset_ok(const uint8_t *p, int n) {
	if (n < 4) return 0;
	uint32_t off = (uint32_t)p[n - 4] | (uint32_t)p[n - 3] << 8 | (uint32_t)p[n - 2] << 16 | (uint32_t)p[n - 1] << 24;
	return (int64_t)off + 10 <= n - 4;
}

void fdb_transaction_atomic_op(FDBTransaction *tr, uint8_t const *k, int kl, uint8_t const *param, int pl,
                               FDBMutationType type) {
	lock();
	fdb_error_t err = unusable(tr);
	if (!err && !atomic_type_valid(type)) err = E_INVALID_MUTATION_TYPE;
	int is_vk = type == FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_KEY, is_vv = type == FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_VALUE;
	if (!err && ((is_vk && !stamp_offset_ok(k, kl)) || (is_vv && !stamp_offset_ok(param, pl))))
		err = E_CLIENT_INVALID_OPERATION;
	int real_kl = is_vk ? kl - 4 : kl;
	if (!err && real_kl > KEY_SIZE_LIMIT) err = E_KEY_TOO_LARGE;
	if (!err && pl > VALUE_SIZE_LIMIT + (is_vv ? 4 : 0)) err = E_VALUE_TOO_LARGE;
	if (!err && beyond(k, real_kl, max_write_klen(tr))) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) {
		defer(tr, err);
		unlock();
		return;
	}
	add_mutation(tr, type, k, kl, param, pl);
	dbuf b = {0}, e = {0};
	if (is_vk) { /* conflicts with every key the stamp could produce */
		uint32_t off = (uint32_t)k[kl - 4] | (uint32_t)k[kl - 3] << 8 | (uint32_t)k[kl - 2] << 16 | (uint32_t)k[kl - 1] << 24;
		dbuf_put(&b, k, (size_t)real_kl);
		dbuf_put(&e, k, (size_t)real_kl);
		memset(b.data + off, 0x00, 10);
		memset(e.data + off, 0xff, 10);
		dbuf_u8(&e, 0);
	} else {
		dbuf_put(&b, k, (size_t)kl);
		key_after(k, kl, &e);
	}
	add_write_conflict(tr, b.data, (int)b.len, e.data, (int)e.len);
	trigger_watches(tr, b.data, (int)b.len, e.data, (int)e.len, 0, 0, NULL, 0);
	dbuf_free(&b);
	dbuf_free(&e);
	unlock();
}

fdb_error_t fdb_transaction_add_conflict_range(FDBTransaction *tr, uint8_t const *b, int bl, uint8_t const *e, int el,
                                               FDBConflictRangeType type) {
	lock();
	fdb_error_t err = unusable(tr);
	if (!err && key_cmp(b, bl, e, el) > 0) err = E_INVERTED_RANGE;
	if (!err && (beyond(b, bl, 2) || key_cmp(e, el, MAX_KEY, 2) > 0)) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (!err && type != FDB_CONFLICT_RANGE_TYPE_READ && type != FDB_CONFLICT_RANGE_TYPE_WRITE) err = E_INVALID_OPTION_VALUE;
	if (!err && key_cmp(b, bl, e, el) < 0) {
		if (type == FDB_CONFLICT_RANGE_TYPE_READ) add_range(&tr->reads, &tr->nreads, b, bl, e, el);
		else add_range(&tr->writes, &tr->nwrites, b, bl, e, el);
		tr->size += bl + el;
	}
	unlock();
	return err;
}

/* ---- watches ---- */

FDBFuture *fdb_transaction_watch(FDBTransaction *tr, uint8_t const *k, int kl) {
	lock();
	FDBFuture *f;
	fdb_error_t err = unusable(tr);
	if (!err && tr->opt.ryw_disabled) err = E_WATCHES_DISABLED;
	if (!err && kl > KEY_SIZE_LIMIT) err = E_KEY_TOO_LARGE;
	if (!err && beyond(k, kl, max_read_klen(tr))) err = E_KEY_OUTSIDE_LEGAL_RANGE;
	if (err) {
		f = future_error(FK_VOID, err);
	} else {
		f = future_new(FK_VOID, tr);
		tx_watch *w = xcalloc(1, sizeof *w);
		w->f = f;
		w->key = mem_dup(k, (size_t)kl);
		w->klen = kl;
		w->next = tr->watches;
		tr->watches = w;
		f->watch = w;
		/* Its value as this transaction sees it (its own writes included), read like any
		 * other non-snapshot read: so creating a watch adds a read conflict on the key. */
		request *r = read_begin(tr, f, READ_GET, 0, on_watch_value);
		dbuf_bytes(&r->frame, k, kl);
		read_dispatch(tr, r);
	}
	unlock();
	return f;
}

/* fdb_future_cancel on a watch that its transaction has not committed yet. */
void tx_watch_cancel(tx_watch *w) {
	FDBFuture *f = w->f;
	FDBTransaction *tr = f->tr;
	if (tr) tx_watch_end(tr, w, E_OPERATION_CANCELLED);
}

/* ---- commit ---- */

static void commit_finished(FDBTransaction *tr, fdb_error_t err) {
	for (tx_watch *w = tr->watches, *next; w; w = next) {
		next = w->next;
		if (err || !w->armed) {
			tx_watch_end(tr, w, err ? err : E_INTERNAL_ERROR);
			continue;
		}
		/* The watch outlives its transaction: it now belongs to the database. */
		FDBFuture *f = w->f;
		w->f = NULL;
		if (f->tr_prev) f->tr_prev->tr_next = f->tr_next;
		else tr->futures = f->tr_next;
		if (f->tr_next) f->tr_next->tr_prev = f->tr_prev;
		f->tr = NULL;
		f->watch = NULL;
		w->armed = 0; /* the count moves with it */
		watch_register(tr->db, f, w->key, w->klen, w->present, w->val, w->len);
		tx_watch_free(tr, w);
	}
	for (FDBFuture *f = tr->futures, *next; f; f = next) {
		next = f->tr_next;
		if (f->role != ROLE_VERSIONSTAMP) continue;
		fdb_error_t e = err ? err : tr->committed_version < 0 ? E_NO_COMMIT_VERSION : 0;
		if (!e) {
			f->data = mem_dup(tr->stamp, 10);
			f->len = 10;
		}
		future_complete(f, e);
	}
}

static void on_commit(request *req, int err, dread *p) {
	FDBTransaction *tr = req->tr;
	FDBFuture *f = req->f;
	if (!err && p) {
		int64_t version = (int64_t)rd_u64(p);
		if (tr) {
			tr->committed_version = version;
			for (int i = 0; i < 8; i++) tr->stamp[i] = (uint8_t)((uint64_t)version >> (56 - 8 * i));
			tr->stamp[8] = rd_u8(p);
			tr->stamp[9] = rd_u8(p);
		}
	}
	if (tr) {
		tr->committed = !err;
		tr->committing = 0;
		commit_finished(tr, err);
	}
	if (f) future_complete(f, err);
}

static void send_commit(FDBTransaction *tr, FDBFuture *f) {
	if (tr->nmuts == 0 && tr->nwrites == 0) { /* read-only: nothing to send */
		tr->committed_version = -1;
		tr->committed = 1;
		tr->committing = 0;
		commit_finished(tr, 0);
		future_complete(f, 0);
		return;
	}
	int has_rv = tr->nreads > 0 && tr->rv_state == 2;
	if (has_rv && tr->rv_epoch != tr->db->epoch) {
		tr->committing = 0;
		commit_finished(tr, E_TRANSACTION_TOO_OLD);
		future_complete(f, E_TRANSACTION_TOO_OLD);
		return;
	}
	request *r = request_new(tr->db, MSG_COMMIT, tr, f, on_commit);
	dbuf_u64(&r->frame, (uint64_t)(has_rv ? tr->read_version : -1));
	dbuf_u32(&r->frame, tr->nreads);
	dbuf_put(&r->frame, tr->reads.data, tr->reads.len);
	dbuf_u32(&r->frame, tr->nwrites);
	dbuf_put(&r->frame, tr->writes.data, tr->writes.len);
	dbuf_u32(&r->frame, tr->nmuts);
	dbuf_put(&r->frame, tr->muts.data, tr->muts.len);
	request_send(r);
}

FDBFuture *fdb_transaction_commit(FDBTransaction *tr) {
	lock();
	FDBFuture *f;
	fdb_error_t err = unusable(tr);
	if (!err && tr->size > tr->opt.size_limit) err = E_TRANSACTION_TOO_LARGE;
	if (err) {
		f = future_error(FK_VOID, err);
	} else {
		f = future_new(FK_VOID, tr);
		tr->committing = 1;
		if (tr->reads_outstanding > 0)
			tr->commit_f = f; /* sent when the last read has answered */
		else
			send_commit(tr, f);
	}
	unlock();
	return f;
}

fdb_error_t fdb_transaction_get_committed_version(FDBTransaction *tr, int64_t *out_version) {
	lock();
	*out_version = tr->committed ? tr->committed_version : -1;
	unlock();
	return 0;
}

FDBFuture *fdb_transaction_get_versionstamp(FDBTransaction *tr) {
	lock();
	FDBFuture *f;
	fdb_error_t err = tr->cancelled ? E_TRANSACTION_CANCELLED : tr->timed_out ? E_TRANSACTION_TIMED_OUT : 0;
	if (err) {
		f = future_error(FK_KEY, err);
	} else {
		f = future_new(FK_KEY, tr);
		f->role = ROLE_VERSIONSTAMP;
		if (tr->committed) {
			fdb_error_t e = tr->committed_version < 0 ? E_NO_COMMIT_VERSION : 0;
			if (!e) {
				f->data = mem_dup(tr->stamp, 10);
				f->len = 10;
			}
			future_complete(f, e);
		}
	}
	unlock();
	return f;
}

FDBFuture *fdb_transaction_get_approximate_size(FDBTransaction *tr) {
	lock();
	FDBFuture *f = future_new(FK_INT64, NULL);
	f->i64 = tr->size;
	future_complete(f, 0);
	unlock();
	return f;
}

/* ---- on_error ---- */

static void retry_ready(void *p) {
	FDBFuture *f = p;
	f->tmr = NULL;
	future_complete(f, 0);
}

FDBFuture *fdb_transaction_on_error(FDBTransaction *tr, fdb_error_t error) {
	lock();
	FDBFuture *f;
	retry_class cls = on_error_class(error);
	if (cls == RETRY_NO || (tr->opt.retry_limit >= 0 && tr->retries >= tr->opt.retry_limit)) {
		f = future_error(FK_VOID, error);
	} else {
		double max_delay = (double)tr->opt.max_retry_delay_ms / 1000.0;
		double delay;
		if (cls == RETRY_VERSION) {
			delay = max_delay < 0.01 ? max_delay : 0.01;
		} else {
			delay = tr->backoff * ((double)rand() / RAND_MAX);
			tr->backoff = tr->backoff * 2 < max_delay ? tr->backoff * 2 : max_delay;
		}
		tr->retries++;
		tx_clear(tr, 0);
		f = future_new(FK_VOID, NULL);
		f->tmr = timer_add(now_monotonic() + delay, retry_ready, f);
	}
	unlock();
	return f;
}
