/* API version, network options, databases and the future accessors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "errors.h"

#define MAX_API_VERSION 720

int apply_tx_option(tx_options *o, int code, const uint8_t *v, int len, fdb_error_t *err);
void tx_watch_cancel(tx_watch *w);

int fdb_get_max_api_version(void) { return MAX_API_VERSION; }

fdb_error_t fdb_select_api_version_impl(int runtime_version, int header_version) {
	if (runtime_version > header_version) return E_API_VERSION_INVALID;
	if (runtime_version < 13 || runtime_version > MAX_API_VERSION) return E_API_VERSION_NOT_SUPPORTED;
	pthread_mutex_lock(&g_mu);
	fdb_error_t err = 0;
	if (g_api_version && g_api_version != runtime_version)
		err = E_API_VERSION_ALREADY_SET;
	else
		g_api_version = runtime_version;
	pthread_mutex_unlock(&g_mu);
	return err;
}

fdb_error_t fdb_network_set_option(FDBNetworkOption option, uint8_t const *value, int value_length) {
	(void)option;
	(void)value;
	(void)value_length;
	/* Tracing, TLS, knobs, client versions: nothing for the double to configure. */
	return g_api_version ? 0 : E_API_VERSION_UNSET;
}

/* Cluster file: "<description>:<id>@<absolute path of the server's Unix socket>". */
static fdb_error_t read_cluster_file(const char *path, char **sock) {
	const char *chosen = path && *path ? path : getenv("FDB_CLUSTER_FILE");
	FILE *f = NULL;
	if (chosen && *chosen) {
		f = fopen(chosen, "r");
		if (!f) return errno == ENOENT ? E_NO_CLUSTER_FILE_FOUND : 1513; /* file_not_readable */
	} else {
		f = fopen("fdb.cluster", "r");
		if (!f) f = fopen("/etc/foundationdb/fdb.cluster", "r");
		if (!f) return E_NO_CLUSTER_FILE_FOUND;
	}
	char line[4096] = {0};
	char *got = fgets(line, sizeof line, f);
	fclose(f);
	if (!got) return E_CONNECTION_STRING_INVALID;
	line[strcspn(line, "\r\n")] = 0;
	char *at = strchr(line, '@');
	char *colon = strchr(line, ':');
	if (!at || !colon || colon > at || !at[1]) return E_CONNECTION_STRING_INVALID;
	if (at[1] != '/') {
		/* A FoundationDB cluster's address (ip:port,...): the double cannot speak to it, so
		 * it behaves as a cluster that never answers. Say so once. */
		static int warned;
		if (!warned++)
			fprintf(stderr, "fdb-double: the cluster file %s names %s, not an fdb-double-server socket; this "
			                "libfdb_c TEST DOUBLE treats it as an unreachable cluster.\n",
			        chosen && *chosen ? chosen : "(default)", at + 1);
		*sock = strdup("/nonexistent/fdb-double-unreachable.sock");
		return 0;
	}
	*sock = strdup(at + 1);
	return 0;
}

fdb_error_t fdb_create_database(const char *cluster_file_path, FDBDatabase **out) {
	if (!g_api_version) return E_API_VERSION_UNSET;
	char *sock = NULL;
	fdb_error_t err = read_cluster_file(cluster_file_path, &sock);
	if (err) return err;
	FDBDatabase *db = xcalloc(1, sizeof *db);
	db->sock_path = sock;
	db->fd = -1;
	db->refs = 1;
	db->max_watches = 10000;
	db->defaults = (tx_options){.timeout_ms = 0, .retry_limit = -1, .max_retry_delay_ms = 1000, .size_limit = 10000000};
	pthread_mutex_lock(&g_mu);
	db_link(db);
	network_wake();
	pthread_mutex_unlock(&g_mu);
	*out = db;
	return 0;
}

void fdb_database_destroy(FDBDatabase *db) {
	if (!db) return;
	pthread_mutex_lock(&g_mu);
	db_unref(db);
	pthread_mutex_unlock(&g_mu);
}

fdb_error_t fdb_database_set_option(FDBDatabase *db, FDBDatabaseOption option, uint8_t const *value, int value_length) {
	fdb_error_t err = 0;
	pthread_mutex_lock(&g_mu);
	if (option == FDB_DB_OPTION_MAX_WATCHES) {
		int64_t x = 0;
		for (int i = 7; value && value_length == 8 && i >= 0; i--) x = (x << 8) | value[i];
		if (!value || value_length != 8 || x < 0 || x > 1000000) err = E_INVALID_OPTION_VALUE;
		else db->max_watches = x;
	} else if (option == FDB_DB_OPTION_SNAPSHOT_RYW_ENABLE || option == FDB_DB_OPTION_SNAPSHOT_RYW_DISABLE) {
		db->defaults.snapshot_ryw_disabled = option == FDB_DB_OPTION_SNAPSHOT_RYW_DISABLE;
	} else if (option >= 500 && option <= 504) {
		/* transaction_timeout .. transaction_causal_read_risky: the same codes as the
		 * transaction options they set the defaults of */
		apply_tx_option(&db->defaults, option, value, value_length, &err);
	} else if (option == FDB_DB_OPTION_TRANSACTION_BYPASS_UNREADABLE) {
		db->defaults.bypass_unreadable = 1;
	} else if (!(option == 10 || option == 21 || option == 22 || option == 405 || option == 505 || option == 506 ||
	             option == 800 || option == 900)) {
		err = E_INVALID_OPTION;
	}
	pthread_mutex_unlock(&g_mu);
	return err;
}

/* ---- futures ---- */

/* Ends a pending future with operation_cancelled; a watch also stops being watched. */
static void cancel_locked(FDBFuture *f) {
	if (f->ready) return;
	if (f->dw)
		watch_cancel(f->dw);
	else if (f->watch)
		tx_watch_cancel(f->watch);
	else
		future_complete(f, E_OPERATION_CANCELLED);
}

void fdb_future_cancel(FDBFuture *f) {
	pthread_mutex_lock(&g_mu);
	cancel_locked(f);
	pthread_mutex_unlock(&g_mu);
}

void fdb_future_release_memory(FDBFuture *f) { (void)f; }

void fdb_future_destroy(FDBFuture *f) {
	if (!f) return;
	pthread_mutex_lock(&g_mu);
	f->released = 1; /* no callback for it any more */
	cancel_locked(f); /* destroying a pending future cancels it */
	future_unref(f);
	pthread_mutex_unlock(&g_mu);
}

fdb_error_t fdb_future_block_until_ready(FDBFuture *f) {
	pthread_mutex_lock(&g_mu);
	fdb_error_t err = 0;
	if (!f->ready && network_on_this_thread())
		err = E_BLOCKED_FROM_NETWORK_THREAD;
	else
		future_wait(f);
	pthread_mutex_unlock(&g_mu);
	return err;
}

fdb_bool_t fdb_future_is_ready(FDBFuture *f) {
	pthread_mutex_lock(&g_mu);
	int ready = f->ready;
	pthread_mutex_unlock(&g_mu);
	return ready;
}

fdb_error_t fdb_future_set_callback(FDBFuture *f, FDBCallback callback, void *param) {
	pthread_mutex_lock(&g_mu);
	int ready = f->ready;
	if (!ready) {
		f->cb = callback;
		f->cb_param = param;
	}
	pthread_mutex_unlock(&g_mu);
	if (ready) callback(f, param); /* already ready: at once, on the caller's thread */
	return 0;
}

fdb_error_t fdb_future_get_error(FDBFuture *f) {
	pthread_mutex_lock(&g_mu);
	fdb_error_t err = f->ready ? f->err : E_FUTURE_NOT_SET;
	pthread_mutex_unlock(&g_mu);
	return err;
}

/* The error a getter reports before handing out a result of `kind`. */
static fdb_error_t check(FDBFuture *f, future_kind kind) {
	fdb_error_t err = fdb_future_get_error(f);
	if (!err && f->kind != kind) err = E_CLIENT_INVALID_OPERATION;
	return err;
}

fdb_error_t fdb_future_get_int64(FDBFuture *f, int64_t *out) {
	fdb_error_t err = check(f, FK_INT64);
	if (!err) *out = f->i64;
	return err;
}

fdb_error_t fdb_future_get_uint64(FDBFuture *f, uint64_t *out) {
	fdb_error_t err = check(f, FK_INT64);
	if (!err) *out = (uint64_t)f->i64;
	return err;
}

fdb_error_t fdb_future_get_key(FDBFuture *f, uint8_t const **out_key, int *out_len) {
	fdb_error_t err = check(f, FK_KEY);
	if (!err) {
		*out_key = f->data ? f->data : (const uint8_t *)"";
		*out_len = f->len;
	}
	return err;
}

fdb_error_t fdb_future_get_value(FDBFuture *f, fdb_bool_t *present, uint8_t const **out, int *out_len) {
	fdb_error_t err = check(f, FK_VALUE);
	if (!err) {
		*present = f->present;
		*out = f->data ? f->data : (const uint8_t *)"";
		*out_len = f->present ? f->len : 0;
	}
	return err;
}

fdb_error_t fdb_future_get_keyvalue_array(FDBFuture *f, FDBKeyValue const **out, int *count, fdb_bool_t *more) {
	fdb_error_t err = check(f, FK_KVS);
	if (!err) {
		*out = f->kvs;
		*count = f->count;
		*more = f->more;
	}
	return err;
}

fdb_error_t fdb_future_get_key_array(FDBFuture *f, FDBKey const **out, int *count) {
	fdb_error_t err = check(f, FK_KEYS);
	if (!err) {
		*out = f->keys;
		*count = f->count;
	}
	return err;
}

fdb_error_t fdb_future_get_string_array(FDBFuture *f, const char ***out, int *count) {
	fdb_error_t err = check(f, FK_STRINGS);
	if (!err) {
		*out = f->strings;
		*count = f->count;
	}
	return err;
}
