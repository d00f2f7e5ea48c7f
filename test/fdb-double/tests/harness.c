#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>

int failures_in_test;
const char *current_test = "";

double now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spawn(server *s, const char *buggify) {
	int out[2];
	if (pipe(out) != 0) abort();
	s->pid = fork();
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
		if (buggify) setenv("FDB_DOUBLE_BUGGIFY", buggify, 1);
		else unsetenv("FDB_DOUBLE_BUGGIFY");
		dup2(out[1], 1);
		close(out[0]);
		execl(s->binary, s->binary, "--socket", s->sock, "--cluster-file", s->cluster, (char *)NULL);
		perror("exec fdb-double-server");
		_exit(127);
	}
	close(out[1]);
	char line[16] = {0};
	ssize_t n = read(out[0], line, sizeof line - 1); /* "ready" once it listens */
	close(out[0]);
	if (n <= 0) {
		fprintf(stderr, "fdb-double-server did not start (%s)\n", s->binary);
		exit(1);
	}
}

void server_start(server *s, const char *binary, const char *buggify) {
	memset(s, 0, sizeof *s);
	s->binary = binary;
	snprintf(s->dir, sizeof s->dir, "/tmp/fdb-double-test-XXXXXX");
	if (!mkdtemp(s->dir)) abort();
	snprintf(s->sock, sizeof s->sock, "%s/fdb.sock", s->dir);
	snprintf(s->cluster, sizeof s->cluster, "%s/fdb.cluster", s->dir);
	spawn(s, buggify);
}

void server_restart(server *s, const char *buggify) {
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	spawn(s, buggify);
}

void server_stop(server *s) {
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	unlink(s->cluster);
	unlink(s->sock);
	rmdir(s->dir);
}

void server_pause(server *s) { kill(s->pid, SIGSTOP); }
void server_resume(server *s) { kill(s->pid, SIGCONT); }

FDBDatabase *open_db(const char *cluster_file) {
	FDBDatabase *db = NULL;
	if (fdb_create_database(cluster_file, &db) != 0) {
		fprintf(stderr, "fdb_create_database(%s) failed\n", cluster_file);
		exit(1);
	}
	return db;
}

int wait_err(FDBFuture *f) {
	if (fdb_future_block_until_ready(f) != 0) abort();
	int err = fdb_future_get_error(f);
	fdb_future_destroy(f);
	return err;
}

int commit(FDBTransaction *tr) { return wait_err(fdb_transaction_commit(tr)); }

FDBTransaction *tx(FDBDatabase *db) {
	FDBTransaction *tr = NULL;
	if (fdb_database_create_transaction(db, &tr) != 0) abort();
	return tr;
}

void set_s(FDBTransaction *tr, const char *k, const char *v) {
	fdb_transaction_set(tr, (const uint8_t *)k, (int)strlen(k), (const uint8_t *)v, (int)strlen(v));
}

char *get_s(FDBTransaction *tr, const char *k, int snapshot, int *err) {
	FDBFuture *f = fdb_transaction_get(tr, (const uint8_t *)k, (int)strlen(k), snapshot);
	if (fdb_future_block_until_ready(f) != 0) abort();
	fdb_bool_t present = 0;
	const uint8_t *v = NULL;
	int len = 0;
	*err = fdb_future_get_value(f, &present, &v, &len);
	char *out = NULL;
	if (!*err && present) {
		out = malloc((size_t)len + 1);
		memcpy(out, v, (size_t)len);
		out[len] = 0;
	}
	fdb_future_destroy(f);
	return out;
}

void put(FDBDatabase *db, const char *k, const char *v) {
	FDBTransaction *tr = tx(db);
	set_s(tr, k, v);
	int err = commit(tr);
	if (err) fprintf(stderr, "    put(%s) failed: %d\n", k, err);
	fdb_transaction_destroy(tr);
}

char *read_s(FDBDatabase *db, const char *k) {
	FDBTransaction *tr = tx(db);
	int err;
	char *v = get_s(tr, k, 0, &err);
	fdb_transaction_destroy(tr);
	return v;
}

int64_t read_version(FDBTransaction *tr) {
	FDBFuture *f = fdb_transaction_get_read_version(tr);
	fdb_future_block_until_ready(f);
	int64_t v = -1;
	if (fdb_future_get_int64(f, &v) != 0) v = -1;
	fdb_future_destroy(f);
	return v;
}

void set_int_option(FDBTransaction *tr, FDBTransactionOption o, int64_t v) {
	uint8_t b[8];
	for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (8 * i));
	if (fdb_transaction_set_option(tr, o, b, 8) != 0) abort();
}

int ready_within(FDBFuture *f, double seconds) {
	double until = now_s() + seconds;
	while (!fdb_future_is_ready(f)) {
		if (now_s() > until) return 0;
		usleep(1000);
	}
	return 1;
}
