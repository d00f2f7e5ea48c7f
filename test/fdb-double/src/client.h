/*
 * Internals of the double's libfdb_c (client side). Not FoundationDB.
 *
 * Threads: API functions run on the caller's threads; fdb_run_network's thread (the
 * "network thread") does all socket I/O, timers and every future callback. One mutex,
 * `g_mu`, guards all of this state; callbacks are always called with it released.
 *
 * Lifetimes: a future is freed when the caller has destroyed it and nothing still points
 * at it (a queued callback). A request in flight points at its future; completing the
 * future by other means (reset, cancel, timeout) detaches it, and the late reply is dropped.
 */
#ifndef FDB_DOUBLE_CLIENT_H
#define FDB_DOUBLE_CLIENT_H

#include <pthread.h>

#include "bytes.h"
#include "foundationdb/fdb_c.h"

typedef enum { FK_VOID, FK_INT64, FK_KEY, FK_VALUE, FK_KVS, FK_KEYS, FK_STRINGS } future_kind;

typedef struct request request;
typedef struct timer timer;
typedef struct tx_watch tx_watch;

struct FDB_future {
	future_kind kind;
	int ready;
	fdb_error_t err;
	int refs; /* the caller's handle, queued callbacks, and 1 while not ready */
	int released;
	FDBCallback cb;
	void *cb_param;
	/* result */
	int present;
	uint8_t *data; /* value, key, or the buffer the arrays point into */
	int len;
	int64_t i64;
	FDBKeyValue *kvs;
	FDBKey *keys;
	const char **strings;
	int count, more;
	/* what may still complete it (detached on completion) */
	FDBTransaction *tr;
	FDBFuture *tr_prev, *tr_next;
	request *req;
	timer *tmr;
	tx_watch *watch;         /* a watch of an uncommitted transaction */
	struct db_watch *dw;     /* a committed watch */
	int role;                /* ROLE_* */
};

enum { ROLE_NONE, ROLE_VERSIONSTAMP, ROLE_READ_VERSION };

typedef void (*reply_fn)(request *req, int err, dread *payload);

struct request {
	uint64_t id;
	int type;
	dbuf frame;
	int sent;
	FDBDatabase *db;
	FDBFuture *f;
	FDBTransaction *tr; /* NULL once the transaction is gone or reset */
	request *tr_next;   /* the transaction's requests */
	request *next;      /* hash chain */
	reply_fn on_reply;
	int snapshot, read_kind;
	struct db_watch *dw;
};

/** A committed watch, kept by the database until it fires or is cancelled. */
typedef struct db_watch {
	FDBDatabase *db;
	FDBFuture *f;
	request *req;
	uint8_t *key, *val;
	int klen, len, present;
	struct db_watch *next;
} db_watch;

/** A watch created in a transaction that has not committed yet. */
struct tx_watch {
	FDBFuture *f;
	uint8_t *key, *val;
	int klen, len, present;
	int armed; /* its value is known and it counts against max_watches */
	int written, written_known, written_present;
	uint8_t *written_val;
	int written_len;
	tx_watch *next;
};

typedef struct tx_options {
	int64_t timeout_ms, retry_limit, max_retry_delay_ms, size_limit;
	int ryw_disabled, snapshot_ryw_disabled, system_keys, read_system_keys, bypass_unreadable;
	int causal_read_risky;
} tx_options;

#define REQ_BUCKETS 1024

struct FDB_database {
	char *sock_path;
	int fd, connected, hello_done;
	uint64_t cluster_id;
	int epoch; /* bumped when the cluster behind the socket is a new one */
	double next_connect, connect_backoff;
	dbuf in, out;
	request *reqs[REQ_BUCKETS];
	uint64_t next_id;
	int watch_count;
	int64_t max_watches;
	db_watch *watches;
	tx_options defaults;
	int refs; /* the caller's handle and each transaction */
	int destroyed;
	FDBDatabase *next;
};

struct FDB_transaction {
	FDBDatabase *db;
	tx_options opt;
	int gen;
	int64_t read_version;
	int rv_state; /* 0 none, 1 requested, 2 known */
	int rv_epoch;
	dbuf muts;
	uint32_t nmuts;
	dbuf reads, writes; /* conflict ranges */
	uint32_t nreads, nwrites;
	int64_t size;
	int next_write_no_conflict;
	fdb_error_t deferred;
	int committing, committed, cancelled, timed_out;
	int64_t committed_version;
	uint8_t stamp[10];
	int reads_outstanding;
	FDBFuture *commit_f; /* waiting for reads to finish before it is sent */
	FDBFuture *futures;  /* outstanding */
	request *requests;
	request *waiting_rv; /* reads queued until the read version is known */
	tx_watch *watches;
	int retries;
	double backoff, created;
	timer *timeout_timer;
};

/* client-core.c */
extern pthread_mutex_t g_mu;
extern int g_api_version;
FDBFuture *future_new(future_kind kind, FDBTransaction *tr);
FDBFuture *future_error(future_kind kind, fdb_error_t err);
/** Completes a future (error or not), detaching it from whatever could still complete it. */
void future_complete(FDBFuture *f, fdb_error_t err);
void future_unref(FDBFuture *f);
request *request_new(FDBDatabase *db, int type, FDBTransaction *tr, FDBFuture *f, reply_fn on_reply);
/** Finishes the frame and queues it to be sent (now if connected). */
void request_send(request *req);
void request_drop(request *req);
void tx_forget_request(FDBTransaction *tr, request *req);
timer *timer_add(double due, void (*fire)(void *p), void *p);
void timer_cancel(timer *t);
void network_wake(void);
void db_unref(FDBDatabase *db);
void watch_cancel(struct db_watch *w);
int network_on_this_thread(void);
void db_link(FDBDatabase *db);
fdb_error_t future_wait(FDBFuture *f);
void watch_register(FDBDatabase *db, FDBFuture *f, const uint8_t *key, int klen, int present, const uint8_t *val,
                    int len);

/* client-transaction.c */
void tx_fail_outstanding(FDBTransaction *tr, fdb_error_t err);
void tx_options_default(FDBTransaction *tr);

#endif
