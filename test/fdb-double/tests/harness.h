/*
 * A small harness for the double's C tests: a server per test group, a network thread,
 * blocking helpers, and checks that record a failure and go on.
 */
#ifndef FDB_DOUBLE_HARNESS_H
#define FDB_DOUBLE_HARNESS_H

#define FDB_API_VERSION 720
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "foundationdb/fdb_c.h"

extern int failures_in_test;
extern const char *current_test;

#define CHECK(cond)                                                                                    \
	do {                                                                                           \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "    %s:%d: %s: check failed: %s\n", __FILE__, __LINE__, current_test, #cond); \
			failures_in_test++;                                                            \
		}                                                                                      \
	} while (0)

#define CHECK_ERR(expr, code)                                                                         \
	do {                                                                                          \
		int got_ = (expr);                                                                    \
		if (got_ != (code)) {                                                                 \
			fprintf(stderr, "    %s:%d: %s: %s gave %d (%s), expected %d\n", __FILE__, __LINE__, \
			        current_test, #expr, got_, fdb_get_error(got_), (code));              \
			failures_in_test++;                                                           \
		}                                                                                     \
	} while (0)

/* ---- a server process ---- */
typedef struct server {
	pid_t pid;
	char dir[256], sock[300], cluster[300];
	const char *binary;
} server;

void server_start(server *s, const char *binary, const char *buggify);
/* Starts it again on the same socket and cluster file (an empty cluster). */
void server_restart(server *s, const char *buggify);
void server_stop(server *s);
void server_pause(server *s);
void server_resume(server *s);

/* ---- blocking helpers ---- */
FDBDatabase *open_db(const char *cluster_file);
int wait_err(FDBFuture *f); /* blocks, returns the error, destroys the future */
int commit(FDBTransaction *tr);
FDBTransaction *tx(FDBDatabase *db);
void set_s(FDBTransaction *tr, const char *k, const char *v);
/* The value of k as a malloc'd string (NULL when absent); *err gets the error. */
char *get_s(FDBTransaction *tr, const char *k, int snapshot, int *err);
/* Writes k=v in its own transaction. */
void put(FDBDatabase *db, const char *k, const char *v);
char *read_s(FDBDatabase *db, const char *k);
int64_t read_version(FDBTransaction *tr);
void set_int_option(FDBTransaction *tr, FDBTransactionOption o, int64_t v);
double now_s(void);
/* Waits up to `seconds` for the future; 1 when it became ready. */
int ready_within(FDBFuture *f, double seconds);

#endif
