/*
 * fuzz_spool.c: libFuzzer target for the spool record reader
 * (spool_record_decode, spool_iter_next in common/spool_record.c).
 *
 * fuzz-sources: common/spool_record.c
 *
 * The input is used three ways; checked:
 *   - as one record: decoding never reads outside the input; OK means the
 *     fields lie inside the consumed bytes within their limits, re-encoding
 *     them gives exactly those bytes, and the input cut one byte short is
 *     MORE; MORE means every shorter prefix is MORE too;
 *   - as a whole segment: the iterator returns records back to back from
 *     offset 0, then a sticky terminal outcome; END only at the very end,
 *     TORN/CORRUPT at an offset where no record decodes;
 *   - as the fields of a record (lengths from the first bytes): encoding
 *     and decoding round-trip, and every cut of the encoding is MORE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spool.h"

/* true if p[0..n) lies inside buf[0..len). */
static int
inside(const unsigned char *buf, size_t len, const char *p, size_t n)
{
	const unsigned char	*q = (const unsigned char *)p;

	return n == 0 || (q >= buf && n <= len && q - buf <= (ptrdiff_t)(len - n));
}

/* Checks a decoded record against the bytes it came from. */
static void
check_record(const unsigned char *buf, size_t used, const struct spool_record *r)
{
	unsigned char	*again;
	size_t		 len;

	FUZZ_ASSERT(used >= SPOOL_MIN_RECORD && used <= SPOOL_MAX_RECORD);
	FUZZ_ASSERT(r->app_id_len <= SPOOL_ID_MAX && r->event_type_len <= SPOOL_ID_MAX &&
	    r->dedupe_key_len <= SPOOL_ID_MAX && r->payload_len <= SPOOL_PAYLOAD_MAX);
	FUZZ_ASSERT(inside(buf, used, r->app_id, r->app_id_len));
	FUZZ_ASSERT(inside(buf, used, r->event_type, r->event_type_len));
	FUZZ_ASSERT(inside(buf, used, r->dedupe_key, r->dedupe_key_len));
	FUZZ_ASSERT(inside(buf, used, r->payload, r->payload_len));
	FUZZ_ASSERT(spool_record_size(r) == used);
	again = malloc(used);
	FUZZ_ASSERT(again != NULL);
	FUZZ_ASSERT(spool_record_encode(r, again, used, &len) == 0 && len == used);
	FUZZ_ASSERT(memcmp(again, buf, used) == 0);
	free(again);
}

static void
as_record(const uint8_t *data, size_t size)
{
	struct spool_record	r;
	enum spool_decode	d;
	size_t			used, k;

	d = spool_record_decode(data, size, &r, &used);
	if (d == SPOOL_DECODE_OK) {
		FUZZ_ASSERT(used <= size);
		check_record(data, used, &r);
		FUZZ_ASSERT(spool_record_decode(data, used - 1, &r, &k) ==
		    SPOOL_DECODE_MORE);
	} else {
		FUZZ_ASSERT(used == 0);
	}
	if (d == SPOOL_DECODE_MORE) {
		for (k = 0; k < size; k += 1 + k / 4)
			FUZZ_ASSERT(spool_record_decode(data, k, &r, &used) ==
			    SPOOL_DECODE_MORE);
	}
}

static void
as_segment(const uint8_t *data, size_t size)
{
	struct spool_iter	it;
	struct spool_record	r, r2;
	enum spool_next		n;
	size_t			off = 0, used;

	spool_iter_init(&it, data, size);
	while ((n = spool_iter_next(&it, &r)) == SPOOL_NEXT_RECORD) {
		FUZZ_ASSERT(spool_record_decode(data + off, size - off, &r2,
		    &used) == SPOOL_DECODE_OK);
		FUZZ_ASSERT(r2.payload == r.payload && off + used == it.off);
		off = it.off;
	}
	FUZZ_ASSERT(it.off == off);
	FUZZ_ASSERT(spool_iter_next(&it, &r) == n);
	if (n == SPOOL_NEXT_END) {
		FUZZ_ASSERT(off == size);
	} else {
		FUZZ_ASSERT(n == SPOOL_NEXT_TORN || n == SPOOL_NEXT_CORRUPT);
		FUZZ_ASSERT(off < size);
		FUZZ_ASSERT(spool_record_decode(data + off, size - off, &r2,
		    &used) != SPOOL_DECODE_OK);
	}
}

/* Takes the next length (0..max) from the input's first bytes. */
static size_t
take_len(const uint8_t **data, size_t *size, size_t max)
{
	size_t	n;

	if (*size < 2)
		return 0;
	n = ((size_t)(*data)[0] | (size_t)(*data)[1] << 8) % (max + 1);
	*data += 2;
	*size -= 2;
	return n;
}

static void
as_fields(const uint8_t *data, size_t size)
{
	struct spool_record	r = { 0 }, out;
	unsigned char		*buf;
	size_t			 lens[3], len, used, k, i;
	const char		*p;

	for (i = 0; i < 3; i++)
		lens[i] = take_len(&data, &size, SPOOL_ID_MAX);
	if (size >= 8)
		memcpy(&r.received_at_ms, data, 8);
	p = (const char *)data;
	r.app_id = p;
	r.app_id_len = lens[0] < size ? lens[0] : size;
	r.event_type = p;
	r.event_type_len = lens[1] < size ? lens[1] : size;
	r.dedupe_key = p;
	r.dedupe_key_len = lens[2] < size ? lens[2] : size;
	r.payload = p;
	r.payload_len = size;
	len = spool_record_size(&r);
	FUZZ_ASSERT(len >= SPOOL_MIN_RECORD);
	buf = malloc(len);
	FUZZ_ASSERT(buf != NULL);
	FUZZ_ASSERT(spool_record_encode(&r, buf, len, &used) == 0 && used == len);
	FUZZ_ASSERT(spool_record_decode(buf, len, &out, &used) == SPOOL_DECODE_OK);
	FUZZ_ASSERT(used == len && out.received_at_ms == r.received_at_ms);
	FUZZ_ASSERT(out.payload_len == r.payload_len &&
	    memcmp(out.payload, r.payload, r.payload_len) == 0);
	FUZZ_ASSERT(out.dedupe_key_len == r.dedupe_key_len &&
	    memcmp(out.dedupe_key, r.dedupe_key, r.dedupe_key_len) == 0);
	for (k = 0; k < len; k++)
		FUZZ_ASSERT(spool_record_decode(buf, k, &out, &used) ==
		    SPOOL_DECODE_MORE);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_record(data, size);
	as_segment(data, size);
	as_fields(data, size);
	return 0;
}
