#ifndef FDB_DOUBLE_ATOMIC_H
#define FDB_DOUBLE_ATOMIC_H
#include <stdint.h>

/** Whether the double implements atomic mutation `type` (versionstamp types included). */
int atomic_type_valid(int type);

/**
 * Applies atomic mutation `type` (not a versionstamp type) to a key's value.
 * Returns 1 with a malloc'd *out when the key ends up holding a value, 0 when it ends up
 * cleared (compare_and_clear, or an absent key left absent).
 */
int atomic_apply(int type, int old_present, const uint8_t *old, int old_len, const uint8_t *param, int plen,
                 uint8_t **out, int *out_len);

#endif
