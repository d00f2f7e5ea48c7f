/*
 * The double's own protocol between libfdb_c (client) and fdb-double-server, over a Unix
 * stream socket. Not FoundationDB's protocol: only these two programs speak it.
 *
 * Frame: u32 body length, then the body: u8 type, u64 request id, payload.
 * Every request gets exactly one MSG_REPLY with the same id: i32 error (0 = ok), then the
 * payload listed below. A watch's reply is sent when it fires (or fails).
 *
 *   MSG_HELLO         -> u64 cluster id (random per server start)
 *   MSG_GRV           -> i64 read version
 *   MSG_READ          i64 version, u8 flags, mutations, u8 kind, args
 *                     -> kind's result, then the read conflict range (u8 has, begin, end)
 *   MSG_COMMIT        i64 read version (-1: none), read ranges, write ranges, mutations
 *                     -> i64 commit version, u16 batch order
 *   MSG_WATCH         key, u8 present, value -> (on fire) nothing
 *   MSG_WATCH_CANCEL  u64 id of the watch; no reply
 */
#ifndef FDB_DOUBLE_WIRE_H
#define FDB_DOUBLE_WIRE_H

enum msg_type {
	MSG_HELLO = 1,
	MSG_GRV = 2,
	MSG_READ = 3,
	MSG_COMMIT = 4,
	MSG_WATCH = 5,
	MSG_WATCH_CANCEL = 6,
	MSG_REPLY = 100,
};

/** What a MSG_READ asks for. */
enum read_kind {
	READ_GET = 1,         /* key -> u8 present, value */
	READ_GET_KEY = 2,     /* selector -> key */
	READ_GET_RANGE = 3,   /* selector, selector, i32 limit, i32 target bytes, u8 reverse -> u32 n, (k, v)*n, u8 more */
	READ_RANGE_BYTES = 4, /* begin, end -> i64 estimated bytes */
	READ_SPLIT_POINTS = 5 /* begin, end, i64 chunk -> u32 n, key*n */
};

/** MSG_READ flags. */
enum read_flags {
	READ_SYSTEM_KEYS = 1,     /* keys up to \xff\xff are readable */
	READ_BYPASS_UNREADABLE = 2 /* versionstamped keys/values read as what the database holds */
};

/* Mutations travel as u32 count then (u8 type, bytes a, bytes b) each. Atomic types use
 * FoundationDB's FDBMutationType codes; these two are the double's own. */
enum { MUT_SET = 0, MUT_CLEAR_RANGE = 1 };

/** The largest frame either side accepts (a 10 MB transaction plus its framing). */
#define WIRE_MAX_FRAME (64u * 1024u * 1024u)

#endif
