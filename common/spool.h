/*
 * spool.h: the outage spool's storage layer: record format and segment
 * iterator (spool_record.c, pure), segment writer and replay side
 * (spool.c). No logging, no exit: 0/-1 (or a named enum) and a message in
 * the caller's err buffer. Blocking file I/O; the caller picks the thread.
 *
 * Directory layout. Several writers (ingest replicas) may share one
 * directory. Each writer creates its own segment files named
 *
 *     <created_ms:16 digits>-<host>-<pid>-<random:8 hex>-<seq:10 digits>.seg
 *
 * (host sanitized to [A-Za-z0-9_.-], at most 64 bytes). A segment is first
 * created as ".<name>.tmp" with O_EXCL, flock(LOCK_EX)ed, then renamed to
 * its final name, so no other process ever sees an unlocked segment that a
 * live writer will still append to. The writer holds the flock until it
 * seals the segment (or dies: the kernel drops the lock). Replay claims
 * segments in name order, i.e. creation order (created_ms is made strictly
 * increasing per writer), skipping those it cannot flock with LOCK_NB.
 * Files whose name does not end in ".seg" are never claimed (".tmp" left
 * by a crashed writer, ".bad" quarantined segments) but count as usage.
 *
 * Record format (all integers little-endian):
 *
 *     off  size
 *     0    4    magic "DHSP"
 *     4    1    version (1)
 *     5    3    reserved, zero
 *     8    4    total record length in bytes, header included
 *     12   4    CRC-32C (Castagnoli) of bytes [0,12) and [16,length)
 *     16   8    received_at, epoch milliseconds (signed)
 *     24   2    app_id length A (<= SPOOL_ID_MAX), then A bytes
 *          2    event_type length E (<= SPOOL_ID_MAX), then E bytes
 *          2    dedupe_key length D (<= SPOOL_ID_MAX), then D bytes
 *          4    payload length P (<= SPOOL_PAYLOAD_MAX), then P bytes
 *
 * The total length must equal the sum of the parts exactly. A segment is a
 * plain concatenation of records; there is no file header.
 *
 * Durability contract for the caller: an event may be acknowledged only
 * after spool_sync() returned 0 for the group it was appended in. Replay is
 * at-least-once; webhook_events' dedupe constraint (INSERT ... ON CONFLICT
 * DO NOTHING) makes it exactly-once in the table.
 */
#ifndef DH_SPOOL_H
#define DH_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define SPOOL_HEADER_LEN	16
#define SPOOL_MIN_RECORD	(SPOOL_HEADER_LEN + 8 + 2 + 2 + 2 + 4)
#define SPOOL_ID_MAX		256			/* app_id, event_type, dedupe_key */
#define SPOOL_PAYLOAD_MAX	(64u * 1024 * 1024)
#define SPOOL_MAX_RECORD	(SPOOL_MIN_RECORD + 3 * SPOOL_ID_MAX + SPOOL_PAYLOAD_MAX)
#define SPOOL_ROLL_BYTES	(64u * 1024 * 1024)	/* default segment roll size */
#define SPOOL_SEGMENT_MAX_READ	((size_t)1 << 30)	/* larger segments are not claimed */

/*
 * One event. The fields are byte strings with explicit lengths and are not
 * NUL-terminated. For encoding the caller owns them; after decoding they
 * point into the decoded buffer (or the claimed segment) and live as long
 * as it does.
 */
struct spool_record {
	int64_t		 received_at_ms;
	const char	*app_id;
	size_t		 app_id_len;
	const char	*event_type;
	size_t		 event_type_len;
	const char	*dedupe_key;
	size_t		 dedupe_key_len;
	const char	*payload;
	size_t		 payload_len;
};

enum spool_decode {
	SPOOL_DECODE_OK,	/* *out filled, *consumed = record length */
	SPOOL_DECODE_MORE,	/* a valid-looking prefix: the record is incomplete */
	SPOOL_DECODE_CORRUPT	/* not a record: bad magic, version, length or checksum */
};

/* Outcome of one step of iterating over a segment. */
enum spool_next {
	SPOOL_NEXT_RECORD,	/* *out is the next record */
	SPOOL_NEXT_END,		/* clean end: every byte was a valid record */
	SPOOL_NEXT_TORN,	/* end; bytes after the last valid record hold no valid
				 * record (a crash mid-write: never acknowledged) */
	SPOOL_NEXT_CORRUPT	/* a bad record with a valid record somewhere after it:
				 * acknowledged data may be damaged; stop, keep the file */
};

enum spool_append_result {
	SPOOL_APPEND_OK,
	SPOOL_APPEND_FULL,	/* would exceed max_bytes: answer 503 */
	SPOOL_APPEND_ERROR	/* invalid record or file error (err says which) */
};

/* Writer counters, for metrics. */
struct spool_stats {
	uint64_t	bytes;		/* bytes in the directory: last scan + own writes since */
	uint64_t	records_synced;	/* records made durable by spool_sync() */
	uint64_t	syncs;		/* successful spool_sync() calls that wrote data */
	uint64_t	sync_failures;	/* spool_sync() calls that returned -1 */
	uint64_t	full;		/* appends refused as full */
	uint64_t	segments;	/* segments created */
};

/* ---- record format (pure) ---- */

/*
 * Encoded size of r, or 0 if a field exceeds its limit (SPOOL_ID_MAX,
 * SPOOL_PAYLOAD_MAX) or a non-empty field has a NULL pointer.
 */
size_t	spool_record_size(const struct spool_record *r);

/*
 * Encodes r into buf[0..buflen). Returns 0 and the length in *len, or -1 if
 * r is invalid (see spool_record_size) or buf is too small.
 */
int	spool_record_encode(const struct spool_record *r, unsigned char *buf,
	    size_t buflen, size_t *len) DH_MUSTCHECK;

/*
 * Decodes the record at the start of buf[0..len); bounds-checked for any
 * input. OK: *out's fields point into buf, *consumed is the record length.
 * MORE: buf is a proper prefix of something that may still become a valid
 * record (every truncation of a valid record gives MORE). CORRUPT: it can
 * never be one. *consumed is 0 unless OK; *out is untouched unless OK.
 */
enum spool_decode spool_record_decode(const unsigned char *buf, size_t len,
	    struct spool_record *out, size_t *consumed);

/* ---- iterating over a segment's bytes (pure) ---- */

struct spool_iter {
	const unsigned char	*buf;
	size_t			 len;
	size_t			 off;	/* next record, or where the bad bytes start */
	int			 done;	/* 0, or the terminal enum spool_next */
};

/* Starts iterating over buf[0..len), which must outlive the iterator. */
void	spool_iter_init(struct spool_iter *it, const unsigned char *buf, size_t len);

/*
 * The next record (fields point into the buffer), or a terminal outcome;
 * once terminal, every later call returns the same. On TORN and CORRUPT,
 * it->off is the offset of the first bad byte. Any bad record followed by
 * no valid record is TORN (also a bit flip in the last record: the format
 * cannot tell it from a crash mid-write). Finding out costs a scan of the
 * rest of the buffer for a valid record.
 */
enum spool_next spool_iter_next(struct spool_iter *it, struct spool_record *out);

/* ---- writer ---- */

struct spool_writer;

/*
 * Opens a writer on dir (created with mode 0750 if missing; its parent must
 * exist) that refuses appends once the directory would hold more than
 * max_bytes. Scans the directory for its current usage. Creates no segment
 * until the first append. Returns NULL with a message in err on failure.
 * Free with spool_writer_free().
 */
struct spool_writer *spool_writer_new(const char *dir, uint64_t max_bytes,
	    char *err, size_t errlen) DH_MUSTCHECK;

/*
 * Seals the active segment (see spool_seal), discarding unsynced appends,
 * and frees w. NULL is a no-op.
 */
void	spool_writer_free(struct spool_writer *w);

/*
 * Seal the active segment after a sync leaves it at >= bytes (default
 * SPOOL_ROLL_BYTES; 0 = never roll). A group is never split across segments.
 */
void	spool_writer_set_roll_bytes(struct spool_writer *w, uint64_t bytes);

/*
 * Appends r to the current group: encodes it into w's memory buffer; no
 * write(2) yet. Opens (creates, flocks, renames into place) a new segment
 * first if there is none. FULL if the directory's usage plus the unsynced
 * group plus r would exceed max_bytes (after a fresh scan of the directory,
 * at most once a second, so space freed by replay is seen). ERROR: r is
 * invalid (too large) or the segment could not be created.
 */
enum spool_append_result spool_append(struct spool_writer *w,
	    const struct spool_record *r, char *err, size_t errlen) DH_MUSTCHECK;

/* Bytes appended since the last spool_sync() (a mark for spool_rewind). */
size_t	spool_pending(const struct spool_writer *w);

/*
 * Drops the appends made after spool_pending() returned mark, so one
 * request's events are all in the group or none (e.g. on FULL part way).
 * -1 if mark is beyond the pending bytes.
 */
int	spool_rewind(struct spool_writer *w, size_t mark) DH_MUSTCHECK;

/*
 * Makes the group durable: write(2)s all pending bytes, fdatasync()s the
 * segment, and fsync()s the directory once after a segment was created
 * (its name must survive a crash). 0: every record appended since the last
 * sync is durable and may be acknowledged (0 also when nothing is pending).
 * -1: none of them may be acknowledged; the segment is truncated back to
 * its last durable length if possible and sealed either way, the group is
 * discarded, and the next append starts a new segment. Seals the segment
 * after success if it reached the roll size.
 */
int	spool_sync(struct spool_writer *w, char *err, size_t errlen) DH_MUSTCHECK;

/*
 * Discards unsynced appends, closes and unlocks the active segment so replay
 * can claim it (removes it instead if it holds no durable byte). The next
 * append starts a new segment. No-op without an active segment.
 */
void	spool_seal(struct spool_writer *w);

/*
 * Rescans the directory's usage (the other replicas write and replay
 * deletes; call this periodically, e.g. from the janitor). 0 or -1.
 */
int	spool_writer_rescan(struct spool_writer *w, char *err, size_t errlen) DH_MUSTCHECK;

/* Bytes in the spool directory as far as w knows (see struct spool_stats). */
uint64_t spool_bytes(const struct spool_writer *w);
void	spool_writer_stats(const struct spool_writer *w, struct spool_stats *out);

/* ---- replay side ---- */

struct spool_segment;

/* Non-zero if the segment name (no directory) must not be claimed. */
typedef int (*spool_skip_fn)(const char *name, void *arg);

/*
 * Claims the oldest (by name) "*.seg" in dir that skip (if not NULL) does
 * not exclude, can be flocked with LOCK_NB and is still linked, and reads
 * it into memory (at most SPOOL_SEGMENT_MAX_READ bytes). 0 with *out set,
 * or 0 with *out NULL when none is claimable (or dir does not exist), or -1
 * with err. Also removes ".tmp" files that no writer holds (crash
 * leftovers, never holding data). Release with spool_segment_done,
 * _release or _quarantine.
 */
int	spool_claim(const char *dir, spool_skip_fn skip, void *skip_arg,
	    struct spool_segment **out, char *err, size_t errlen) DH_MUSTCHECK;

/* As spool_iter_next over the claimed segment; fields point into seg. */
enum spool_next spool_segment_next(struct spool_segment *seg, struct spool_record *out);

/* Offset of the next record, or of the bad bytes after TORN/CORRUPT. */
size_t	spool_segment_offset(const struct spool_segment *seg);
/* Size of the segment file as read. */
size_t	spool_segment_size(const struct spool_segment *seg);
/* The segment's file name (no directory), borrowed from seg. */
const char *spool_segment_name(const struct spool_segment *seg);

/*
 * Every record is committed to the database: unlinks the segment, fsyncs
 * the directory, unlocks and frees seg (also on failure). 0 or -1; after
 * -1 the file may still exist and will be replayed again (harmless).
 */
int	spool_segment_done(struct spool_segment *seg, char *err, size_t errlen) DH_MUSTCHECK;

/* Replay failed: unlocks and frees seg without deleting it. NULL is a no-op. */
void	spool_segment_release(struct spool_segment *seg);

/*
 * A CORRUPT segment: renames it to "<name>.bad" (never claimed again, still
 * counted as usage) for an operator, fsyncs the directory, unlocks and frees
 * seg (also on failure). 0 or -1.
 */
int	spool_segment_quarantine(struct spool_segment *seg, char *err, size_t errlen) DH_MUSTCHECK;

enum spool_retire {
	SPOOL_RETIRE_REMOVE,		/* as spool_segment_done */
	SPOOL_RETIRE_QUARANTINE		/* as spool_segment_quarantine */
};

/*
 * Finishes the segment name of dir that was replayed (or found corrupt)
 * earlier but could not be removed (or renamed aside) then, e.g. on a
 * read-only file system: takes its lock without reading it, then removes
 * or quarantines it and fsyncs the directory. 0: done, or the segment is
 * gone already; 1: another process holds it (being replayed there: try
 * again later); -1 with err (the directory is still not writable, ...).
 */
int	spool_retire(const char *dir, const char *name, enum spool_retire how,
	    char *err, size_t errlen) DH_MUSTCHECK;

#endif
