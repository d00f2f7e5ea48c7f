/*
 * Tests of the libfdb_c TEST DOUBLE through its C API, against fdb-double-server.
 * Usage: double-test <path of fdb-double-server>
 * Each test says which FoundationDB behaviour it holds the double to.
 */
#include "harness.h"

static server srv;
static FDBDatabase *db;
static const char *server_binary;
static const char *self_binary;

static const uint8_t *K(const char *s) { return (const uint8_t *)s; }
#define KL(s) K(s), (int)strlen(s)

/* ---- API version, errors, network ---- */

static void api_version_errors_as_libfdb_c(void) {
	CHECK_ERR(fdb_select_api_version_impl(721, 721), 2203); /* newer than the library */
	CHECK_ERR(fdb_select_api_version_impl(720, 710), 2202); /* runtime newer than the header */
	CHECK_ERR(fdb_select_api_version_impl(720, 720), 0);
	CHECK_ERR(fdb_select_api_version_impl(710, 720), 2201); /* already set to another */
	CHECK(fdb_get_max_api_version() == 720);
	CHECK_ERR(fdb_setup_network(), 2009); /* main() set it up already */
}

static void error_strings_and_predicates(void) {
	CHECK(!strcmp(fdb_get_error(1020), "Transaction not committed due to conflict with another transaction"));
	CHECK(!strcmp(fdb_get_error(1031), "Operation aborted because the transaction timed out"));
	CHECK(fdb_error_predicate(FDB_ERROR_PREDICATE_RETRYABLE, 1020));
	CHECK(fdb_error_predicate(FDB_ERROR_PREDICATE_RETRYABLE, 1021));
	CHECK(fdb_error_predicate(FDB_ERROR_PREDICATE_MAYBE_COMMITTED, 1021));
	CHECK(!fdb_error_predicate(FDB_ERROR_PREDICATE_MAYBE_COMMITTED, 1020));
	CHECK(fdb_error_predicate(FDB_ERROR_PREDICATE_RETRYABLE_NOT_COMMITTED, 1007));
	CHECK(!fdb_error_predicate(FDB_ERROR_PREDICATE_RETRYABLE, 1031));
	CHECK(!fdb_error_predicate(FDB_ERROR_PREDICATE_RETRYABLE, 2004));
}

/* ---- reads and writes ---- */

static void read_your_writes_within_a_transaction(void) {
	put(db, "ryw/a", "1");
	put(db, "ryw/b", "2");
	FDBTransaction *tr = tx(db);
	int err;
	set_s(tr, "ryw/a", "one");
	char *v = get_s(tr, "ryw/a", 0, &err);
	CHECK(v && !strcmp(v, "one"));
	free(v);
	fdb_transaction_clear(tr, KL("ryw/b"));
	CHECK(get_s(tr, "ryw/b", 0, &err) == NULL && err == 0);
	fdb_transaction_clear_range(tr, KL("ryw/"), KL("ryw0"));
	set_s(tr, "ryw/c", "3");
	FDBFuture *f = fdb_transaction_get_range(tr, KL("ryw/"), 0, 1, KL("ryw0"), 0, 1, 0, 0, FDB_STREAMING_MODE_WANT_ALL,
	                                         0, 0, 0);
	fdb_future_block_until_ready(f);
	const FDBKeyValue *kv;
	int n;
	fdb_bool_t more;
	CHECK_ERR(fdb_future_get_keyvalue_array(f, &kv, &n, &more), 0);
	CHECK(n == 1 && kv[0].key_length == 5 && !memcmp(kv[0].key, "ryw/c", 5));
	fdb_future_destroy(f);
	/* an atomic add on a key written earlier in the transaction */
	uint8_t one[8] = {1}, five[8] = {5};
	fdb_transaction_set(tr, KL("ryw/n"), five, 8);
	fdb_transaction_atomic_op(tr, KL("ryw/n"), one, 8, FDB_MUTATION_TYPE_ADD);
	f = fdb_transaction_get(tr, KL("ryw/n"), 0);
	fdb_future_block_until_ready(f);
	fdb_bool_t present;
	const uint8_t *val;
	int len;
	CHECK_ERR(fdb_future_get_value(f, &present, &val, &len), 0);
	CHECK(present && len == 8 && val[0] == 6);
	fdb_future_destroy(f);
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_destroy(tr);
	CHECK(read_s(db, "ryw/a") == NULL); /* the clear_range after its set won */
	v = read_s(db, "ryw/c");
	CHECK(v && !strcmp(v, "3"));
	free(v);
}

static void snapshot_isolation_at_the_read_version(void) {
	put(db, "iso/k", "old");
	FDBTransaction *a = tx(db);
	CHECK(read_version(a) > 0);
	put(db, "iso/k", "new");
	int err;
	char *v = get_s(a, "iso/k", 0, &err);
	CHECK(v && !strcmp(v, "old")); /* reads see the database as of the read version */
	free(v);
	fdb_transaction_destroy(a);
}

static void read_versions_follow_the_wall_clock(void) {
	FDBTransaction *a = tx(db), *b = tx(db);
	int64_t v1 = read_version(a);
	usleep(100000);
	int64_t v2 = read_version(b);
	/* about 1,000,000 versions a second: 100 ms is about 100,000 */
	CHECK(v2 - v1 >= 80000 && v2 - v1 < 1000000);
	fdb_transaction_destroy(a);
	fdb_transaction_destroy(b);
}

static void conflicting_commit_is_not_committed(void) {
	put(db, "cf/k", "0");
	FDBTransaction *a = tx(db), *b = tx(db);
	int err;
	free(get_s(a, "cf/k", 0, &err));
	put(db, "cf/k", "1");
	set_s(a, "cf/other", "x");
	CHECK_ERR(commit(a), 1020);
	/* a snapshot read adds no read conflict range */
	free(get_s(b, "cf/k", 1, &err));
	put(db, "cf/k", "2");
	set_s(b, "cf/other", "y");
	CHECK_ERR(commit(b), 0);
	fdb_transaction_destroy(a);
	fdb_transaction_destroy(b);
}

static void explicit_conflict_ranges(void) {
	FDBTransaction *a = tx(db), *b = tx(db);
	read_version(a);
	CHECK_ERR(fdb_transaction_add_conflict_range(a, KL("ecr/a"), KL("ecr/z"), FDB_CONFLICT_RANGE_TYPE_READ), 0);
	CHECK_ERR(fdb_transaction_add_conflict_range(b, KL("ecr/m"), KL("ecr/n"), FDB_CONFLICT_RANGE_TYPE_WRITE), 0);
	CHECK_ERR(commit(b), 0); /* writes nothing but its write conflict range */
	set_s(a, "elsewhere", "1");
	CHECK_ERR(commit(a), 1020);
	CHECK_ERR(fdb_transaction_add_conflict_range(a, KL("z"), KL("a"), FDB_CONFLICT_RANGE_TYPE_READ), 2005);
	fdb_transaction_destroy(a);
	fdb_transaction_destroy(b);
}

static void read_versions_too_old_or_from_the_future(void) {
	FDBTransaction *a = tx(db);
	int64_t now = read_version(a);
	fdb_transaction_reset(a);
	fdb_transaction_set_read_version(a, now - 6000000); /* 6 s ago: past the 5 s window */
	int err;
	free(get_s(a, "x", 0, &err));
	CHECK(err == 1007);
	fdb_transaction_reset(a);
	fdb_transaction_set_read_version(a, now + 60000000);
	free(get_s(a, "x", 0, &err));
	CHECK(err == 1009);
	fdb_transaction_destroy(a);
}

static void versionstamps(void) {
	FDBTransaction *tr = tx(db);
	uint8_t param[2 + 10 + 4] = {'v', ':'};
	param[12] = 2; /* the stamp goes at offset 2 */
	fdb_transaction_atomic_op(tr, KL("vs/value"), param, sizeof param, FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_VALUE);
	int err;
	free(get_s(tr, "vs/value", 0, &err));
	CHECK(err == 1036); /* unreadable until commit */
	uint8_t kparam[3 + 10 + 4] = {'v', 's', '/'};
	kparam[13] = 3;
	fdb_transaction_atomic_op(tr, kparam, sizeof kparam, K("x"), 1, FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_KEY);
	FDBFuture *r = fdb_transaction_get_range(tr, KL("vs/"), 0, 1, KL("vs0"), 0, 1, 0, 0, FDB_STREAMING_MODE_WANT_ALL, 0,
	                                         0, 0);
	CHECK_ERR(wait_err(r), 1036);
	FDBFuture *stamp = fdb_transaction_get_versionstamp(tr);
	CHECK(!fdb_future_is_ready(stamp)); /* resolves after commit */
	CHECK_ERR(commit(tr), 0);
	fdb_future_block_until_ready(stamp);
	const uint8_t *s;
	int slen;
	CHECK_ERR(fdb_future_get_key(stamp, &s, &slen), 0);
	CHECK(slen == 10);
	int64_t committed;
	fdb_transaction_get_committed_version(tr, &committed);
	uint64_t from_stamp = 0;
	for (int i = 0; i < 8; i++) from_stamp = from_stamp << 8 | s[i];
	CHECK((int64_t)from_stamp == committed);
	FDBTransaction *check = tx(db);
	FDBFuture *f = fdb_transaction_get(check, KL("vs/value"), 0);
	fdb_future_block_until_ready(f);
	fdb_bool_t present;
	const uint8_t *v;
	int vlen;
	fdb_future_get_value(f, &present, &v, &vlen);
	CHECK(present && vlen == 12 && !memcmp(v, "v:", 2) && !memcmp(v + 2, s, 10));
	fdb_future_destroy(f);
	uint8_t key[13] = {'v', 's', '/'};
	memcpy(key + 3, s, 10);
	f = fdb_transaction_get(check, key, 13, 0);
	fdb_future_block_until_ready(f);
	fdb_future_get_value(f, &present, &v, &vlen);
	CHECK(present && vlen == 1 && v[0] == 'x');
	fdb_future_destroy(f);
	fdb_future_destroy(stamp);
	/* a read-only transaction has no versionstamp */
	FDBFuture *ro = fdb_transaction_get_versionstamp(check);
	CHECK_ERR(commit(check), 0);
	CHECK_ERR(wait_err(ro), 2021);
	fdb_transaction_destroy(check);
	fdb_transaction_destroy(tr);
}

static int atomic(const char *key, const uint8_t *start, int slen, FDBMutationType op, const uint8_t *param, int plen,
                  uint8_t *out) {
	FDBTransaction *tr = tx(db);
	fdb_transaction_clear(tr, KL(key));
	if (start) fdb_transaction_set(tr, KL(key), start, slen);
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_reset(tr);
	fdb_transaction_atomic_op(tr, KL(key), param, plen, op);
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_reset(tr);
	FDBFuture *f = fdb_transaction_get(tr, KL(key), 0);
	fdb_future_block_until_ready(f);
	fdb_bool_t present;
	const uint8_t *v;
	int len;
	fdb_future_get_value(f, &present, &v, &len);
	int result = present ? len : -1;
	if (present) memcpy(out, v, (size_t)len);
	fdb_future_destroy(f);
	fdb_transaction_destroy(tr);
	return result;
}

static void atomic_operations(void) {
	uint8_t out[64];
	uint8_t ff[2] = {0xff, 0x00}, one[2] = {1, 0};
	CHECK(atomic("at/add", ff, 2, FDB_MUTATION_TYPE_ADD, one, 2, out) == 2 && out[0] == 0 && out[1] == 1); /* carry */
	CHECK(atomic("at/add0", NULL, 0, FDB_MUTATION_TYPE_ADD, one, 2, out) == 2 && out[0] == 1);             /* absent = 0 */
	uint8_t a[1] = {0x0f}, b[1] = {0x3c};
	CHECK(atomic("at/and", a, 1, FDB_MUTATION_TYPE_BIT_AND, b, 1, out) == 1 && out[0] == 0x0c);
	CHECK(atomic("at/and0", NULL, 0, FDB_MUTATION_TYPE_BIT_AND, b, 1, out) == 1 && out[0] == 0x3c); /* absent: operand */
	CHECK(atomic("at/or", a, 1, FDB_MUTATION_TYPE_BIT_OR, b, 1, out) == 1 && out[0] == 0x3f);
	CHECK(atomic("at/xor", a, 1, FDB_MUTATION_TYPE_BIT_XOR, b, 1, out) == 1 && out[0] == 0x33);
	uint8_t big[2] = {0, 2}, small[2] = {9, 0};
	CHECK(atomic("at/max", big, 2, FDB_MUTATION_TYPE_MAX, small, 2, out) == 2 && out[1] == 2);
	CHECK(atomic("at/min", big, 2, FDB_MUTATION_TYPE_MIN, small, 2, out) == 2 && out[0] == 9);
	CHECK(atomic("at/bmax", K("abc"), 3, FDB_MUTATION_TYPE_BYTE_MAX, K("abd"), 3, out) == 3 && out[2] == 'd');
	CHECK(atomic("at/bmin", K("abc"), 3, FDB_MUTATION_TYPE_BYTE_MIN, K("abd"), 3, out) == 3 && out[2] == 'c');
	CHECK(atomic("at/cac", K("x"), 1, FDB_MUTATION_TYPE_COMPARE_AND_CLEAR, K("x"), 1, out) == -1);
	CHECK(atomic("at/cac2", K("x"), 1, FDB_MUTATION_TYPE_COMPARE_AND_CLEAR, K("y"), 1, out) == 1);
	CHECK(atomic("at/app", K("ab"), 2, FDB_MUTATION_TYPE_APPEND_IF_FITS, K("cd"), 2, out) == 4 && !memcmp(out, "abcd", 4));
	/* the operand's length is the result's length: a longer value is truncated */
	uint8_t three[3] = {1, 1, 1}, addend[1] = {1};
	CHECK(atomic("at/trunc", three, 3, FDB_MUTATION_TYPE_ADD, addend, 1, out) == 1 && out[0] == 2);
	FDBTransaction *tr = tx(db);
	fdb_transaction_atomic_op(tr, KL("at/bad"), one, 2, (FDBMutationType)99);
	CHECK_ERR(commit(tr), 2018);
	fdb_transaction_destroy(tr);
}

static FDBFuture *range(FDBTransaction *tr, const char *b, int b_eq, int b_off, const char *e, int e_eq, int e_off,
                        int limit, int bytes, FDBStreamingMode mode, int iteration, int reverse) {
	return fdb_transaction_get_range(tr, KL(b), b_eq, b_off, KL(e), e_eq, e_off, limit, bytes, mode, iteration, 0,
	                                 reverse);
}

static void key_selectors_and_ranges(void) {
	FDBTransaction *tr = tx(db);
	fdb_transaction_clear_range(tr, KL("sel/"), KL("sel0"));
	const char *keys[] = {"sel/a", "sel/b", "sel/c", "sel/d", "sel/e"};
	for (int i = 0; i < 5; i++) set_s(tr, keys[i], "0123456789");
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_reset(tr);
	struct {
		const char *key;
		int or_equal, offset;
		const char *want;
	} sel[] = {
	    {"sel/b", 0, 1, "sel/b"},  /* first_greater_or_equal */
	    {"sel/b", 1, 1, "sel/c"},  /* first_greater_than */
	    {"sel/b", 1, 0, "sel/b"},  /* last_less_or_equal */
	    {"sel/b", 0, 0, "sel/a"},  /* last_less_than */
	    {"sel/bb", 0, 1, "sel/c"}, /* between keys */
	    {"sel/a", 0, 3, "sel/c"},  /* offsets move along existing keys */
	    {"sel/e", 1, -2, "sel/c"},
	};
	for (size_t i = 0; i < sizeof sel / sizeof sel[0]; i++) {
		FDBFuture *f = fdb_transaction_get_key(tr, KL(sel[i].key), sel[i].or_equal, sel[i].offset, 0);
		fdb_future_block_until_ready(f);
		const uint8_t *k;
		int kl;
		CHECK_ERR(fdb_future_get_key(f, &k, &kl), 0);
		CHECK(kl == (int)strlen(sel[i].want) && !memcmp(k, sel[i].want, (size_t)kl));
		fdb_future_destroy(f);
	}
	const FDBKeyValue *kv;
	int n;
	fdb_bool_t more;
	FDBFuture *f = range(tr, "sel/", 0, 1, "sel0", 0, 1, 2, 0, FDB_STREAMING_MODE_EXACT, 0, 0);
	fdb_future_block_until_ready(f);
	CHECK_ERR(fdb_future_get_keyvalue_array(f, &kv, &n, &more), 0);
	CHECK(n == 2 && more && !memcmp(kv[1].key, "sel/b", 5));
	fdb_future_destroy(f);
	f = range(tr, "sel/", 0, 1, "sel0", 0, 1, 2, 0, FDB_STREAMING_MODE_EXACT, 0, 1);
	fdb_future_block_until_ready(f);
	CHECK_ERR(fdb_future_get_keyvalue_array(f, &kv, &n, &more), 0);
	CHECK(n == 2 && more && !memcmp(kv[0].key, "sel/e", 5) && !memcmp(kv[1].key, "sel/d", 5));
	fdb_future_destroy(f);
	f = range(tr, "sel/", 0, 1, "sel0", 0, 1, 0, 0, FDB_STREAMING_MODE_WANT_ALL, 0, 0);
	fdb_future_block_until_ready(f);
	CHECK_ERR(fdb_future_get_keyvalue_array(f, &kv, &n, &more), 0);
	CHECK(n == 5 && !more);
	fdb_future_destroy(f);
	/* target bytes: each row is 15 bytes; the row that reaches the target is included */
	f = range(tr, "sel/", 0, 1, "sel0", 0, 1, 0, 20, FDB_STREAMING_MODE_WANT_ALL, 0, 0);
	fdb_future_block_until_ready(f);
	CHECK_ERR(fdb_future_get_keyvalue_array(f, &kv, &n, &more), 0);
	CHECK(n == 2 && more);
	fdb_future_destroy(f);
	/* SMALL mode: 256 bytes a batch at most */
	f = range(tr, "", 0, 1, "\xff", 0, 1, 0, 0, FDB_STREAMING_MODE_SMALL, 0, 0);
	CHECK_ERR(wait_err(f), 0);
	CHECK_ERR(wait_err(range(tr, "sel/", 0, 1, "sel0", 0, 1, 0, 0, FDB_STREAMING_MODE_EXACT, 0, 0)), 2210);
	CHECK_ERR(wait_err(range(tr, "sel/", 0, 1, "sel0", 0, 1, 0, 0, FDB_STREAMING_MODE_ITERATOR, 0, 0)), 2000);
	CHECK_ERR(wait_err(range(tr, "sel/", 0, 1, "sel0", 0, 1, -1, 0, FDB_STREAMING_MODE_WANT_ALL, 0, 0)), 2012);
	/* begin after end: an empty result, not an error */
	f = range(tr, "sel/d", 0, 1, "sel/b", 0, 1, 0, 0, FDB_STREAMING_MODE_WANT_ALL, 0, 0);
	fdb_future_block_until_ready(f);
	CHECK_ERR(fdb_future_get_keyvalue_array(f, &kv, &n, &more), 0);
	CHECK(n == 0 && !more);
	fdb_future_destroy(f);
	fdb_transaction_clear_range(tr, KL("sel/z"), KL("sel/a"));
	CHECK_ERR(commit(tr), 2005);
	fdb_transaction_destroy(tr);
}

static void size_limits(void) {
	static uint8_t big[100001];
	FDBTransaction *tr = tx(db);
	fdb_transaction_set(tr, big, 10001, K("v"), 1);
	CHECK_ERR(commit(tr), 2102);
	fdb_transaction_reset(tr);
	fdb_transaction_set(tr, KL("lim/v"), big, 100001);
	CHECK_ERR(commit(tr), 2103);
	fdb_transaction_reset(tr);
	set_int_option(tr, FDB_TR_OPTION_SIZE_LIMIT, 100000);
	for (int i = 0; i < 3; i++) {
		char k[32];
		snprintf(k, sizeof k, "lim/%d", i);
		fdb_transaction_set(tr, KL(k), big, 50000);
	}
	CHECK_ERR(commit(tr), 2101);
	fdb_transaction_destroy(tr);
}

static void system_keys_need_an_option(void) {
	FDBTransaction *tr = tx(db);
	set_s(tr, "\xff/x", "1");
	CHECK_ERR(commit(tr), 2004);
	fdb_transaction_reset(tr);
	int err;
	free(get_s(tr, "\xff/x", 0, &err));
	CHECK(err == 2004);
	fdb_transaction_reset(tr);
	CHECK_ERR(fdb_transaction_set_option(tr, FDB_TR_OPTION_ACCESS_SYSTEM_KEYS, NULL, 0), 0);
	set_s(tr, "\xff/x", "1");
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_destroy(tr);
}


static void range_size_estimates_and_split_points(void) {
	FDBTransaction *tr = tx(db);
	static uint8_t v[1000];
	for (int i = 0; i < 50; i++) {
		char k[32];
		snprintf(k, sizeof k, "est/%02d", i);
		fdb_transaction_set(tr, KL(k), v, sizeof v);
	}
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_reset(tr);
	FDBFuture *f = fdb_transaction_get_estimated_range_size_bytes(tr, KL("est/"), KL("est0"));
	fdb_future_block_until_ready(f);
	int64_t bytes = 0;
	CHECK_ERR(fdb_future_get_int64(f, &bytes), 0);
	CHECK(bytes >= 50 * 1000 && bytes < 60 * 1000);
	fdb_future_destroy(f);
	f = fdb_transaction_get_range_split_points(tr, KL("est/"), KL("est0"), 10000);
	fdb_future_block_until_ready(f);
	const FDBKey *keys;
	int n;
	CHECK_ERR(fdb_future_get_key_array(f, &keys, &n), 0);
	/* begin, a split about every 10 KB, end */
	CHECK(n >= 5 && n <= 8);
	CHECK(n > 1 && keys[0].key_length == 4 && !memcmp(keys[n - 1].key, "est0", 4));
	fdb_future_destroy(f);
	CHECK_ERR(wait_err(fdb_transaction_get_estimated_range_size_bytes(tr, KL("z"), KL("a"))), 2005);
	fdb_transaction_destroy(tr);
}

static void cancelled_transaction_refuses_work_until_reset(void) {
	FDBTransaction *tr = tx(db);
	fdb_transaction_cancel(tr);
	int err;
	free(get_s(tr, "k", 0, &err));
	CHECK(err == 1025);
	CHECK_ERR(commit(tr), 1025);
	fdb_transaction_reset(tr);
	free(get_s(tr, "k", 0, &err));
	CHECK(err == 0);
	fdb_transaction_destroy(tr);
}

static void reset_restores_database_defaults_but_on_error_keeps_limits(void) {
	FDBDatabase *d = open_db(srv.cluster);
	uint8_t limit[8] = {0x00, 0x10}; /* 4,096 bytes */
	CHECK_ERR(fdb_database_set_option(d, FDB_DB_OPTION_TRANSACTION_SIZE_LIMIT, limit, 8), 0);
	FDBTransaction *tr = tx(d);
	static uint8_t big[5000];
	fdb_transaction_set(tr, KL("def/k"), big, sizeof big);
	CHECK_ERR(commit(tr), 2101); /* the database's default applies */
	fdb_transaction_reset(tr);
	set_int_option(tr, FDB_TR_OPTION_SIZE_LIMIT, 100000);
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1020)), 0);
	fdb_transaction_set(tr, KL("def/k"), big, sizeof big);
	CHECK_ERR(commit(tr), 0); /* on_error kept the transaction's own size limit */
	fdb_transaction_reset(tr);
	fdb_transaction_set(tr, KL("def/k"), big, sizeof big);
	CHECK_ERR(commit(tr), 2101); /* reset went back to the database's default */
	fdb_transaction_destroy(tr);
	fdb_database_destroy(d);
}

static void append_if_fits_leaves_a_full_value_alone(void) {
	static uint8_t full[99999], out[100000];
	CHECK(atomic("at/full", full, sizeof full, FDB_MUTATION_TYPE_APPEND_IF_FITS, K("ab"), 2, out) == 99999);
	CHECK(atomic("at/fits", full, sizeof full, FDB_MUTATION_TYPE_APPEND_IF_FITS, K("a"), 1, out) == 100000);
}

/* ---- watches ---- */

static FDBFuture *watch_committed(const char *key) {
	FDBTransaction *tr = tx(db);
	FDBFuture *w = fdb_transaction_watch(tr, KL(key));
	CHECK_ERR(commit(tr), 0);
	fdb_transaction_destroy(tr); /* a watch outlives its transaction */
	return w;
}

static void watch_fires_after_a_committed_change(void) {
	put(db, "w/a", "1");
	FDBFuture *w = watch_committed("w/a");
	CHECK(!ready_within(w, 0.2));
	put(db, "w/a", "2");
	CHECK(ready_within(w, 2));
	CHECK_ERR(wait_err(w), 0);
	/* a clear is a change too */
	w = watch_committed("w/a");
	FDBTransaction *tr = tx(db);
	fdb_transaction_clear(tr, KL("w/a"));
	commit(tr);
	fdb_transaction_destroy(tr);
	CHECK(ready_within(w, 2));
	CHECK_ERR(wait_err(w), 0);
}

static void watch_does_not_fire_on_the_same_value(void) {
	put(db, "w/same", "v");
	FDBFuture *w = watch_committed("w/same");
	put(db, "w/same", "v"); /* the double's choice: identical bytes are not a change */
	CHECK(!ready_within(w, 0.3));
	fdb_future_cancel(w);
	CHECK_ERR(wait_err(w), 1101);
}

static void watch_is_inactive_until_its_transaction_commits(void) {
	put(db, "w/late", "1");
	FDBTransaction *tr = tx(db);
	FDBFuture *w = fdb_transaction_watch(tr, KL("w/late"));
	usleep(50000);
	put(db, "w/late", "2"); /* another transaction's change before this one commits */
	CHECK(!ready_within(w, 0.2));
	/* committing activates it; its value (as read) differs from the database's now */
	set_s(tr, "w/unrelated", "x");
	int err = commit(tr);
	CHECK(err == 1020); /* the watch read the key: a read conflict */
	CHECK(ready_within(w, 1));
	CHECK_ERR(wait_err(w), 1020); /* a failed commit sets its watches with its error */
	fdb_transaction_reset(tr);
	w = fdb_transaction_watch(tr, KL("w/late"));
	CHECK_ERR(commit(tr), 0);
	CHECK(!ready_within(w, 0.2));
	put(db, "w/late", "3");
	CHECK_ERR(wait_err(w), 0);
	fdb_transaction_destroy(tr);
}

static void watch_reports_its_own_transactions_writes_at_once(void) {
	put(db, "w/own", "1");
	FDBTransaction *tr = tx(db);
	FDBFuture *w = fdb_transaction_watch(tr, KL("w/own"));
	int err;
	free(get_s(tr, "w/own", 0, &err)); /* the watch's own read has answered by now */
	set_s(tr, "w/own", "2");
	CHECK(ready_within(w, 1)); /* before commit */
	CHECK_ERR(wait_err(w), 0);
	/* a watch created after the transaction's own write compares against that write */
	fdb_transaction_reset(tr);
	set_s(tr, "w/own", "3");
	w = fdb_transaction_watch(tr, KL("w/own"));
	CHECK_ERR(commit(tr), 0);
	CHECK(!ready_within(w, 0.3));
	put(db, "w/own", "4");
	CHECK_ERR(wait_err(w), 0);
	fdb_transaction_destroy(tr);
}

static void watch_of_reset_or_destroyed_transaction_is_cancelled(void) {
	FDBTransaction *tr = tx(db);
	FDBFuture *w = fdb_transaction_watch(tr, KL("w/r"));
	fdb_transaction_reset(tr);
	CHECK_ERR(wait_err(w), 1025);
	w = fdb_transaction_watch(tr, KL("w/r"));
	fdb_transaction_destroy(tr);
	CHECK_ERR(wait_err(w), 1025);
}

static void too_many_watches(void) {
	FDBDatabase *limited = open_db(srv.cluster);
	uint8_t two[8] = {2};
	CHECK_ERR(fdb_database_set_option(limited, FDB_DB_OPTION_MAX_WATCHES, two, 8), 0);
	FDBTransaction *tr = tx(limited);
	FDBFuture *w[3];
	for (int i = 0; i < 3; i++) {
		char k[32];
		snprintf(k, sizeof k, "w/max%d", i);
		w[i] = fdb_transaction_watch(tr, KL(k));
	}
	int err = commit(tr);
	CHECK(err == 0);
	int over = 0;
	for (int i = 0; i < 3; i++)
		if (ready_within(w[i], 0.2)) over += wait_err(w[i]) == 1032, w[i] = NULL;
	CHECK(over == 1);
	for (int i = 0; i < 3; i++)
		if (w[i]) {
			fdb_future_cancel(w[i]);
			CHECK_ERR(wait_err(w[i]), 1101);
		}
	uint8_t too_many[8] = {0x41, 0x42, 0x0f}; /* 1,000,001 */
	CHECK_ERR(fdb_database_set_option(limited, FDB_DB_OPTION_MAX_WATCHES, too_many, 8), 2006);
	fdb_transaction_destroy(tr);
	fdb_database_destroy(limited);
}

static void watches_disabled_without_read_your_writes(void) {
	FDBTransaction *tr = tx(db);
	CHECK_ERR(fdb_transaction_set_option(tr, FDB_TR_OPTION_READ_YOUR_WRITES_DISABLE, NULL, 0), 0);
	CHECK_ERR(wait_err(fdb_transaction_watch(tr, KL("w/x"))), 1034);
	fdb_transaction_destroy(tr);
}

static void committed_watch_outlives_the_transaction_timeout(void) {
	put(db, "w/t", "1");
	FDBTransaction *tr = tx(db);
	set_int_option(tr, FDB_TR_OPTION_TIMEOUT, 200);
	FDBFuture *w = fdb_transaction_watch(tr, KL("w/t"));
	CHECK_ERR(commit(tr), 0);
	usleep(400000); /* past the timeout: the watch is the database's now */
	CHECK(!fdb_future_is_ready(w));
	put(db, "w/t", "2");
	CHECK_ERR(wait_err(w), 0);
	fdb_transaction_destroy(tr);
}

/* ---- timeouts, retries, reset ---- */

static void unreachable_cluster_times_out(void) {
	char path[] = "/tmp/fdb-double-none-XXXXXX";
	int fd = mkstemp(path);
	const char *line = "fdbdouble:none@/tmp/fdb-double-no-such.sock\n";
	CHECK(write(fd, line, strlen(line)) > 0);
	close(fd);
	FDBDatabase *none = open_db(path);
	FDBTransaction *tr = tx(none);
	set_int_option(tr, FDB_TR_OPTION_TIMEOUT, 300);
	double t0 = now_s();
	int err;
	free(get_s(tr, "k", 0, &err));
	CHECK(err == 1031);
	CHECK(now_s() - t0 >= 0.25 && now_s() - t0 < 2);
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1031)), 1031); /* not retryable */
	/* outstanding futures of a reset transaction fail with transaction_cancelled */
	fdb_transaction_reset(tr);
	FDBFuture *f = fdb_transaction_get(tr, KL("k"), 0);
	fdb_transaction_reset(tr);
	CHECK_ERR(wait_err(f), 1025);
	fdb_transaction_destroy(tr);
	fdb_database_destroy(none);
	unlink(path);
}

static void on_error_retries_what_foundationdb_retries(void) {
	FDBTransaction *tr = tx(db);
	set_s(tr, "oe/k", "v");
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1020)), 0);
	CHECK_ERR(commit(tr), 0); /* reset: the set is gone, so this commits nothing */
	CHECK(read_s(db, "oe/k") == NULL);
	fdb_transaction_reset(tr);
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1021)), 0); /* maybe committed: retried */
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1007)), 0);
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 2004)), 2004);
	fdb_transaction_reset(tr);
	set_int_option(tr, FDB_TR_OPTION_RETRY_LIMIT, 1);
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1020)), 0);
	CHECK_ERR(wait_err(fdb_transaction_on_error(tr, 1020)), 1020); /* limit reached */
	fdb_transaction_destroy(tr);
}

static void database_options_are_transaction_defaults(void) {
	FDBDatabase *d = open_db(srv.cluster);
	uint8_t ms[8] = {100};
	CHECK_ERR(fdb_database_set_option(d, FDB_DB_OPTION_TRANSACTION_TIMEOUT, ms, 8), 0);
	server_pause(&srv);
	FDBTransaction *tr = tx(d);
	int err;
	free(get_s(tr, "k", 0, &err));
	CHECK(err == 1031);
	server_resume(&srv);
	fdb_transaction_destroy(tr);
	fdb_database_destroy(d);
}

/* ---- threads and callbacks ---- */

typedef struct {
	pthread_t thread;
	int called, blocked_err;
	FDBFuture *inner;
} cb_state;

static void on_ready(FDBFuture *f, void *p) {
	cb_state *s = p;
	s->thread = pthread_self();
	/* The lock is not held here: calling back into the API must not deadlock. */
	s->blocked_err = fdb_future_block_until_ready(s->inner);
	s->called = fdb_future_is_ready(f) + 1;
}

static void callbacks_run_on_the_network_thread(pthread_t network) {
	FDBTransaction *tr = tx(db);
	cb_state s = {0};
	s.inner = fdb_transaction_get(tr, KL("cb/never-ready-yet"), 0);
	FDBFuture *f = fdb_transaction_get_read_version(tr);
	CHECK_ERR(fdb_future_set_callback(f, on_ready, &s), 0);
	double until = now_s() + 2;
	while (!s.called && now_s() < until) usleep(1000);
	CHECK(s.called == 2);
	CHECK(pthread_equal(s.thread, network));
	CHECK(s.blocked_err == 2026 || s.blocked_err == 0); /* 2026 unless it was ready already */
	/* already ready: called at once, on this thread */
	cb_state now = {0};
	now.inner = f;
	CHECK_ERR(fdb_future_set_callback(f, on_ready, &now), 0);
	CHECK(now.called == 2 && pthread_equal(now.thread, pthread_self()));
	fdb_future_destroy(s.inner);
	fdb_future_destroy(f);
	fdb_transaction_destroy(tr);
}

/* ---- processes ---- */

static void commit_in_another_process_fires_a_watch_within_milliseconds(void) {
	put(db, "proc/k", "1");
	FDBFuture *w = watch_committed("proc/k");
	double t0 = now_s();
	pid_t child = fork();
	if (child == 0) {
		execl(self_binary, self_binary, "--write", srv.cluster, "proc/k", "2", (char *)NULL);
		_exit(127);
	}
	CHECK(ready_within(w, 5));
	double ms = (now_s() - t0) * 1000;
	CHECK_ERR(wait_err(w), 0);
	int status;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fprintf(stderr, "    (fork + exec + connect + commit + fire: %.1f ms)\n", ms);
	char *v = read_s(db, "proc/k");
	CHECK(v && !strcmp(v, "2"));
	free(v);
}

static void restarted_server_is_a_new_empty_cluster(void) {
	put(db, "rs/k", "1");
	FDBFuture *w = watch_committed("rs/k");
	server_restart(&srv, NULL);
	/* the client reconnects by itself; its watch is registered again and sees the change */
	CHECK(ready_within(w, 5));
	CHECK_ERR(wait_err(w), 0);
	CHECK(read_s(db, "rs/k") == NULL); /* state is in memory only */
	put(db, "rs/k", "2");
	char *v = read_s(db, "rs/k");
	CHECK(v && !strcmp(v, "2"));
	free(v);
}

/* A counter incremented N times under faults: every commit the client was told about
 * landed, and a commit_unknown_result may or may not have. */
static void buggify_faults_keep_the_counter_within_what_was_reported(void) {
	server_restart(&srv, "7,pause_every_s=0");
	int ok = 0, unknown = 0, conflicts = 0;
	for (int i = 0; i < 300; i++) {
		FDBTransaction *tr = tx(db);
		for (;;) {
			uint8_t one[8] = {1};
			fdb_transaction_atomic_op(tr, KL("bug/ctr"), one, 8, FDB_MUTATION_TYPE_ADD);
			int err = commit(tr);
			if (!err) {
				ok++;
				break;
			}
			if (err == 1021) {
				unknown++;
				break; /* the caller cannot know: count it as "maybe" */
			}
			conflicts += err == 1020;
			if (wait_err(fdb_transaction_on_error(tr, err))) break;
		}
		fdb_transaction_destroy(tr);
	}
	FDBTransaction *tr = tx(db);
	FDBFuture *f = fdb_transaction_get(tr, KL("bug/ctr"), 0);
	fdb_future_block_until_ready(f);
	fdb_bool_t present;
	const uint8_t *v;
	int len;
	int64_t total = 0;
	if (!fdb_future_get_value(f, &present, &v, &len) && present)
		for (int i = len - 1; i >= 0; i--) total = total << 8 | v[i];
	fdb_future_destroy(f);
	fdb_transaction_destroy(tr);
	fprintf(stderr, "    (300 increments: %d ok, %d unknown, %d injected conflicts, counter %lld)\n", ok, unknown,
	        conflicts, (long long)total);
	CHECK(unknown > 0 && conflicts > 0); /* the faults happened */
	CHECK(total >= ok && total <= ok + unknown);
	CHECK(total > ok); /* some unknown results did land */
	/* spurious fires: a watch on an unchanged key fires now and then */
	put(db, "bug/w", "same");
	int spurious = 0;
	for (int i = 0; i < 100; i++) {
		FDBFuture *w = watch_committed("bug/w");
		if (ready_within(w, 0.05)) spurious += wait_err(w) == 0;
		else {
			fdb_future_cancel(w);
			wait_err(w);
		}
	}
	fprintf(stderr, "    (100 watches on an unchanged key: %d spurious fires)\n", spurious);
	CHECK(spurious > 0 && spurious < 30);
	server_restart(&srv, NULL);
}

/* ---- main ---- */

static void *network(void *unused) {
	(void)unused;
	if (fdb_run_network() != 0) abort();
	return NULL;
}

static int child_write(const char *cluster, const char *key, const char *value) {
	if (fdb_select_api_version(720) || fdb_setup_network()) return 2;
	pthread_t t;
	pthread_create(&t, NULL, network, NULL);
	FDBDatabase *d = open_db(cluster);
	put(d, key, value);
	fdb_database_destroy(d);
	fdb_stop_network();
	pthread_join(t, NULL);
	return 0;
}

typedef struct {
	const char *name;
	void (*run)(void);
} test_case;

int main(int argc, char **argv) {
	if (argc == 5 && !strcmp(argv[1], "--write")) return child_write(argv[2], argv[3], argv[4]);
	if (argc != 2) {
		fprintf(stderr, "usage: double-test <fdb-double-server>\n");
		return 2;
	}
	self_binary = argv[0];
	server_binary = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK_ERR(fdb_setup_network(), 2200); /* no API version yet */
	if (fdb_select_api_version(720) || fdb_setup_network()) return 2;
	pthread_t net;
	pthread_create(&net, NULL, network, NULL);
	server_start(&srv, server_binary, NULL);
	db = open_db(srv.cluster);

	test_case tests[] = {
	    {"api_version_errors_as_libfdb_c", api_version_errors_as_libfdb_c},
	    {"error_strings_and_predicates", error_strings_and_predicates},
	    {"read_your_writes_within_a_transaction", read_your_writes_within_a_transaction},
	    {"snapshot_isolation_at_the_read_version", snapshot_isolation_at_the_read_version},
	    {"read_versions_follow_the_wall_clock", read_versions_follow_the_wall_clock},
	    {"conflicting_commit_is_not_committed", conflicting_commit_is_not_committed},
	    {"explicit_conflict_ranges", explicit_conflict_ranges},
	    {"read_versions_too_old_or_from_the_future", read_versions_too_old_or_from_the_future},
	    {"versionstamps", versionstamps},
	    {"atomic_operations", atomic_operations},
	    {"key_selectors_and_ranges", key_selectors_and_ranges},
	    {"size_limits", size_limits},
	    {"system_keys_need_an_option", system_keys_need_an_option},
	    {"range_size_estimates_and_split_points", range_size_estimates_and_split_points},
	    {"cancelled_transaction_refuses_work_until_reset", cancelled_transaction_refuses_work_until_reset},
	    {"reset_restores_database_defaults_but_on_error_keeps_limits",
	     reset_restores_database_defaults_but_on_error_keeps_limits},
	    {"append_if_fits_leaves_a_full_value_alone", append_if_fits_leaves_a_full_value_alone},
	    {"watch_fires_after_a_committed_change", watch_fires_after_a_committed_change},
	    {"watch_does_not_fire_on_the_same_value", watch_does_not_fire_on_the_same_value},
	    {"watch_is_inactive_until_its_transaction_commits", watch_is_inactive_until_its_transaction_commits},
	    {"watch_reports_its_own_transactions_writes_at_once", watch_reports_its_own_transactions_writes_at_once},
	    {"watch_of_reset_or_destroyed_transaction_is_cancelled", watch_of_reset_or_destroyed_transaction_is_cancelled},
	    {"too_many_watches", too_many_watches},
	    {"watches_disabled_without_read_your_writes", watches_disabled_without_read_your_writes},
	    {"committed_watch_outlives_the_transaction_timeout", committed_watch_outlives_the_transaction_timeout},
	    {"unreachable_cluster_times_out", unreachable_cluster_times_out},
	    {"on_error_retries_what_foundationdb_retries", on_error_retries_what_foundationdb_retries},
	    {"database_options_are_transaction_defaults", database_options_are_transaction_defaults},
	    {"commit_in_another_process_fires_a_watch_within_milliseconds",
	     commit_in_another_process_fires_a_watch_within_milliseconds},
	    {"restarted_server_is_a_new_empty_cluster", restarted_server_is_a_new_empty_cluster},
	    {"buggify_faults_keep_the_counter_within_what_was_reported",
	     buggify_faults_keep_the_counter_within_what_was_reported},
	};
	int passed = 0, failed = 0;
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		current_test = tests[i].name;
		failures_in_test = 0;
		tests[i].run();
		if (failures_in_test) {
			failed++;
			printf("not ok - %s\n", tests[i].name);
		} else {
			passed++;
			printf("ok - %s\n", tests[i].name);
		}
	}
	/* the callback test needs the network thread's id */
	current_test = "callbacks_run_on_the_network_thread";
	failures_in_test = 0;
	callbacks_run_on_the_network_thread(net);
	printf("%s - %s\n", failures_in_test ? "not ok" : "ok", current_test);
	failures_in_test ? failed++ : passed++;

	fdb_database_destroy(db);
	server_stop(&srv);
	fdb_stop_network();
	pthread_join(net, NULL);
	printf("fdb-double (test double, not FoundationDB): %d passed, %d failed\n", passed, failed);
	const char *report = getenv("FDB_DOUBLE_TEST_REPORT");
	if (report) {
		FILE *f = fopen(report, "a"); /* one line per run: plain, then sanitizers */
		if (!f) {
			fprintf(stderr, "double-test: cannot write the report %s\n", report);
			return 1;
		}
		fprintf(f, "{\"passed\":%d,\"failed\":%d}\n", passed, failed);
		fclose(f);
	}
	return failed ? 1 : 0;
}
