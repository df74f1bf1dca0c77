/*
 * spool_record.c: the outage spool's record format and the iterator over a
 * segment's bytes; pure (no I/O, no allocation). See spool.h.
 */
#include "spool.h"

#include <string.h>

#define SPOOL_VERSION		1

static const unsigned char spool_magic[4] = { 'D', 'H', 'S', 'P' };

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), one table. */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/* Continues a CRC-32C: pass 0 to start; the result is final (no extra xor). */
static uint32_t
crc32c_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)get16(p) | ((uint32_t)get16(p + 2) << 16);
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

/* The checksum of a record of total length len: all but bytes [12,16). */
static uint32_t
record_crc(const unsigned char *rec, size_t len)
{
	uint32_t	crc = crc32c_update(0, rec, 12);

	return crc32c_update(crc, rec + SPOOL_HEADER_LEN, len - SPOOL_HEADER_LEN);
}

/* ---- record format ---- */

/* true if a length-counted field of at most max bytes is usable. */
static int
field_ok(const char *p, size_t len, size_t max)
{
	return len <= max && (p != NULL || len == 0);
}

size_t
spool_record_size(const struct spool_record *r)
{
	if (!field_ok(r->app_id, r->app_id_len, SPOOL_ID_MAX) ||
	    !field_ok(r->event_type, r->event_type_len, SPOOL_ID_MAX) ||
	    !field_ok(r->dedupe_key, r->dedupe_key_len, SPOOL_ID_MAX) ||
	    !field_ok(r->payload, r->payload_len, SPOOL_PAYLOAD_MAX))
		return 0;
	return SPOOL_MIN_RECORD + r->app_id_len + r->event_type_len +
	    r->dedupe_key_len + r->payload_len;
}

/* Writes a 16-bit length and the bytes at p; returns the new end. */
static unsigned char *
put_field16(unsigned char *p, const char *s, size_t len)
{
	put16(p, (uint16_t)len);
	if (len > 0)
		memcpy(p + 2, s, len);
	return p + 2 + len;
}

int
spool_record_encode(const struct spool_record *r, unsigned char *buf,
    size_t buflen, size_t *len)
{
	size_t		 size = spool_record_size(r);
	unsigned char	*p;

	if (size == 0 || size > buflen)
		return -1;
	memcpy(buf, spool_magic, 4);
	buf[4] = SPOOL_VERSION;
	buf[5] = buf[6] = buf[7] = 0;
	put32(buf + 8, (uint32_t)size);
	put64(buf + 16, (uint64_t)r->received_at_ms);
	p = put_field16(buf + 24, r->app_id, r->app_id_len);
	p = put_field16(p, r->event_type, r->event_type_len);
	p = put_field16(p, r->dedupe_key, r->dedupe_key_len);
	put32(p, (uint32_t)r->payload_len);
	if (r->payload_len > 0)
		memcpy(p + 4, r->payload, r->payload_len);
	put32(buf + 12, record_crc(buf, size));
	*len = size;
	return 0;
}

/*
 * Reads a 16-bit-length field of at most max bytes at rec[*off], within
 * rec[0..end). 0, or -1 if it does not fit.
 */
static int
get_field16(const unsigned char *rec, size_t end, size_t *off,
    const char **s, size_t *len)
{
	size_t	n;

	if (end - *off < 2)
		return -1;
	n = get16(rec + *off);
	if (n > SPOOL_ID_MAX || end - *off - 2 < n)
		return -1;
	*s = (const char *)rec + *off + 2;
	*len = n;
	*off += 2 + n;
	return 0;
}

/*
 * Splits the body of a checksummed record of length total into r. 0, or -1
 * if the fields do not add up to exactly total bytes.
 */
static int
parse_body(const unsigned char *rec, size_t total, struct spool_record *r)
{
	size_t	off = 24;
	size_t	n;

	r->received_at_ms = (int64_t)get64(rec + 16);
	if (get_field16(rec, total, &off, &r->app_id, &r->app_id_len) < 0 ||
	    get_field16(rec, total, &off, &r->event_type, &r->event_type_len) < 0 ||
	    get_field16(rec, total, &off, &r->dedupe_key, &r->dedupe_key_len) < 0 ||
	    total - off < 4)
		return -1;
	n = get32(rec + off);
	if (n > SPOOL_PAYLOAD_MAX || total - off - 4 != n)
		return -1;
	r->payload = (const char *)rec + off + 4;
	r->payload_len = n;
	return 0;
}

/* MORE or CORRUPT for the header prefix buf[0..len), len < 12. */
static enum spool_decode
check_prefix(const unsigned char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < len && i < 8; i++) {
		if (i < 4 && buf[i] != spool_magic[i])
			return SPOOL_DECODE_CORRUPT;
		if (i == 4 && buf[i] != SPOOL_VERSION)
			return SPOOL_DECODE_CORRUPT;
		if (i > 4 && buf[i] != 0)
			return SPOOL_DECODE_CORRUPT;
	}
	return SPOOL_DECODE_MORE;
}

enum spool_decode
spool_record_decode(const unsigned char *buf, size_t len,
    struct spool_record *out, size_t *consumed)
{
	struct spool_record	r;
	enum spool_decode	d;
	uint32_t		total;

	*consumed = 0;
	d = check_prefix(buf, len < 12 ? len : 12);
	if (d == SPOOL_DECODE_CORRUPT || len < 12)
		return d;
	total = get32(buf + 8);
	if (total < SPOOL_MIN_RECORD || total > SPOOL_MAX_RECORD)
		return SPOOL_DECODE_CORRUPT;
	if (len < total)
		return SPOOL_DECODE_MORE;
	if (get32(buf + 12) != record_crc(buf, total) ||
	    parse_body(buf, total, &r) < 0)
		return SPOOL_DECODE_CORRUPT;
	*out = r;
	*consumed = total;
	return SPOOL_DECODE_OK;
}

/* ---- iterating over a segment ---- */

void
spool_iter_init(struct spool_iter *it, const unsigned char *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
	it->done = 0;
}

/* true if a complete valid record starts anywhere in buf[from..len). */
static int
valid_record_after(const unsigned char *buf, size_t len, size_t from)
{
	struct spool_record	 r;
	const unsigned char	*p;
	size_t			 n;

	while (from + SPOOL_MIN_RECORD <= len) {
		p = memchr(buf + from, spool_magic[0], len - from);
		if (p == NULL)
			return 0;
		from = (size_t)(p - buf);
		if (spool_record_decode(p, len - from, &r, &n) == SPOOL_DECODE_OK)
			return 1;
		from++;
	}
	return 0;
}

enum spool_next
spool_iter_next(struct spool_iter *it, struct spool_record *out)
{
	size_t	n;

	if (it->done != 0)
		return (enum spool_next)it->done;
	if (it->off == it->len) {
		it->done = SPOOL_NEXT_END;
		return SPOOL_NEXT_END;
	}
	if (spool_record_decode(it->buf + it->off, it->len - it->off, out,
	    &n) == SPOOL_DECODE_OK) {
		it->off += n;
		return SPOOL_NEXT_RECORD;
	}
	it->done = valid_record_after(it->buf, it->len, it->off + 1) ?
	    SPOOL_NEXT_CORRUPT : SPOOL_NEXT_TORN;
	return (enum spool_next)it->done;
}
