/*
 * fdb_get_error and fdb_error_predicate, and which codes on_error retries, as FoundationDB
 * defines them (flow's error table, fdb_c's predicates, NativeAPI's onError).
 */
#include "errors.h"

#include <stddef.h>

#include "foundationdb/fdb_c.h"

static const struct {
	int code;
	const char *text;
} messages[] = {
    {0, "Success"},
    {1000, "Operation failed"},
    {1004, "Operation timed out"},
    {1007, "Transaction is too old to perform reads or be committed"},
    {1009, "Request for future version"},
    {1020, "Transaction not committed due to conflict with another transaction"},
    {1021, "Transaction may or may not have committed"},
    {1025, "Operation aborted because the transaction was cancelled"},
    {1026, "Network connection failed"},
    {1029, "Watch cancelled because storage server watch limit exceeded"},
    {1031, "Operation aborted because the transaction timed out"},
    {1032, "Too many watches currently set"},
    {1034, "Watches cannot be set if read your writes is disabled"},
    {1036, "Read or wrote an unreadable key"},
    {1037, "Storage process does not have recent mutations"},
    {1038, "Database is locked"},
    {1039, "The protocol version of the cluster has changed"},
    {1042, "CommitProxy commit memory limit exceeded"},
    {1051, "Batch GRV request rate limit exceeded"},
    {1078, "GetReadVersion proxy memory limit exceeded"},
    {1100, "Broken promise"},
    {1101, "Asynchronous operation cancelled"},
    {1102, "Future has been released"},
    {1213, "Transaction tag is being throttled"},
    {1223, "Exceeded maximum proxy tag throttling duration"},
    {1235, "Transaction throttled due to hot shard"},
    {1500, "Platform error"},
    {1510, "Disk i/o operation failed"},
    {1511, "File not found"},
    {1513, "File could not be read"},
    {1515, "No cluster file found in current directory or default location"},
    {2000, "Invalid API call"},
    {2004, "Key outside legal range"},
    {2005, "Range begin key larger than end key"},
    {2006, "Option set with an invalid value"},
    {2007, "Option not valid in this context"},
    {2008, "Action not possible before the network is configured"},
    {2009, "Network can be configured only once"},
    {2010, "Transaction already has a read version set"},
    {2011, "Version not valid"},
    {2012, "Range limits not valid"},
    {2015, "Future not ready"},
    {2016, "Future not an error"},
    {2017, "Operation issued while a commit was outstanding"},
    {2018, "Unrecognized atomic mutation type"},
    {2020, "Transaction does not have a valid commit version"},
    {2021, "Transaction is read-only and therefore does not have a commit version"},
    {2023, "Attempted to commit a transaction specified as read-only"},
    {2025, "Network can only be started once"},
    {2026, "Detected a deadlock in a callback called from the network thread"},
    {2101, "Transaction exceeds byte limit"},
    {2102, "Key length exceeds limit"},
    {2103, "Value length exceeds limit"},
    {2104, "Connection string invalid"},
    {2108, "Operation is not supported"},
    {2200, "API version is not set"},
    {2201, "API version may be set only once"},
    {2202, "API version not valid"},
    {2203, "API version not supported"},
    {2210, "EXACT streaming mode requires limits, but none were given"},
    {4000, "An unknown error occurred"},
    {4100, "An internal error occurred"},
};

const char *fdb_get_error(fdb_error_t code) {
	for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
		if (messages[i].code == code) return messages[i].text;
	return "An unknown error occurred";
}

fdb_bool_t fdb_error_predicate(int predicate_test, fdb_error_t code) {
	switch (predicate_test) {
	case FDB_ERROR_PREDICATE_RETRYABLE:
		return fdb_error_predicate(FDB_ERROR_PREDICATE_MAYBE_COMMITTED, code) ||
		       fdb_error_predicate(FDB_ERROR_PREDICATE_RETRYABLE_NOT_COMMITTED, code);
	case FDB_ERROR_PREDICATE_MAYBE_COMMITTED:
		return code == 1021 || code == 1039;
	case FDB_ERROR_PREDICATE_RETRYABLE_NOT_COMMITTED:
		return code == 1020 || code == 1007 || code == 1009 || code == 1038 || code == 1078 || code == 1042 ||
		       code == 1235 || code == 1051 || code == 1037 || code == 1213 || code == 1223;
	default:
		return 0;
	}
}

retry_class on_error_class(int code) {
	switch (code) {
	case 1007:
	case 1009:
		return RETRY_VERSION;
	case 1020: /* not_committed */
	case 1021: /* commit_unknown_result */
	case 1037: /* process_behind */
	case 1038: /* database_locked */
	case 1039: /* cluster_version_changed */
	case 1042: /* commit_proxy_memory_limit_exceeded */
	case 1051: /* batch_transaction_throttled */
	case 1078: /* grv_proxy_memory_limit_exceeded */
	case 1213: /* tag_throttled */
	case 1223: /* proxy_tag_throttled */
	case 1235: /* transaction_throttled_hot_shard */
		return RETRY_BACKOFF;
	default:
		return RETRY_NO;
	}
}
