/*
 * Atomic mutations as FoundationDB defines them at API version >= 510: the operand's length
 * is the result's length, an existing value is truncated or zero-extended to it, and
 * and/min/byte_min/byte_max/append_if_fits store the operand when the key is absent.
 */
#include "atomic.h"

#include <string.h>

#include "bytes.h"
#include "foundationdb/fdb_c.h"

#define VALUE_SIZE_LIMIT 100000

int atomic_type_valid(int type) {
	switch (type) {
	case FDB_MUTATION_TYPE_ADD:
	case FDB_MUTATION_TYPE_AND:
	case FDB_MUTATION_TYPE_OR:
	case FDB_MUTATION_TYPE_XOR:
	case FDB_MUTATION_TYPE_APPEND_IF_FITS:
	case FDB_MUTATION_TYPE_MAX:
	case FDB_MUTATION_TYPE_MIN:
	case FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_KEY:
	case FDB_MUTATION_TYPE_SET_VERSIONSTAMPED_VALUE:
	case FDB_MUTATION_TYPE_BYTE_MIN:
	case FDB_MUTATION_TYPE_BYTE_MAX:
	case FDB_MUTATION_TYPE_COMPARE_AND_CLEAR:
		return 1;
	default:
		return 0;
	}
}

/* The existing value as a little-endian number of `n` bytes (truncated or zero-extended). */
static void resized(const uint8_t *old, int old_len, int n, uint8_t *out) {
	memset(out, 0, (size_t)n);
	memcpy(out, old, (size_t)(old_len < n ? old_len : n));
}

/* Compares two little-endian unsigned numbers of the same length. */
static int le_cmp(const uint8_t *a, const uint8_t *b, int n) {
	for (int i = n - 1; i >= 0; i--)
		if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
	return 0;
}

static int give(uint8_t *buf, int n, uint8_t **out, int *out_len) {
	*out = buf;
	*out_len = n;
	return 1;
}

int atomic_apply(int type, int old_present, const uint8_t *old, int old_len, const uint8_t *param, int plen,
                 uint8_t **out, int *out_len) {
	if (!old_present) {
		old = (const uint8_t *)"";
		old_len = 0;
	}
	if (type == FDB_MUTATION_TYPE_COMPARE_AND_CLEAR) {
		if (old_present && key_cmp(old, old_len, param, plen) == 0) return 0;
		if (!old_present) return 0;
		return give(mem_dup(old, (size_t)old_len), old_len, out, out_len);
	}
	int keeps_operand_when_absent = type == FDB_MUTATION_TYPE_AND || type == FDB_MUTATION_TYPE_MIN ||
	                                type == FDB_MUTATION_TYPE_BYTE_MIN || type == FDB_MUTATION_TYPE_BYTE_MAX ||
	                                type == FDB_MUTATION_TYPE_APPEND_IF_FITS;
	if (!old_present && keeps_operand_when_absent) return give(mem_dup(param, (size_t)plen), plen, out, out_len);

	switch (type) {
	case FDB_MUTATION_TYPE_BYTE_MIN:
	case FDB_MUTATION_TYPE_BYTE_MAX: {
		int c = key_cmp(old, old_len, param, plen);
		int take_old = type == FDB_MUTATION_TYPE_BYTE_MIN ? c <= 0 : c >= 0;
		return take_old ? give(mem_dup(old, (size_t)old_len), old_len, out, out_len)
		                : give(mem_dup(param, (size_t)plen), plen, out, out_len);
	}
	case FDB_MUTATION_TYPE_APPEND_IF_FITS: {
		if (old_len + plen > VALUE_SIZE_LIMIT) return give(mem_dup(old, (size_t)old_len), old_len, out, out_len);
		uint8_t *r = xmalloc((size_t)(old_len + plen));
		memcpy(r, old, (size_t)old_len);
		memcpy(r + old_len, param, (size_t)plen);
		return give(r, old_len + plen, out, out_len);
	}
	default:
		break;
	}

	uint8_t *r = xmalloc((size_t)plen);
	resized(old, old_len, plen, r);
	switch (type) {
	case FDB_MUTATION_TYPE_ADD: {
		unsigned carry = 0;
		for (int i = 0; i < plen; i++) {
			unsigned s = (unsigned)r[i] + param[i] + carry;
			r[i] = (uint8_t)s;
			carry = s >> 8;
		}
		break;
	}
	case FDB_MUTATION_TYPE_AND:
		for (int i = 0; i < plen; i++) r[i] &= param[i];
		break;
	case FDB_MUTATION_TYPE_OR:
		for (int i = 0; i < plen; i++) r[i] |= param[i];
		break;
	case FDB_MUTATION_TYPE_XOR:
		for (int i = 0; i < plen; i++) r[i] ^= param[i];
		break;
	case FDB_MUTATION_TYPE_MAX:
		if (le_cmp(r, param, plen) < 0) memcpy(r, param, (size_t)plen);
		break;
	case FDB_MUTATION_TYPE_MIN:
		if (le_cmp(r, param, plen) > 0) memcpy(r, param, (size_t)plen);
		break;
	default:
		break;
	}
	return give(r, plen, out, out_len);
}
