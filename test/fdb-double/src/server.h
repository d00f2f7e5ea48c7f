#ifndef FDB_DOUBLE_SERVER_H
#define FDB_DOUBLE_SERVER_H
#include "bytes.h"
#include "store.h"

/** Answers one MSG_READ payload (after the version) into `reply`; 0 or an error code. */
int server_read(const store *st, int64_t version, dread *args, dbuf *reply);

#endif
