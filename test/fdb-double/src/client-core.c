/*
 * The client's machinery: futures, requests to the server, timers, and the network thread
 * that connects, sends, receives, fires timers and calls every callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "errors.h"
#include "wire.h"

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_ready = PTHREAD_COND_INITIALIZER;
int g_api_version;
static int network_state; /* 0 not set up, 1 set up, 2 running, 3 stopped */

/* ---- futures ---- */

typedef struct callback {
	FDBFuture *f;
	FDBCallback cb;
	void *param;
	struct callback *next;
} callback;
static callback *callq, *callq_tail;

FDBFuture *future_new(future_kind kind, FDBTransaction *tr) {
	FDBFuture *f = xcalloc(1, sizeof *f);
	f->kind = kind;
	f->refs = 2; /* the caller's handle + not ready */
	if (tr) {
		f->tr = tr;
		f->tr_next = tr->futures;
		if (tr->futures) tr->futures->tr_prev = f;
		tr->futures = f;
	}
	return f;
}

FDBFuture *future_error(future_kind kind, fdb_error_t err) {
	FDBFuture *f = future_new(kind, NULL);
	future_complete(f, err);
	return f;
}

static void future_free(FDBFuture *f) {
	free(f->data);
	free(f->kvs);
	free(f->keys);
	free(f->strings);
	free(f);
}

void future_unref(FDBFuture *f) {
	if (--f->refs == 0) future_free(f);
}

void future_complete(FDBFuture *f, fdb_error_t err) {
	if (f->ready) return;
	f->ready = 1;
	f->err = err;
	if (f->tr) {
		if (f->tr_prev) f->tr_prev->tr_next = f->tr_next;
		else f->tr->futures = f->tr_next;
		if (f->tr_next) f->tr_next->tr_prev = f->tr_prev;
		if (f->tr->commit_f == f) f->tr->commit_f = NULL;
		f->tr = NULL;
	}
	if (f->req) {
		f->req->f = NULL;
		f->req = NULL;
	}
	if (f->tmr) {
		timer_cancel(f->tmr);
		f->tmr = NULL;
	}
	f->watch = NULL;
	f->dw = NULL;
	pthread_cond_broadcast(&g_ready);
	if (f->cb && !f->released) {
		/* Callbacks run on the network thread, never under the lock. */
		callback *c = xcalloc(1, sizeof *c);
		*c = (callback){f, f->cb, f->cb_param, NULL};
		f->cb = NULL;
		f->refs++;
		if (callq_tail) callq_tail->next = c;
		else callq = c;
		callq_tail = c;
		network_wake();
	}
	future_unref(f); /* the "not ready" reference */
}

static void run_callbacks(void) {
	for (;;) {
		pthread_mutex_lock(&g_mu);
		callback *c = callq;
		if (c) {
			callq = c->next;
			if (!callq) callq_tail = NULL;
		}
		int skip = c && c->f->released;
		pthread_mutex_unlock(&g_mu);
		if (!c) return;
		if (!skip) c->cb(c->f, c->param);
		pthread_mutex_lock(&g_mu);
		future_unref(c->f);
		pthread_mutex_unlock(&g_mu);
		free(c);
	}
}

fdb_error_t future_wait(FDBFuture *f) {
	while (!f->ready) pthread_cond_wait(&g_ready, &g_mu);
	return 0;
}

/* ---- timers: a binary min-heap (every transaction with a timeout has one, so thousands
 * may be pending; a cancelled timer stays in the heap, marked, until it comes up) ---- */

struct timer {
	double due;
	void (*fire)(void *p);
	void *p;
	int cancelled;
};
static timer **heap;
static size_t heap_len, heap_cap;

static void heap_swap(size_t a, size_t b) {
	timer *t = heap[a];
	heap[a] = heap[b];
	heap[b] = t;
}

timer *timer_add(double due, void (*fire)(void *p), void *p) {
	timer *t = xcalloc(1, sizeof *t);
	*t = (timer){due, fire, p, 0};
	if (heap_len == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 64;
		heap = xrealloc(heap, sizeof *heap * heap_cap);
	}
	size_t i = heap_len++;
	heap[i] = t;
	while (i > 0 && heap[(i - 1) / 2]->due > heap[i]->due) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	network_wake();
	return t;
}

void timer_cancel(timer *t) { t->cancelled = 1; }

static timer *heap_pop(void) {
	timer *top = heap[0];
	heap[0] = heap[--heap_len];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < heap_len && heap[l]->due < heap[m]->due) m = l;
		if (r < heap_len && heap[r]->due < heap[m]->due) m = r;
		if (m == i) break;
		heap_swap(i, m);
		i = m;
	}
	return top;
}

static double run_timers(double now) {
	while (heap_len && (heap[0]->cancelled || heap[0]->due <= now)) {
		timer *t = heap_pop();
		if (!t->cancelled) t->fire(t->p);
		free(t);
	}
	return heap_len ? heap[0]->due : now + 1;
}

/* ---- requests ---- */

static FDBDatabase *databases;

request *request_new(FDBDatabase *db, int type, FDBTransaction *tr, FDBFuture *f, reply_fn on_reply) {
	request *r = xcalloc(1, sizeof *r);
	r->id = ++db->next_id;
	r->type = type;
	r->db = db;
	r->on_reply = on_reply;
	r->f = f;
	if (f) f->req = r;
	if (tr) {
		r->tr = tr;
		r->tr_next = tr->requests;
		tr->requests = r;
	}
	dbuf_u32(&r->frame, 0);
	dbuf_u8(&r->frame, (uint8_t)type);
	dbuf_u64(&r->frame, r->id);
	return r;
}

void tx_forget_request(FDBTransaction *tr, request *req) {
	for (request **p = &tr->requests; *p; p = &(*p)->tr_next)
		if (*p == req) {
			*p = req->tr_next;
			break;
		}
	req->tr = NULL;
}

static void transmit(request *r) {
	dbuf_put(&r->db->out, r->frame.data, r->frame.len);
	r->sent = 1;
}

void request_send(request *r) {
	uint32_t n = (uint32_t)(r->frame.len - 4);
	for (int i = 0; i < 4; i++) r->frame.data[i] = (uint8_t)(n >> (8 * i));
	FDBDatabase *db = r->db;
	unsigned b = (unsigned)(r->id % REQ_BUCKETS);
	r->next = db->reqs[b];
	db->reqs[b] = r;
	if (db->connected && db->hello_done) transmit(r);
	network_wake();
}

static request *request_take(FDBDatabase *db, uint64_t id) {
	for (request **p = &db->reqs[id % REQ_BUCKETS]; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			request *r = *p;
			*p = r->next;
			return r;
		}
	return NULL;
}

/* Frees a request that has been taken out of the table (or never went in). */
void request_drop(request *r) {
	if (r->tr) tx_forget_request(r->tr, r);
	if (r->f) r->f->req = NULL;
	if (r->dw) r->dw->req = NULL;
	dbuf_free(&r->frame);
	free(r);
}

/* ---- committed watches ---- */

static void on_watch_reply(request *req, int err, dread *payload) {
	(void)payload;
	db_watch *w = req->dw;
	if (!w) return;
	req->dw = NULL;
	FDBDatabase *db = w->db;
	for (db_watch **p = &db->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	db->watch_count--;
	if (w->f) future_complete(w->f, err);
	free(w->key);
	free(w->val);
	free(w);
}

void watch_register(FDBDatabase *db, FDBFuture *f, const uint8_t *key, int klen, int present, const uint8_t *val,
                    int len) {
	db_watch *w = xcalloc(1, sizeof *w);
	*w = (db_watch){db, f, NULL, mem_dup(key, (size_t)klen), mem_dup(val, (size_t)len), klen, len, present, db->watches};
	db->watches = w;
	f->dw = w;
	request *r = request_new(db, MSG_WATCH, NULL, NULL, on_watch_reply);
	r->dw = w;
	w->req = r;
	dbuf_bytes(&r->frame, key, klen);
	dbuf_u8(&r->frame, (uint8_t)present);
	dbuf_bytes(&r->frame, val, len);
	request_send(r);
}

/* Called by fdb_future_cancel for a committed watch: tells the server, ends the future. */
void watch_cancel(db_watch *w) {
	FDBDatabase *db = w->db;
	if (w->req) {
		request *cancel = request_new(db, MSG_WATCH_CANCEL, NULL, NULL, NULL);
		dbuf_u64(&cancel->frame, w->req->id);
		dbuf_bytes(&cancel->frame, w->key, w->klen);
		uint32_t n = (uint32_t)(cancel->frame.len - 4);
		for (int i = 0; i < 4; i++) cancel->frame.data[i] = (uint8_t)(n >> (8 * i));
		if (db->connected && db->hello_done) dbuf_put(&db->out, cancel->frame.data, cancel->frame.len);
		request_drop(cancel);
		request *r = request_take(db, w->req->id);
		if (r) request_drop(r);
	}
	dread none = {0};
	request fake = {.dw = w};
	on_watch_reply(&fake, E_OPERATION_CANCELLED, &none);
	network_wake();
}

/* ---- the connection ---- */

static void on_hello(request *req, int err, dread *payload) {
	FDBDatabase *db = req->db;
	if (err) return;
	uint64_t id = rd_u64(payload);
	if (db->cluster_id && id != db->cluster_id) {
		/* A new cluster (the server restarted empty): versions from the old one mean
		 * nothing here. Reads waiting on them fail as too old; their transactions retry. */
		db->epoch++;
		for (int b = 0; b < REQ_BUCKETS; b++)
			for (request **p = &db->reqs[b]; *p;) {
				request *r = *p;
				if (r->type == MSG_READ) {
					*p = r->next;
					r->on_reply(r, E_TRANSACTION_TOO_OLD, NULL);
					request_drop(r);
				} else {
					p = &r->next;
				}
			}
	}
	db->cluster_id = id;
	db->hello_done = 1;
	for (int b = 0; b < REQ_BUCKETS; b++)
		for (request *r = db->reqs[b]; r; r = r->next) transmit(r);
}

static void disconnect(FDBDatabase *db) {
	if (db->fd >= 0) close(db->fd);
	db->fd = -1;
	db->connected = db->hello_done = 0;
	db->in.len = db->out.len = 0;
	db->connect_backoff = db->connect_backoff ? db->connect_backoff * 2 : 0.05;
	if (db->connect_backoff > 1) db->connect_backoff = 1;
	db->next_connect = now_monotonic() + db->connect_backoff;
	for (int b = 0; b < REQ_BUCKETS; b++)
		for (request **p = &db->reqs[b]; *p;) {
			request *r = *p;
			if (r->type == MSG_COMMIT && r->sent) {
				/* It may or may not have been applied: FoundationDB says exactly that. */
				*p = r->next;
				r->on_reply(r, E_COMMIT_UNKNOWN_RESULT, NULL);
				request_drop(r);
			} else if (r->type == MSG_HELLO) {
				*p = r->next;
				request_drop(r);
			} else {
				r->sent = 0;
				p = &r->next;
			}
		}
}

static void try_connect(FDBDatabase *db) {
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strncpy(addr.sun_path, db->sock_path, sizeof addr.sun_path - 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		if (fd >= 0) close(fd);
		disconnect(db); /* schedules the next attempt */
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	db->fd = fd;
	db->connected = 1;
	db->connect_backoff = 0;
	request *hello = request_new(db, MSG_HELLO, NULL, NULL, on_hello);
	request_send(hello);
	transmit(hello);
}

static void handle_reply(FDBDatabase *db, const uint8_t *p, size_t n) {
	dread a = {p, n, 0};
	if (rd_u8(&a) != MSG_REPLY) return;
	uint64_t id = rd_u64(&a);
	int err = (int)rd_u32(&a);
	request *r = request_take(db, id);
	if (!r) return; /* cancelled meanwhile */
	r->on_reply(r, err, &a);
	request_drop(r);
}

static void read_socket(FDBDatabase *db) {
	uint8_t buf[65536];
	ssize_t got = read(db->fd, buf, sizeof buf);
	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
		disconnect(db);
		return;
	}
	dbuf_put(&db->in, buf, (size_t)got);
	size_t at = 0;
	while (db->in.len - at >= 4) {
		const uint8_t *q = db->in.data + at;
		uint32_t len = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
		if (db->in.len - at - 4 < len) break;
		handle_reply(db, q + 4, len);
		at += 4 + len;
		if (!db->connected) return;
	}
	dbuf_consume(&db->in, at);
}

/* ---- the network thread ---- */

static int wake_pipe[2] = {-1, -1};
static int stop_requested;
static pthread_t network_thread;

void network_wake(void) {
	if (wake_pipe[1] >= 0) {
		char c = 1;
		ssize_t ignored = write(wake_pipe[1], &c, 1);
		(void)ignored;
	}
}

int network_on_this_thread(void) { return network_state == 2 && pthread_equal(pthread_self(), network_thread); }

void db_link(FDBDatabase *db) {
	db->next = databases;
	databases = db;
}

static void db_free(FDBDatabase *db) {
	for (FDBDatabase **p = &databases; *p; p = &(*p)->next)
		if (*p == db) {
			*p = db->next;
			break;
		}
	if (db->fd >= 0) close(db->fd);
	for (int b = 0; b < REQ_BUCKETS; b++)
		while (db->reqs[b]) {
			request *r = db->reqs[b];
			db->reqs[b] = r->next;
			if (r->on_reply) r->on_reply(r, E_OPERATION_CANCELLED, NULL);
			request_drop(r);
		}
	while (db->watches) {
		db_watch *w = db->watches;
		db->watches = w->next;
		if (w->f) future_complete(w->f, E_OPERATION_CANCELLED);
		free(w->key);
		free(w->val);
		free(w);
	}
	dbuf_free(&db->in);
	dbuf_free(&db->out);
	free(db->sock_path);
	free(db);
}

/* While the network runs, only its thread frees a database (between two poll rounds),
 * so the round in progress never sees one disappear. */
void db_unref(FDBDatabase *db) {
	if (--db->refs > 0) return;
	db->destroyed = 1;
	if (network_state == 2) network_wake();
	else db_free(db);
}

static void free_destroyed_databases(void) {
	for (FDBDatabase *db = databases, *next; db; db = next) {
		next = db->next;
		if (db->destroyed && db->refs == 0) db_free(db);
	}
}

fdb_error_t fdb_setup_network(void) {
	pthread_mutex_lock(&g_mu);
	fdb_error_t err = 0;
	if (!g_api_version)
		err = E_API_VERSION_UNSET;
	else if (network_state != 0)
		err = E_NETWORK_ALREADY_SETUP;
	else if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		err = E_INTERNAL_ERROR;
	else
		network_state = 1;
	pthread_mutex_unlock(&g_mu);
	return err;
}

fdb_error_t fdb_run_network(void) {
	pthread_mutex_lock(&g_mu);
	if (network_state == 0) {
		pthread_mutex_unlock(&g_mu);
		return E_NETWORK_NOT_SETUP;
	}
	if (network_state != 1) {
		pthread_mutex_unlock(&g_mu);
		return E_NETWORK_CANNOT_BE_RESTARTED;
	}
	network_state = 2;
	network_thread = pthread_self();
	struct pollfd *pfd = NULL;
	FDBDatabase **owner = NULL;
	int cap = 0;
	while (!stop_requested) {
		free_destroyed_databases();
		double now = now_monotonic();
		double next = run_timers(now);
		int n = 0;
		for (FDBDatabase *db = databases; db; db = db->next) n++;
		if (n + 1 > cap) {
			cap = (n + 1) * 2;
			pfd = xrealloc(pfd, sizeof *pfd * (size_t)cap);
			owner = xrealloc(owner, sizeof *owner * (size_t)cap);
		}
		n = 0;
		pfd[n++] = (struct pollfd){wake_pipe[0], POLLIN, 0};
		for (FDBDatabase *db = databases; db; db = db->next) {
			if (db->destroyed) continue;
			if (!db->connected && now >= db->next_connect) try_connect(db);
			if (!db->connected) {
				if (db->next_connect < next) next = db->next_connect;
				continue;
			}
			owner[n] = db;
			pfd[n++] = (struct pollfd){db->fd, (short)(POLLIN | (db->out.len ? POLLOUT : 0)), 0};
		}
		int wait_ms = (int)((next - now) * 1000) + 1;
		if (wait_ms < 0) wait_ms = 0;
		if (wait_ms > 1000) wait_ms = 1000;
		pthread_mutex_unlock(&g_mu);
		run_callbacks();
		poll(pfd, (nfds_t)n, callq ? 0 : wait_ms);
		pthread_mutex_lock(&g_mu);
		if (pfd[0].revents & POLLIN) {
			char drain[256];
			while (read(wake_pipe[0], drain, sizeof drain) > 0) {
			}
		}
		for (int i = 1; i < n; i++) {
			FDBDatabase *db = owner[i];
			if (db->fd != pfd[i].fd) continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) read_socket(db);
		}
		for (FDBDatabase *db = databases; db; db = db->next) {
			if (!db->connected || !db->out.len) continue;
			ssize_t put = send(db->fd, db->out.data, db->out.len, MSG_NOSIGNAL);
			if (put > 0)
				dbuf_consume(&db->out, (size_t)put);
			else if (put < 0 && errno != EAGAIN && errno != EINTR)
				disconnect(db);
		}
	}
	network_state = 3;
	free_destroyed_databases();
	pthread_mutex_unlock(&g_mu);
	run_callbacks();
	free(pfd);
	free(owner);
	return 0;
}

fdb_error_t fdb_stop_network(void) {
	pthread_mutex_lock(&g_mu);
	fdb_error_t err = network_state == 0 ? E_NETWORK_NOT_SETUP : 0;
	stop_requested = 1;
	network_wake();
	pthread_mutex_unlock(&g_mu);
	return err;
}
