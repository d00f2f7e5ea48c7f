/*
 * fdb-double-server: the shared state of the libfdb_c TEST DOUBLE (not FoundationDB).
 *
 * One process holds one in-memory "cluster": a multi-version key-value map, the recent
 * commits' write conflict ranges, and the registered watches. Clients (processes using the
 * double's libfdb_c.so) connect over the Unix socket named in their cluster file.
 *
 * Single-threaded: one poll loop accepts, reads frames, answers them in arrival order and
 * writes replies. Versions follow the wall clock (about 1,000,000 a second); commits that
 * arrive in one loop turn share a commit version and get increasing batch orders.
 *
 * State lives in memory only: a restarted server is an empty cluster with a new id.
 *
 * FDB_DOUBLE_BUGGIFY=<seed>[,knob=value...] turns on fault injection (see README.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "atomic.h"
#include "errors.h"
#include "foundationdb/fdb_c.h"
#include "server.h"
#include "wire.h"

#define MVCC_WINDOW 5000000 /* versions: 5 s, FoundationDB's transaction lifetime */
#define MAX_CONNS 1024

/* ---- fault injection ---- */

static struct {
	int on;
	uint64_t seed, state;
	double spurious_fire, fire_delay_ms, unknown_landed, unknown_lost, inject_conflict, inject_too_old,
	    delay_reply, delay_reply_ms, early_too_many_watches, pause_every_s, pause_ms;
} bug = {.spurious_fire = 0.03,
         .fire_delay_ms = 25,
         .unknown_landed = 0.02,
         .unknown_lost = 0.01,
         .inject_conflict = 0.02,
         .inject_too_old = 0.01,
         .delay_reply = 0.05,
         .delay_reply_ms = 15,
         .early_too_many_watches = 0.005,
         .pause_every_s = 20,
         .pause_ms = 1500};

static double rnd01(void) {
	/* xorshift64*: the same seed gives the same sequence of draws */
	bug.state ^= bug.state >> 12;
	bug.state ^= bug.state << 25;
	bug.state ^= bug.state >> 27;
	return (double)((bug.state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

static int chance(double p) { return bug.on && rnd01() < p; }

static void parse_buggify(const char *spec) {
	if (!spec || !*spec || !strcmp(spec, "0")) return;
	bug.on = 1;
	bug.seed = strtoull(spec, NULL, 10);
	bug.state = bug.seed * 2654435761u + 0x9E3779B97F4A7C15ull;
	struct {
		const char *name;
		double *v;
	} knobs[] = {{"spurious_fire", &bug.spurious_fire},
	             {"fire_delay_ms", &bug.fire_delay_ms},
	             {"unknown_landed", &bug.unknown_landed},
	             {"unknown_lost", &bug.unknown_lost},
	             {"inject_conflict", &bug.inject_conflict},
	             {"inject_too_old", &bug.inject_too_old},
	             {"delay_reply", &bug.delay_reply},
	             {"delay_reply_ms", &bug.delay_reply_ms},
	             {"early_too_many_watches", &bug.early_too_many_watches},
	             {"pause_every_s", &bug.pause_every_s},
	             {"pause_ms", &bug.pause_ms}};
	for (const char *p = strchr(spec, ','); p; p = strchr(p + 1, ',')) {
		for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
			size_t n = strlen(knobs[i].name);
			if (!strncmp(p + 1, knobs[i].name, n) && p[1 + n] == '=') *knobs[i].v = strtod(p + 2 + n, NULL);
		}
	}
}

/* ---- connections and delayed sends ---- */

typedef struct conn {
	int fd;
	uint64_t gen; /* tells a reused slot from the connection a delayed send was meant for */
	dbuf in, out;
} conn;

static conn conns[MAX_CONNS];
static int nconns;
static uint64_t next_gen = 1;

typedef struct delayed {
	double due;
	int slot;
	uint64_t gen;
	dbuf frame;
	struct delayed *next;
} delayed;
static delayed *delayed_sends;

static void frame_begin(dbuf *f, uint64_t id, int err) {
	dbuf_u32(f, 0); /* length, patched in frame_end */
	dbuf_u8(f, MSG_REPLY);
	dbuf_u64(f, id);
	dbuf_u32(f, (uint32_t)err);
}

static void frame_end(dbuf *f) {
	uint32_t n = (uint32_t)(f->len - 4);
	for (int i = 0; i < 4; i++) f->data[i] = (uint8_t)(n >> (8 * i));
}

/* Sends a finished frame now, or after delay_ms (buggify). Takes the frame. */
static void send_frame(int slot, dbuf *f, double delay_ms) {
	if (delay_ms <= 0) {
		dbuf_put(&conns[slot].out, f->data, f->len);
		dbuf_free(f);
		return;
	}
	delayed *d = xcalloc(1, sizeof *d);
	*d = (delayed){now_monotonic() + delay_ms / 1000.0, slot, conns[slot].gen, *f, NULL};
	*f = (dbuf){0};
	d->next = delayed_sends;
	delayed_sends = d;
}

static void reply(int slot, uint64_t id, int err, const dbuf *payload) {
	dbuf f = {0};
	frame_begin(&f, id, err);
	if (payload && !err) dbuf_put(&f, payload->data, payload->len);
	frame_end(&f);
	send_frame(slot, &f, chance(bug.delay_reply) ? rnd01() * bug.delay_reply_ms : 0);
}

/* ---- the cluster's state ---- */

static store db;
static int64_t last_version;  /* newest version handed out (read or commit) */
static int64_t oldest_version; /* reads and commits older than this are too old */
static int batch_open;         /* commits in this loop turn share one version */
static uint16_t batch_order;
static uint64_t cluster_id;

typedef struct history {
	int64_t version;
	krange *writes;
	int n;
	struct history *next;
} history;
static history *recent; /* newest first */

typedef struct watch {
	int slot;
	uint64_t gen, id;
	uint8_t *key, *val;
	int klen, len, present;
	struct watch *next;
} watch;
#define WATCH_BUCKETS 4096
static watch *watches[WATCH_BUCKETS];

static unsigned key_hash(const uint8_t *k, int n) {
	unsigned h = 2166136261u;
	for (int i = 0; i < n; i++) h = (h ^ k[i]) * 16777619u;
	return h % WATCH_BUCKETS;
}

static void advance_oldest(void) {
	int64_t o = last_version - MVCC_WINDOW;
	if (o > oldest_version) oldest_version = o;
}

static int64_t read_version(void) {
	int64_t now = now_wall_us();
	if (now > last_version) last_version = now;
	batch_open = 0; /* a commit after this must get a newer version than this read */
	return last_version;
}

static void fire(watch *w, int err) {
	double delay = bug.on ? rnd01() * bug.fire_delay_ms : 0; /* lets later changes coalesce */
	if (w->gen == conns[w->slot].gen) {
		dbuf f = {0};
		frame_begin(&f, w->id, err);
		frame_end(&f);
		send_frame(w->slot, &f, delay);
	}
	free(w->key);
	free(w->val);
	free(w);
}

/* Fires the watches on `key` whose value differs from the key's newest value. */
static void check_watches(const uint8_t *key, int klen) {
	const uint8_t *val = NULL;
	int len = 0;
	int present = store_latest(&db, key, klen, &val, &len);
	for (watch **p = &watches[key_hash(key, klen)]; *p;) {
		watch *w = *p;
		int same_key = key_cmp(w->key, w->klen, key, klen) == 0;
		int changed = present != w->present || (present && key_cmp(w->val, w->len, val, len) != 0);
		if (same_key && changed) {
			*p = w->next;
			fire(w, 0);
		} else {
			p = &w->next;
		}
	}
}

static void handle_watch(int slot, uint64_t id, dread *a) {
	int kl, vl;
	const uint8_t *k = rd_bytes(a, &kl);
	int present = rd_u8(a);
	const uint8_t *v = rd_bytes(a, &vl);
	if (a->bad) return reply(slot, id, E_INTERNAL_ERROR, NULL);
	if (chance(bug.early_too_many_watches)) return reply(slot, id, E_TOO_MANY_WATCHES, NULL);
	watch *w = xcalloc(1, sizeof *w);
	*w = (watch){slot, conns[slot].gen, id, mem_dup(k, (size_t)kl), mem_dup(v, (size_t)vl), kl, vl, present, NULL};
	unsigned h = key_hash(k, kl);
	w->next = watches[h];
	watches[h] = w;
	if (chance(bug.spurious_fire)) { /* a fire without a change */
		watches[h] = w->next;
		return fire(w, 0);
	}
	check_watches(k, kl);
}

static void handle_watch_cancel(int slot, dread *a) {
	uint64_t id = rd_u64(a);
	int kl;
	const uint8_t *k = rd_bytes(a, &kl);
	for (watch **p = &watches[key_hash(k, kl)]; *p; p = &(*p)->next) {
		watch *w = *p;
		if (w->slot == slot && w->gen == conns[slot].gen && w->id == id) {
			*p = w->next;
			free(w->key);
			free(w->val);
			free(w);
			return;
		}
	}
}

static krange *read_ranges(dread *a, int *n) {
	*n = (int)rd_u32(a);
	if (a->bad || *n < 0 || (size_t)*n > a->left / 8) {
		a->bad = 1;
		*n = 0;
		return NULL;
	}
	krange *r = xcalloc((size_t)*n + 1, sizeof *r);
	for (int i = 0; i < *n; i++) {
		const uint8_t *b = rd_bytes(a, &r[i].bl);
		const uint8_t *e = rd_bytes(a, &r[i].el);
		r[i].b = mem_dup(b, (size_t)r[i].bl);
		r[i].e = mem_dup(e, (size_t)r[i].el);
	}
	return r;
}

static void free_ranges(krange *r, int n) {
	for (int i = 0; i < n; i++) {
		free(r[i].b);
		free(r[i].e);
	}
	free(r);
}

static int conflicts(int64_t rv, const krange *reads, int nreads) {
	for (history *h = recent; h && h->version > rv; h = h->next)
		for (int i = 0; i < h->n; i++)
			for (int j = 0; j < nreads; j++)
				if (key_cmp(h->writes[i].b, h->writes[i].bl, reads[j].e, reads[j].el) < 0 &&
				    key_cmp(reads[j].b, reads[j].bl, h->writes[i].e, h->writes[i].el) < 0)
					return 1;
	return 0;
}

/* Replaces the 10 bytes at the 4-byte little-endian offset that ends `p` with the stamp. */
static uint8_t *stamped(const uint8_t *p, int n, const uint8_t stamp[10], int *out_len) {
	uint32_t off = (uint32_t)p[n - 4] | (uint32_t)p[n - 3] << 8 | (uint32_t)p[n - 2] << 16 | (uint32_t)p[n - 1] << 24;
	uint8_t *r = mem_dup(p, (size_t)(n - 4));
	memcpy(r + off, stamp, 10);
	*out_len = n - 4;
	return r;
}

static void touch(dbuf *touched, const uint8_t *k, int kl) { dbuf_bytes(touched, k, kl); }

/* Applies one commit's mutations at `version`; records each key written in `touched`. */
static void apply_mutations(dread *a, int64_t version, const uint8_t stamp[10], dbuf *touched) {
	uint32_t count = rd_u32(a);
	for (uint32_t m = 0; m < count && !a->bad; m++) {
		int type = rd_u8(a), al, bl;
		const uint8_t *k = rd_bytes(a, &al);
		const uint8_t *v = rd_bytes(a, &bl);
		if (type == MUT_SET) {
			store_write(&db, k, al, version, 1, v, bl);
			touch(touched, k, al);
		} else if (type == MUT_CLEAR_RANGE) {
			int i = store_lower_bound(&db, k, al, NULL);
			dbuf keys = {0};
			for (; i < db.n && key_cmp(db.items[i]->key, db.items[i]->klen, v, bl) < 0; i++)
				dbuf_bytes(&keys, db.items[i]->key, db.items[i]->klen);
			dread kr = {keys.data, keys.len, 0};
			while (kr.left) {
				int kl;
				const uint8_t *key = rd_bytes(&kr, &kl);
				store_write(&db, key, kl, version, 0, NULL, 0);
				touch(touched, key, kl);
			}
			dbuf_free(&keys);
		} else if (type == FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_KEY) {
			int kl;
			uint8_t *key = stamped(k, al, stamp, &kl);
			store_write(&db, key, kl, version, 1, v, bl);
			touch(touched, key, kl);
			free(key);
		} else if (type == FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_VALUE) {
			int vl;
			uint8_t *val = stamped(v, bl, stamp, &vl);
			store_write(&db, k, al, version, 1, val, vl);
			touch(touched, k, al);
			free(val);
		} else {
			const uint8_t *old = NULL;
			int old_len = 0;
			int present = store_latest(&db, k, al, &old, &old_len);
			uint8_t *out = NULL;
			int out_len = 0;
			int now_present = atomic_apply(type, present, old, old_len, v, bl, &out, &out_len);
			store_write(&db, k, al, version, now_present, out, out_len);
			free(out);
			touch(touched, k, al);
		}
	}
}

static void handle_commit(int slot, uint64_t id, dread *a) {
	int64_t rv = (int64_t)rd_u64(a);
	int nreads, nwrites;
	krange *reads = read_ranges(a, &nreads);
	krange *writes = read_ranges(a, &nwrites);
	int err = 0;
	if (a->bad)
		err = E_INTERNAL_ERROR;
	else if (chance(bug.inject_too_old) || (rv >= 0 && rv < oldest_version))
		err = E_TRANSACTION_TOO_OLD;
	else if (chance(bug.inject_conflict) || (rv >= 0 && conflicts(rv, reads, nreads)))
		err = E_NOT_COMMITTED;
	else if (chance(bug.unknown_lost))
		err = E_COMMIT_UNKNOWN_RESULT; /* as if the commit never reached a proxy */
	if (err) {
		free_ranges(reads, nreads);
		free_ranges(writes, nwrites);
		return reply(slot, id, err, NULL);
	}
	if (!batch_open || batch_order == 0xffff) {
		int64_t now = now_wall_us();
		last_version = now > last_version ? now : last_version + 1;
		batch_open = 1;
		batch_order = 0;
	} else {
		batch_order++;
	}
	uint8_t stamp[10];
	for (int i = 0; i < 8; i++) stamp[i] = (uint8_t)((uint64_t)last_version >> (56 - 8 * i));
	stamp[8] = (uint8_t)(batch_order >> 8);
	stamp[9] = (uint8_t)batch_order;
	dbuf touched = {0};
	apply_mutations(a, last_version, stamp, &touched);
	history *h = xcalloc(1, sizeof *h);
	*h = (history){last_version, writes, nwrites, recent};
	recent = h;
	free_ranges(reads, nreads);

	dbuf payload = {0};
	dbuf_u64(&payload, (uint64_t)last_version);
	dbuf_u16be(&payload, batch_order);
	reply(slot, id, chance(bug.unknown_landed) ? E_COMMIT_UNKNOWN_RESULT : 0, &payload);
	dbuf_free(&payload);
	dread t = {touched.data, touched.len, 0};
	while (t.left) {
		int kl;
		const uint8_t *k = rd_bytes(&t, &kl);
		check_watches(k, kl);
	}
	dbuf_free(&touched);
}

static void handle_frame(int slot, const uint8_t *p, size_t n) {
	dread a = {p, n, 0};
	int type = rd_u8(&a);
	uint64_t id = rd_u64(&a);
	dbuf payload = {0};
	switch (type) {
	case MSG_HELLO:
		dbuf_u64(&payload, cluster_id);
		reply(slot, id, 0, &payload);
		break;
	case MSG_GRV:
		dbuf_u64(&payload, (uint64_t)read_version());
		reply(slot, id, 0, &payload);
		break;
	case MSG_READ: {
		int64_t v = (int64_t)rd_u64(&a);
		int err = v < oldest_version ? E_TRANSACTION_TOO_OLD
		          : v > last_version ? E_FUTURE_VERSION
		                             : server_read(&db, v, &a, &payload);
		reply(slot, id, err, &payload);
		break;
	}
	case MSG_COMMIT: handle_commit(slot, id, &a); break;
	case MSG_WATCH: handle_watch(slot, id, &a); break;
	case MSG_WATCH_CANCEL: handle_watch_cancel(slot, &a); break;
	default: reply(slot, id, E_INTERNAL_ERROR, NULL);
	}
	dbuf_free(&payload);
}

static void drop_conn(int slot) {
	close(conns[slot].fd);
	conns[slot].fd = -1;
	conns[slot].gen = 0;
	dbuf_free(&conns[slot].in);
	dbuf_free(&conns[slot].out);
	for (int b = 0; b < WATCH_BUCKETS; b++)
		for (watch **p = &watches[b]; *p;) {
			watch *w = *p;
			if (w->slot == slot) {
				*p = w->next;
				free(w->key);
				free(w->val);
				free(w);
			} else {
				p = &w->next;
			}
		}
}

static void read_conn(int slot) {
	conn *c = &conns[slot];
	uint8_t buf[65536];
	ssize_t got = read(c->fd, buf, sizeof buf);
	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
		return drop_conn(slot);
	}
	dbuf_put(&c->in, buf, (size_t)got);
	size_t at = 0;
	while (c->in.len - at >= 4) {
		const uint8_t *p = c->in.data + at;
		uint32_t n = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		if (n > WIRE_MAX_FRAME) return drop_conn(slot);
		if (c->in.len - at - 4 < n) break;
		handle_frame(slot, p + 4, n);
		if (c->fd < 0) return;
		at += 4 + n;
	}
	dbuf_consume(&c->in, at);
}

static volatile sig_atomic_t stopping;
static void on_signal(int sig) {
	(void)sig;
	stopping = 1;
}

static void flush_delayed(double now) {
	for (delayed **p = &delayed_sends; *p;) {
		delayed *d = *p;
		if (d->due <= now) {
			if (conns[d->slot].gen == d->gen) dbuf_put(&conns[d->slot].out, d->frame.data, d->frame.len);
			dbuf_free(&d->frame);
			*p = d->next;
			free(d);
		} else {
			p = &d->next;
		}
	}
}

static void prune_history(void) {
	for (history **p = &recent; *p; p = &(*p)->next) {
		if ((*p)->version < oldest_version) {
			history *h = *p;
			*p = NULL;
			while (h) {
				history *next = h->next;
				free_ranges(h->writes, h->n);
				free(h);
				h = next;
			}
			return;
		}
	}
}

static int listen_on(const char *path) {
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path) {
		fprintf(stderr, "fdb-double-server: socket path too long (max %zu): %s\n", sizeof addr.sun_path - 1, path);
		exit(2);
	}
	strcpy(addr.sun_path, path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "fdb-double-server: cannot listen on %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void write_cluster_file(const char *file, const char *sock) {
	FILE *f = fopen(file, "w");
	if (!f || fprintf(f, "fdbdouble:%016llx@%s\n", (unsigned long long)cluster_id, sock) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fdb-double-server: cannot write cluster file %s: %s\n", file, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv) {
	const char *sock = NULL, *cluster_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--cluster-file") && i + 1 < argc)
			cluster_file = argv[++i];
		else {
			fprintf(stderr, "usage: fdb-double-server --socket PATH [--cluster-file FILE]\n"
			                "A test double of a FoundationDB cluster (not FoundationDB). See README.md.\n");
			return 2;
		}
	}
	if (!sock) {
		fprintf(stderr, "fdb-double-server: --socket PATH is required\n");
		return 2;
	}
	parse_buggify(getenv("FDB_DOUBLE_BUGGIFY"));
	cluster_id = ((uint64_t)now_wall_us() << 16) ^ (uint64_t)getpid();
	last_version = now_wall_us();
	advance_oldest();
	int lfd = listen_on(sock);
	if (cluster_file) write_cluster_file(cluster_file, sock);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
	fprintf(stderr, "fdb-double-server: test double (not FoundationDB) listening on %s%s", sock,
	        bug.on ? ", buggify on" : "");
	if (bug.on) fprintf(stderr, " (seed %llu)", (unsigned long long)bug.seed);
	fprintf(stderr, "\n");
	printf("ready\n");
	fflush(stdout);

	double next_gc = now_monotonic() + 1, pause_until = 0;
	double next_pause = bug.on && bug.pause_every_s > 0 ? now_monotonic() + bug.pause_every_s * (0.5 + rnd01()) : 0;
	struct pollfd pfd[MAX_CONNS + 1];
	int slot_of[MAX_CONNS + 1];
	while (!stopping) {
		double now = now_monotonic();
		int paused = now < pause_until;
		int n = 0;
		pfd[n++] = (struct pollfd){lfd, paused ? 0 : POLLIN, 0};
		for (int i = 0; i < nconns; i++) {
			if (conns[i].fd < 0) continue;
			short ev = (short)((paused ? 0 : POLLIN) | (conns[i].out.len ? POLLOUT : 0));
			slot_of[n] = i;
			pfd[n++] = (struct pollfd){conns[i].fd, ev, 0};
		}
		int timeout = delayed_sends || paused ? 5 : 200;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) break;
		batch_open = 0;
		now = now_monotonic();
		flush_delayed(now);
		if (next_pause && now >= next_pause) {
			pause_until = now + bug.pause_ms / 1000.0;
			next_pause = pause_until + bug.pause_every_s * (0.5 + rnd01());
			fprintf(stderr, "fdb-double-server: buggify: pausing for %.0f ms\n", bug.pause_ms);
		}
		if (pfd[0].revents & POLLIN) {
			int fd;
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				int slot = 0;
				while (slot < MAX_CONNS && conns[slot].fd >= 0) slot++;
				if (slot == MAX_CONNS) {
					close(fd);
					continue;
				}
				conns[slot].fd = fd;
				conns[slot].gen = next_gen++;
				if (slot >= nconns) nconns = slot + 1;
			}
		}
		for (int i = 1; i < n; i++) {
			int slot = slot_of[i];
			if (conns[slot].fd != pfd[i].fd) continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) read_conn(slot);
		}
		for (int slot = 0; slot < nconns; slot++) {
			conn *c = &conns[slot];
			if (c->fd < 0 || !c->out.len) continue;
			ssize_t put = write(c->fd, c->out.data, c->out.len);
			if (put > 0)
				dbuf_consume(&c->out, (size_t)put);
			else if (put < 0 && errno != EAGAIN && errno != EINTR)
				drop_conn(slot);
		}
		if (now >= next_gc) {
			read_version();
			advance_oldest();
			store_gc(&db, oldest_version);
			prune_history();
			next_gc = now + 1;
		}
	}
	unlink(sock);
	fprintf(stderr, "fdb-double-server: stopped\n");
	return 0;
}
