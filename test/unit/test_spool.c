/*
 * test_spool.c: the outage spool's record format (round trip, golden bytes,
 * every truncation and byte flip), the segment iterator's end / torn /
 * corrupt outcomes, and the writer and replay side on a real directory
 * (sync, torn tail, full, flock exclusion, done, usage after reopen, roll,
 * a failed write).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

/* Storage for a test record built by make_rec(). */
struct rec_buf {
	char	key[32];
	char	payload[64];
};

/* Record number i: distinct dedupe key, payload and timestamp. */
static struct spool_record
make_rec(int i, struct rec_buf *b)
{
	struct spool_record	r;

	snprintf(b->key, sizeof(b->key), "call-%d", i);
	snprintf(b->payload, sizeof(b->payload), "{\"call_id\":%d,\"state\":\"ringing\"}", i);
	r.received_at_ms = 1700000000000LL + i;
	r.app_id = "app1";
	r.app_id_len = 4;
	r.event_type = "call_state";
	r.event_type_len = 10;
	r.dedupe_key = b->key;
	r.dedupe_key_len = strlen(b->key);
	r.payload = b->payload;
	r.payload_len = strlen(b->payload);
	return r;
}

/* Asserts that got is record number i as made by make_rec(). */
static void
assert_rec(const struct spool_record *got, int i)
{
	struct rec_buf		b;
	struct spool_record	want = make_rec(i, &b);

	assert_int_equal(got->received_at_ms, want.received_at_ms);
	assert_int_equal(got->app_id_len, want.app_id_len);
	assert_memory_equal(got->app_id, want.app_id, want.app_id_len);
	assert_int_equal(got->event_type_len, want.event_type_len);
	assert_memory_equal(got->event_type, want.event_type, want.event_type_len);
	assert_int_equal(got->dedupe_key_len, want.dedupe_key_len);
	assert_memory_equal(got->dedupe_key, want.dedupe_key, want.dedupe_key_len);
	assert_int_equal(got->payload_len, want.payload_len);
	assert_memory_equal(got->payload, want.payload, want.payload_len);
}

/* Encodes records first..first+n-1 back to back into buf; returns the length. */
static size_t
encode_recs(unsigned char *buf, size_t cap, int first, int n)
{
	struct rec_buf		b;
	struct spool_record	r;
	size_t			off = 0, len;
	int			i;

	for (i = first; i < first + n; i++) {
		r = make_rec(i, &b);
		assert_int_equal(spool_record_encode(&r, buf + off, cap - off, &len), 0);
		off += len;
	}
	return off;
}

static void
test_golden(void **state)
{
	/* Computed independently (Python) from the format in spool.h. */
	static const unsigned char	want[] = {
	    0x44, 0x48, 0x53, 0x50, 0x01, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00,
	    0x7d, 0x8b, 0x98, 0xf1, 0x7b, 0x68, 0xe5, 0xcf, 0x8b, 0x01, 0x00, 0x00,
	    0x01, 0x00, 0x61, 0x0a, 0x00, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x73, 0x74,
	    0x61, 0x74, 0x65, 0x02, 0x00, 0x6b, 0x31, 0x02, 0x00, 0x00, 0x00, 0x7b,
	    0x7d,
	};
	struct spool_record	r = {
		.received_at_ms = 1700000000123LL,
		.app_id = "a", .app_id_len = 1,
		.event_type = "call_state", .event_type_len = 10,
		.dedupe_key = "k1", .dedupe_key_len = 2,
		.payload = "{}", .payload_len = 2,
	};
	unsigned char		buf[64];
	size_t			len;

	(void)state;
	assert_int_equal(spool_record_size(&r), sizeof(want));
	assert_int_equal(spool_record_encode(&r, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(spool_record_encode(&r, buf, len - 1, &len), -1);
}

static void
test_round_trip(void **state)
{
	unsigned char		buf[256];
	struct rec_buf		b;
	struct spool_record	r = make_rec(7, &b), out, empty = { 0 };
	size_t			len, used;

	(void)state;
	assert_int_equal(spool_record_encode(&r, buf, sizeof(buf), &len), 0);
	buf[len] = 0xAA;	/* trailing bytes are the next record's business */
	assert_int_equal(spool_record_decode(buf, len + 1, &out, &used), SPOOL_DECODE_OK);
	assert_int_equal(used, len);
	assert_rec(&out, 7);
	assert_ptr_equal(out.payload, (const char *)buf + len - r.payload_len);

	empty.received_at_ms = -1;
	assert_int_equal(spool_record_encode(&empty, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, SPOOL_MIN_RECORD);
	assert_int_equal(spool_record_decode(buf, len, &out, &used), SPOOL_DECODE_OK);
	assert_int_equal(out.received_at_ms, -1);
	assert_int_equal(out.app_id_len + out.event_type_len + out.dedupe_key_len +
	    out.payload_len, 0);
}

static void
test_limits(void **state)
{
	static char		big[SPOOL_ID_MAX + 1];
	unsigned char		buf[1024];
	struct rec_buf		b;
	struct spool_record	r = make_rec(1, &b), out;
	size_t			len, used;

	(void)state;
	memset(big, 'x', sizeof(big));
	r.dedupe_key = big;
	r.dedupe_key_len = SPOOL_ID_MAX;
	assert_int_equal(spool_record_encode(&r, buf, sizeof(buf), &len), 0);
	assert_int_equal(spool_record_decode(buf, len, &out, &used), SPOOL_DECODE_OK);
	r.dedupe_key_len = SPOOL_ID_MAX + 1;
	assert_int_equal(spool_record_size(&r), 0);
	assert_int_equal(spool_record_encode(&r, buf, sizeof(buf), &len), -1);
	r = make_rec(1, &b);
	r.payload_len = (size_t)SPOOL_PAYLOAD_MAX + 1;	/* never read */
	assert_int_equal(spool_record_size(&r), 0);
	r = make_rec(1, &b);
	r.app_id = NULL;
	assert_int_equal(spool_record_size(&r), 0);
}

static void
test_truncations(void **state)
{
	unsigned char		buf[256];
	struct spool_record	out;
	size_t			len, k, used;

	(void)state;
	len = encode_recs(buf, sizeof(buf), 3, 1);
	for (k = 0; k < len; k++) {
		if (spool_record_decode(buf, k, &out, &used) != SPOOL_DECODE_MORE)
			fail_msg("truncation to %zu bytes is not MORE", k);
		assert_int_equal(used, 0);
	}
}

static void
test_flips(void **state)
{
	static const unsigned char	masks[] = { 0x01, 0x10, 0x80, 0xff };
	unsigned char			buf[256];
	struct spool_record		out;
	enum spool_decode		d;
	size_t				len, i, m, used;

	(void)state;
	len = encode_recs(buf, sizeof(buf), 4, 1);
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			buf[i] ^= masks[m];
			d = spool_record_decode(buf, len, &out, &used);
			if (d == SPOOL_DECODE_OK)
				fail_msg("flip 0x%02x at %zu decoded OK", masks[m], i);
			buf[i] ^= masks[m];
		}
	}
	assert_int_equal(spool_record_decode(buf, len, &out, &used), SPOOL_DECODE_OK);
}

/* Iterates over buf[0..len) expecting records first..first+n-1 then want. */
static size_t
expect_iter(const unsigned char *buf, size_t len, int first, int n,
    enum spool_next want)
{
	struct spool_iter	it;
	struct spool_record	r;
	int			i;

	spool_iter_init(&it, buf, len);
	for (i = first; i < first + n; i++) {
		assert_int_equal(spool_iter_next(&it, &r), SPOOL_NEXT_RECORD);
		assert_rec(&r, i);
	}
	assert_int_equal(spool_iter_next(&it, &r), want);
	assert_int_equal(spool_iter_next(&it, &r), want);	/* sticky */
	return it.off;
}

static void
test_iter(void **state)
{
	unsigned char	buf[1024];
	size_t		one, two, len, k;

	(void)state;
	one = encode_recs(buf, sizeof(buf), 0, 1);
	two = encode_recs(buf, sizeof(buf), 0, 2);
	len = encode_recs(buf, sizeof(buf), 0, 3);
	assert_int_equal(expect_iter(buf, 0, 0, 0, SPOOL_NEXT_END), 0);
	assert_int_equal(expect_iter(buf, len, 0, 3, SPOOL_NEXT_END), len);
	/* Every torn tail: the complete records, then TORN at their end. */
	for (k = two + 1; k < len; k++)
		assert_int_equal(expect_iter(buf, k, 0, 2, SPOOL_NEXT_TORN), two);
	/* A zero-filled tail (file extended, data never written). */
	memset(buf + len, 0, 100);
	assert_int_equal(expect_iter(buf, len + 100, 0, 3, SPOOL_NEXT_TORN), len);
	/* Damage in the middle record: valid data follows, so CORRUPT. */
	buf[one + 30] ^= 0x01;
	assert_int_equal(expect_iter(buf, len, 0, 1, SPOOL_NEXT_CORRUPT), one);
	buf[one + 30] ^= 0x01;
	/* A length field that points past the end hides the rest: CORRUPT. */
	buf[one + 10] ^= 0x10;
	assert_int_equal(expect_iter(buf, len, 0, 1, SPOOL_NEXT_CORRUPT), one);
	buf[one + 10] ^= 0x10;
	/* Every single flip anywhere: records before it intact, never a wrong one. */
	for (k = 0; k < len; k++) {
		struct spool_iter	it;
		struct spool_record	r;
		int			n = 0;

		buf[k] ^= 0x40;
		spool_iter_init(&it, buf, len);
		while (spool_iter_next(&it, &r) == SPOOL_NEXT_RECORD)
			assert_rec(&r, n++);
		assert_int_equal(n, k / one);	/* all three are the same size */
		assert_int_not_equal(it.done, SPOOL_NEXT_END);
		buf[k] ^= 0x40;
	}
}

/* ---- on disk ---- */

struct fixture {
	char	dir[64];
};

static int
setup_dir(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/dialhook-spool-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct fixture	*f = *state;
	struct dirent	*de;
	char		 path[512];
	DIR		*d = opendir(f->dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Number of directory entries of dir with the given suffix. */
static int
count_files(const char *dir, const char *suffix)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	int		 n = 0;
	size_t		 l, sl = strlen(suffix);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] != '.' && l > sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Sum of the sizes of the regular files in dir. */
static uint64_t
dir_bytes(const char *dir)
{
	struct dirent	*de;
	struct stat	 sb;
	char		 path[512];
	DIR		*d = opendir(dir);
	uint64_t	 n = 0;

	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			n += (uint64_t)sb.st_size;
	}
	closedir(d);
	return n;
}

/* Appends records first..first+n-1 to w (one group, not synced). */
static void
append_recs(struct spool_writer *w, int first, int n)
{
	struct rec_buf		b;
	struct spool_record	r;
	char			err[256] = "";
	int			i;

	for (i = first; i < first + n; i++) {
		r = make_rec(i, &b);
		if (spool_append(w, &r, err, sizeof(err)) != SPOOL_APPEND_OK)
			fail_msg("append %d: %s", i, err);
	}
}

/* Claims the next segment of dir and checks records first..first+n-1, then want. */
static struct spool_segment *
claim_expect(const char *dir, int first, int n, enum spool_next want)
{
	struct spool_segment	*seg = NULL;
	struct spool_record	 r;
	char			 err[256] = "";
	int			 i;

	if (spool_claim(dir, NULL, NULL, &seg, err, sizeof(err)) < 0)
		fail_msg("claim: %s", err);
	assert_non_null(seg);
	for (i = first; i < first + n; i++) {
		assert_int_equal(spool_segment_next(seg, &r), SPOOL_NEXT_RECORD);
		assert_rec(&r, i);
	}
	assert_int_equal(spool_segment_next(seg, &r), want);
	return seg;
}

/* Asserts that nothing in dir can be claimed now. */
static void
assert_nothing_claimable(const char *dir)
{
	struct spool_segment	*seg = NULL;
	char			 err[256] = "";

	assert_int_equal(spool_claim(dir, NULL, NULL, &seg, err, sizeof(err)), 0);
	assert_null(seg);
}

static void
test_write_replay(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	struct spool_segment	*seg;
	struct spool_stats	 st;
	char			 err[256] = "";

	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);	/* nothing pending */
	assert_int_equal(count_files(f->dir, ".seg"), 0);
	append_recs(w, 0, 3);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	append_recs(w, 3, 2);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".seg"), 1);
	assert_nothing_claimable(f->dir);	/* the writer holds its segment */
	spool_writer_stats(w, &st);
	assert_int_equal(st.records_synced, 5);
	assert_int_equal(st.syncs, 2);
	assert_int_equal(st.segments, 1);
	assert_int_equal(spool_bytes(w), dir_bytes(f->dir));

	spool_seal(w);
	seg = claim_expect(f->dir, 0, 5, SPOOL_NEXT_END);
	assert_int_equal(spool_segment_offset(seg), spool_segment_size(seg));
	assert_non_null(strstr(spool_segment_name(seg), ".seg"));
	assert_nothing_claimable(f->dir);	/* we hold it now */
	assert_int_equal(spool_segment_done(seg, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".seg"), 0);
	assert_nothing_claimable(f->dir);

	/* Sealing a segment that never got a durable byte removes it. */
	append_recs(w, 9, 1);
	spool_seal(w);
	assert_int_equal(count_files(f->dir, ".seg"), 0);
	spool_writer_free(w);
	assert_int_equal(dir_bytes(f->dir), 0);
}

static void
test_torn_tail(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	struct spool_segment	*seg;
	unsigned char		 rec[256];
	char			 err[256] = "", path[512];
	struct dirent		*de;
	DIR			*d;
	size_t			 len, size;
	int			 fd;

	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	append_recs(w, 0, 2);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	spool_writer_free(w);	/* seals */

	d = opendir(f->dir);
	while ((de = readdir(d)) != NULL && strstr(de->d_name, ".seg") == NULL)
		;
	assert_non_null(de);
	snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
	closedir(d);
	len = encode_recs(rec, sizeof(rec), 2, 1);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	size = (size_t)lseek(fd, 0, SEEK_END);
	assert_int_equal(write(fd, rec, len - 5), (ssize_t)(len - 5));
	close(fd);

	seg = claim_expect(f->dir, 0, 2, SPOOL_NEXT_TORN);
	assert_int_equal(spool_segment_offset(seg), size);
	spool_segment_release(seg);
	/* Released, not deleted: claimable again. */
	seg = claim_expect(f->dir, 0, 2, SPOOL_NEXT_TORN);
	assert_int_equal(spool_segment_done(seg, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".seg"), 0);
}

static void
test_corrupt_quarantine(void **state)
{
	struct fixture		*f = *state;
	struct spool_segment	*seg;
	unsigned char		 buf[1024];
	char			 err[256] = "", path[512];
	size_t			 len;
	int			 fd;

	len = encode_recs(buf, sizeof(buf), 0, 3);
	buf[len / 2] ^= 0x01;	/* inside the second record */
	snprintf(path, sizeof(path), "%s/0000000000000001-h-1-00000000-0000000000.seg", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	seg = claim_expect(f->dir, 0, 1, SPOOL_NEXT_CORRUPT);
	assert_int_equal(spool_segment_quarantine(seg, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".seg"), 0);
	assert_int_equal(count_files(f->dir, ".bad"), 1);
	assert_nothing_claimable(f->dir);
}

/* spool_claim's skip callback: skip the one name in arg. */
static int
skip_name(const char *name, void *arg)
{
	return strcmp(name, arg) == 0;
}

/* issue 12: a replayed segment that could not be removed is skipped, then retired by name. */
static void
test_skip_and_retire(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	struct spool_segment	*seg, *held;
	char			 err[256] = "", first[256], second[256], path[512];
	unsigned char		 buf[1024];
	size_t			 len;
	int			 fd;

	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	append_recs(w, 0, 2);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	spool_seal(w);
	append_recs(w, 2, 1);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	spool_writer_free(w);
	seg = claim_expect(f->dir, 0, 2, SPOOL_NEXT_END);
	snprintf(first, sizeof(first), "%s", spool_segment_name(seg));
	spool_segment_release(seg);
	/* skipping the oldest gives the next one, skipping both gives none */
	assert_int_equal(spool_claim(f->dir, skip_name, first, &seg, err, sizeof(err)), 0);
	assert_non_null(seg);
	snprintf(second, sizeof(second), "%s", spool_segment_name(seg));
	assert_string_not_equal(first, second);
	/* held by someone (here: our own claim): not retired, try later */
	held = seg;
	assert_int_equal(spool_retire(f->dir, second, SPOOL_RETIRE_REMOVE, err, sizeof(err)), 1);
	spool_segment_release(held);
	assert_int_equal(spool_retire(f->dir, first, SPOOL_RETIRE_REMOVE, err, sizeof(err)), 0);
	assert_int_equal(spool_retire(f->dir, first, SPOOL_RETIRE_REMOVE, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".seg"), 1);
	assert_int_equal(spool_retire(f->dir, second, SPOOL_RETIRE_REMOVE, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".seg"), 0);

	len = encode_recs(buf, sizeof(buf), 0, 3);
	buf[len / 2] ^= 0x01;
	snprintf(path, sizeof(path), "%s/0000000000000001-h-1-00000000-0000000000.seg", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	assert_int_equal(spool_retire(f->dir, "0000000000000001-h-1-00000000-0000000000.seg",
	    SPOOL_RETIRE_QUARANTINE, err, sizeof(err)), 0);
	assert_int_equal(count_files(f->dir, ".bad"), 1);
	assert_nothing_claimable(f->dir);

	snprintf(path, sizeof(path), "%s/no/such", f->dir);
	assert_int_equal(spool_retire(path, first, SPOOL_RETIRE_REMOVE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "could not open spool directory"));
}

static void
test_full(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	struct spool_stats	 st;
	struct rec_buf		 b;
	struct spool_record	 r = make_rec(0, &b);
	char			 err[256] = "";
	size_t			 size = spool_record_size(&r), mark;
	enum spool_append_result res;
	int			 i;

	/* Room for exactly 3 records. */
	w = spool_writer_new(f->dir, 3 * size + size / 2, err, sizeof(err));
	assert_non_null(w);
	append_recs(w, 0, 2);
	mark = spool_pending(w);
	append_recs(w, 2, 1);
	r = make_rec(3, &b);
	res = spool_append(w, &r, err, sizeof(err));
	assert_int_equal(res, SPOOL_APPEND_FULL);
	assert_non_null(strstr(err, "full"));
	/* The request that hit FULL drops its part of the group. */
	assert_int_equal(spool_rewind(w, mark), 0);
	assert_int_equal(spool_rewind(w, mark + 1), -1);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	assert_int_equal(spool_bytes(w), 2 * size);
	append_recs(w, 2, 1);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(spool_append(w, &r, err, sizeof(err)), SPOOL_APPEND_FULL);
	spool_writer_stats(w, &st);
	assert_int_equal(st.full, 4);
	assert_int_equal(st.records_synced, 3);
	spool_writer_free(w);
	assert_int_equal(dir_bytes(f->dir), 3 * size);
}

static void
test_usage_reopen(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	char			 err[256] = "", path[512];
	uint64_t		 bytes;
	int			 fd;

	/* Other files in the directory count too (quarantined segments...). */
	snprintf(path, sizeof(path), "%s/other.bad", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_int_equal(write(fd, "12345", 5), 5);
	close(fd);
	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(spool_bytes(w), 5);
	append_recs(w, 0, 4);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	bytes = spool_bytes(w);
	assert_int_equal(bytes, dir_bytes(f->dir));
	spool_writer_free(w);
	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(spool_bytes(w), bytes);
	spool_writer_free(w);
}

static void
test_flock_exclusion(void **state)
{
	struct fixture		*f = *state;
	struct spool_segment	*seg;
	unsigned char		 buf[512];
	char			 path[512];
	size_t			 len;
	int			 fd, holder;

	len = encode_recs(buf, sizeof(buf), 0, 2);
	snprintf(path, sizeof(path), "%s/0000000000000001-h-1-00000000-0000000000.seg", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	/* A second, separate open file description holds the lock. */
	holder = open(path, O_RDONLY);
	assert_int_equal(flock(holder, LOCK_EX | LOCK_NB), 0);
	assert_nothing_claimable(f->dir);
	close(holder);
	seg = claim_expect(f->dir, 0, 2, SPOOL_NEXT_END);
	holder = open(path, O_RDONLY);
	assert_int_equal(flock(holder, LOCK_EX | LOCK_NB), -1);	/* claimed */
	spool_segment_release(seg);
	assert_int_equal(flock(holder, LOCK_EX | LOCK_NB), 0);
	close(holder);
	seg = claim_expect(f->dir, 0, 2, SPOOL_NEXT_END);
	spool_segment_release(seg);
}

static void
test_roll_order(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	struct spool_segment	*seg;
	char			 err[256] = "";
	int			 i;

	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	spool_writer_set_roll_bytes(w, 1);	/* every group its own segment */
	for (i = 0; i < 4; i++) {
		append_recs(w, 2 * i, 2);
		assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	}
	assert_int_equal(count_files(f->dir, ".seg"), 4);
	for (i = 0; i < 4; i++) {
		seg = claim_expect(f->dir, 2 * i, 2, SPOOL_NEXT_END);
		assert_int_equal(spool_segment_done(seg, err, sizeof(err)), 0);
	}
	assert_nothing_claimable(f->dir);
	spool_writer_free(w);
}

/* A write that fails (file size limit): nothing of the group survives. */
static void
test_sync_failure(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	struct spool_segment	*seg;
	struct spool_stats	 st;
	struct rlimit		 old, lim;
	char			 err[256] = "";
	uint64_t		 durable;

	w = spool_writer_new(f->dir, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	append_recs(w, 0, 2);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	durable = dir_bytes(f->dir);

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)durable + 10;	/* the next group half fits */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	append_recs(w, 2, 3);
	assert_int_equal(spool_sync(w, err, sizeof(err)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_non_null(strstr(err, "write"));

	/* Truncated back to the durable part and sealed. */
	assert_int_equal(dir_bytes(f->dir), durable);
	assert_int_equal(spool_bytes(w), durable);
	spool_writer_stats(w, &st);
	assert_int_equal(st.sync_failures, 1);
	seg = claim_expect(f->dir, 0, 2, SPOOL_NEXT_END);
	assert_int_equal(spool_segment_done(seg, err, sizeof(err)), 0);
	/* The next group goes to a new segment. */
	append_recs(w, 5, 1);
	assert_int_equal(spool_sync(w, err, sizeof(err)), 0);
	spool_seal(w);
	seg = claim_expect(f->dir, 5, 1, SPOOL_NEXT_END);
	assert_int_equal(spool_segment_done(seg, err, sizeof(err)), 0);
	spool_writer_free(w);
}

static void
test_stale_tmp(void **state)
{
	struct fixture		*f = *state;
	struct timespec		 old[2] = { { 1000, 0 }, { 1000, 0 } };
	struct stat		 sb;
	char			 stale[512], fresh[512];
	int			 fd;

	snprintf(stale, sizeof(stale), "%s/.a.seg.tmp", f->dir);
	snprintf(fresh, sizeof(fresh), "%s/.b.seg.tmp", f->dir);
	close(open(stale, O_WRONLY | O_CREAT, 0640));
	assert_int_equal(utimensat(AT_FDCWD, stale, old, 0), 0);
	fd = open(fresh, O_WRONLY | O_CREAT, 0640);
	assert_nothing_claimable(f->dir);
	assert_int_equal(stat(stale, &sb), -1);
	assert_int_equal(stat(fresh, &sb), 0);
	close(fd);
}

static void
test_missing_dir(void **state)
{
	struct fixture		*f = *state;
	struct spool_writer	*w;
	char			 sub[512], err[256] = "";

	(void)f;
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_nothing_claimable(sub);
	w = spool_writer_new(sub, 1 << 20, err, sizeof(err));
	assert_non_null(w);
	spool_writer_free(w);
	assert_int_equal(rmdir(sub), 0);
	snprintf(sub, sizeof(sub), "%s/no/such", f->dir);
	assert_null(spool_writer_new(sub, 1 << 20, err, sizeof(err)));
	assert_non_null(strstr(err, "could not create spool directory"));
	spool_writer_free(NULL);
	spool_segment_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_flips),
		cmocka_unit_test(test_iter),
		cmocka_unit_test_setup_teardown(test_write_replay, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_corrupt_quarantine, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_skip_and_retire, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_full, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_usage_reopen, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_flock_exclusion, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_roll_order, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_sync_failure, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_stale_tmp, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
