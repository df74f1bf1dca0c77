/*
 * spool.c: the outage spool's segment files: the writer (append, group
 * sync, roll, seal, usage) and the replay side (claim, iterate, done).
 * The record format is in spool_record.c; see spool.h for the layout and
 * the durability contract.
 */
#include "spool.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_NAME_MAX		160
#define SPOOL_RESCAN_MS		1000	/* a FULL append rescans at most this often */
#define SPOOL_TMP_STALE_S	60	/* unlocked ".tmp" files older than this are removed */

struct spool_writer {
	char		*dir;
	int		 dirfd;
	uint64_t	 max_bytes;
	uint64_t	 roll_bytes;
	int		 fd;		/* active segment, flocked; -1 if none */
	char		 name[SPOOL_NAME_MAX];
	uint64_t	 durable;	/* bytes of the active segment known durable */
	uint64_t	 seg_bytes;	/* bytes written to it (durable or not) */
	int		 need_dirsync;	/* its directory entry is not durable yet */
	unsigned char	*buf;		/* the pending group */
	size_t		 len;
	size_t		 cap;
	int64_t		 last_ts;	/* created_ms of the last segment */
	uint32_t	 seq;
	char		 host[65];
	char		 token[9];
	long		 pid;
	int64_t		 scanned_at;	/* util_now_ms() of the last directory scan */
	struct spool_stats st;
};

struct spool_segment {
	int		 dirfd;
	int		 fd;		/* flocked */
	char		*name;
	unsigned char	*buf;
	size_t		 size;
	struct spool_iter it;
};

/* The little-endian 32-bit integer at p. */
static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* ---- writer ---- */

/* a - b, or 0 if b > a (usage counters never wrap). */
static uint64_t
sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * Sums the sizes of the regular files in the directory open as dirfd into
 * *total. 0, or -1 with errno set.
 */
static int
scan_usage(int dirfd, uint64_t *total)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	int		 fd;

	*total = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode))
			*total += (uint64_t)sb.st_size;
	}
	fd = errno;
	closedir(d);
	errno = fd;
	return fd == 0 ? 0 : -1;
}

int
spool_writer_rescan(struct spool_writer *w, char *err, size_t errlen)
{
	uint64_t	total;

	if (scan_usage(w->dirfd, &total) < 0) {
		util_set_err(err, errlen, "could not scan spool directory %s: %s",
		    w->dir, strerror(errno));
		return -1;
	}
	w->st.bytes = total;
	w->scanned_at = util_now_ms();
	return 0;
}

/* Sets w's host name (sanitized), pid and random token for segment names. */
static void
init_identity(struct spool_writer *w)
{
	char		host[256] = "";
	unsigned char	rnd[4];
	size_t		i;
	uint32_t	v;

	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		strcpy(host, "host");
	for (i = 0; host[i] != '\0' && i < sizeof(w->host) - 1; i++) {
		char	c = host[i];

		w->host[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ?
		    c : '_';
	}
	w->host[i] = '\0';
	w->pid = (long)getpid();
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) == (ssize_t)sizeof(rnd))
		v = get32(rnd);
	else
		v = (uint32_t)util_now_us() ^ ((uint32_t)w->pid << 16);
	snprintf(w->token, sizeof(w->token), "%08x", v);
}

/*
 * fsyncs the directory containing path, so a directory just created there
 * survives a crash. 0, or -1 with errno set.
 */
static int
sync_parent(const char *path)
{
	char	*parent = xstrdup(path), *slash;
	int	 fd, rc;

	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	fd = open(slash != NULL ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(parent);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

struct spool_writer *
spool_writer_new(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spool_writer	*w;
	int			 dirfd;

	if (mkdir(dir, 0750) == 0 ? sync_parent(dir) < 0 : errno != EEXIST) {
		util_set_err(err, errlen, "could not create spool directory %s: %s",
		    dir, strerror(errno));
		return NULL;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		util_set_err(err, errlen, "could not open spool directory %s: %s",
		    dir, strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->dir = xstrdup(dir);
	w->dirfd = dirfd;
	w->fd = -1;
	w->max_bytes = max_bytes;
	w->roll_bytes = SPOOL_ROLL_BYTES;
	init_identity(w);
	if (spool_writer_rescan(w, err, errlen) < 0) {
		spool_writer_free(w);
		return NULL;
	}
	return w;
}

void
spool_writer_free(struct spool_writer *w)
{
	if (w == NULL)
		return;
	spool_seal(w);
	close(w->dirfd);
	free(w->buf);
	free(w->dir);
	free(w);
}

void
spool_writer_set_roll_bytes(struct spool_writer *w, uint64_t bytes)
{
	w->roll_bytes = bytes;
}

/*
 * Creates the next segment: ".<name>.tmp" with O_EXCL, flock, rename to
 * <name>; it becomes w's active segment. 0, or -1 with err (nothing left
 * behind but possibly an unlocked empty ".tmp", which spool_claim removes).
 */
static int
segment_create(struct spool_writer *w, char *err, size_t errlen)
{
	char		 tmp[SPOOL_NAME_MAX + 8];
	const char	*step;
	int64_t		 ts = util_wall_ms();
	int		 fd, saved;

	w->last_ts = ts > w->last_ts ? ts : w->last_ts + 1;
	snprintf(w->name, sizeof(w->name), "%016lld-%s-%ld-%s-%010lu.seg",
	    (long long)w->last_ts, w->host, w->pid, w->token,
	    (unsigned long)w->seq++);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", w->name);
	step = "create";
	fd = openat(w->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		goto fail;
	step = "lock";
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto fail;
	step = "rename";
	if (renameat(w->dirfd, tmp, w->dirfd, w->name) < 0)
		goto fail;
	w->fd = fd;
	w->durable = w->seg_bytes = 0;
	w->need_dirsync = 1;
	w->st.segments++;
	return 0;
fail:
	saved = errno;
	if (fd >= 0) {
		unlinkat(w->dirfd, tmp, 0);
		close(fd);
	}
	util_set_err(err, errlen, "could not %s spool segment %s/%s: %s", step,
	    w->dir, tmp, strerror(saved));
	return -1;
}

/* true if the usage plus the pending group plus size bytes exceed the cap. */
static int
over_limit(const struct spool_writer *w, size_t size)
{
	uint64_t	need = w->st.bytes + w->len + size;

	return need < w->st.bytes || need > w->max_bytes;
}

/* Grows w's group buffer to hold at least need more bytes. */
static void
reserve(struct spool_writer *w, size_t need)
{
	size_t	cap = w->cap ? w->cap : 4096;

	if (w->cap - w->len >= need)
		return;
	while (cap - w->len < need)
		cap = cap > SIZE_MAX / 2 ? w->len + need : cap * 2;
	w->buf = xreallocarray(w->buf, cap, 1);
	w->cap = cap;
}

enum spool_append_result
spool_append(struct spool_writer *w, const struct spool_record *r, char *err,
    size_t errlen)
{
	size_t	size = spool_record_size(r), n;

	if (size == 0) {
		util_set_err(err, errlen, "spool record too large");
		return SPOOL_APPEND_ERROR;
	}
	if (over_limit(w, size) &&
	    util_now_ms() - w->scanned_at >= SPOOL_RESCAN_MS &&
	    spool_writer_rescan(w, err, errlen) < 0)
		return SPOOL_APPEND_ERROR;
	if (over_limit(w, size)) {
		w->st.full++;
		util_set_err(err, errlen, "spool full (%llu bytes, limit %llu)",
		    (unsigned long long)w->st.bytes,
		    (unsigned long long)w->max_bytes);
		return SPOOL_APPEND_FULL;
	}
	if (w->fd < 0 && segment_create(w, err, errlen) < 0)
		return SPOOL_APPEND_ERROR;
	reserve(w, size);
	if (spool_record_encode(r, w->buf + w->len, w->cap - w->len, &n) < 0) {
		util_set_err(err, errlen, "could not encode spool record");
		return SPOOL_APPEND_ERROR;
	}
	w->len += n;
	return SPOOL_APPEND_OK;
}

size_t
spool_pending(const struct spool_writer *w)
{
	return w->len;
}

int
spool_rewind(struct spool_writer *w, size_t mark)
{
	if (mark > w->len)
		return -1;
	w->len = mark;
	return 0;
}

/* Number of records in the pending group (encoded by us: lengths trusted). */
static uint64_t
pending_records(const struct spool_writer *w)
{
	uint64_t	n = 0;
	size_t		off = 0;

	while (off + SPOOL_HEADER_LEN <= w->len) {
		off += get32(w->buf + off + 8);
		n++;
	}
	return n;
}

/* write(2)s all of the pending group. 0, or -1 with errno set. */
static int
write_pending(struct spool_writer *w)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < w->len) {
		n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		off += (size_t)n;
		w->seg_bytes += (uint64_t)n;
		w->st.bytes += (uint64_t)n;
	}
	return 0;
}

/*
 * A failed sync: truncates the segment back to its durable length (its
 * undurable tail would otherwise be a torn tail or records answered 503:
 * both harmless, see spool.h), seals it and discards the group.
 */
static void
sync_failed(struct spool_writer *w)
{
	if (ftruncate(w->fd, (off_t)w->durable) == 0) {
		w->st.bytes = sub_sat(w->st.bytes, w->seg_bytes - w->durable);
		w->seg_bytes = w->durable;
	}
	w->st.sync_failures++;
	spool_seal(w);
}

int
spool_sync(struct spool_writer *w, char *err, size_t errlen)
{
	const char	*step;
	int		 saved;

	if (w->len == 0)
		return 0;
	step = "write";
	if (write_pending(w) < 0)
		goto fail;
	step = "fdatasync";
	if (fdatasync(w->fd) < 0)
		goto fail;
	step = "fsync the directory of";
	if (w->need_dirsync && fsync(w->dirfd) < 0)
		goto fail;
	w->need_dirsync = 0;
	w->durable = w->seg_bytes;
	w->st.records_synced += pending_records(w);
	w->st.syncs++;
	w->len = 0;
	if (w->roll_bytes != 0 && w->durable >= w->roll_bytes)
		spool_seal(w);
	return 0;
fail:
	saved = errno;
	util_set_err(err, errlen, "could not %s spool segment %s/%s: %s", step,
	    w->dir, w->name, strerror(saved));
	sync_failed(w);
	return -1;
}

void
spool_seal(struct spool_writer *w)
{
	if (w->fd < 0)
		return;
	w->len = 0;
	if (w->durable == 0 && unlinkat(w->dirfd, w->name, 0) == 0)
		w->st.bytes = sub_sat(w->st.bytes, w->seg_bytes);
	close(w->fd);
	w->fd = -1;
}

uint64_t
spool_bytes(const struct spool_writer *w)
{
	return w->st.bytes;
}

void
spool_writer_stats(const struct spool_writer *w, struct spool_stats *out)
{
	*out = w->st;
}

/* ---- replay side ---- */

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Removes ".<name>.tmp" if no writer holds it and it is older than
 * SPOOL_TMP_STALE_S (a writer crashed between create and rename; such a
 * file never holds data). Best effort.
 */
static void
remove_stale_tmp(int dirfd, const char *name)
{
	struct stat	sb;
	int		fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 &&
	    sb.st_nlink > 0 && sb.st_mtime + SPOOL_TMP_STALE_S < time(NULL))
		unlinkat(dirfd, name, 0);
	close(fd);
}

/*
 * The sorted names of the "*.seg" files in dirfd, in *names (*n of them;
 * free each and the array). Removes stale ".tmp" files on the way.
 * 0, or -1 with errno set.
 */
static int
list_segments(int dirfd, char ***names, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 cap = 0;
	int		 fd, saved;

	*names = NULL;
	*n = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			if (has_suffix(de->d_name, ".tmp"))
				remove_stale_tmp(dirfd, de->d_name);
			continue;
		}
		if (!has_suffix(de->d_name, ".seg"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	saved = errno;
	closedir(d);
	errno = saved;
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return saved == 0 ? 0 : -1;
}

/* Reads all size bytes of fd into a new buffer; *got = bytes read. */
static unsigned char *
read_all(int fd, size_t size, size_t *got)
{
	unsigned char	*buf = xmalloc(size);
	ssize_t		 n;

	*got = 0;
	while (*got < size) {
		n = pread(fd, buf + *got, size - *got, (off_t)*got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return buf;
}

/*
 * Opens the segment name in dirfd and takes its lock, checking that the
 * name still refers to the locked file. The fd, or -1 with errno ENOENT
 * (gone, replaced, unlinked meanwhile, or a symlink), EWOULDBLOCK (another
 * process holds it: being written or replayed), EINVAL (not a regular file)
 * or open(2)'s error.
 */
static int
lock_segment(int dirfd, const char *name, struct stat *sb)
{
	struct stat	 cur;
	int		 fd, why = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP)
			errno = ENOENT;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		why = EWOULDBLOCK;
	else if (fstat(fd, sb) < 0 || sb->st_nlink == 0 ||
	    fstatat(dirfd, name, &cur, AT_SYMLINK_NOFOLLOW) < 0 ||
	    cur.st_ino != sb->st_ino || cur.st_dev != sb->st_dev)
		why = ENOENT;
	else if (!S_ISREG(sb->st_mode))
		why = EINVAL;
	if (why == 0)
		return fd;
	close(fd);
	errno = why;
	return -1;
}

/*
 * Tries to claim the segment name in dirfd: 1 with *out set, 0 if it is
 * locked, gone, not a regular file or too large, -1 with err.
 */
static int
try_claim(int dirfd, const char *name, struct spool_segment **out, char *err,
    size_t errlen)
{
	struct spool_segment	*seg;
	struct stat		 sb;
	unsigned char		*buf;
	size_t			 got;
	int			 fd;

	if ((fd = lock_segment(dirfd, name, &sb)) < 0) {
		if (errno == ENOENT || errno == EWOULDBLOCK || errno == EINVAL)
			return 0;
		util_set_err(err, errlen, "could not open spool segment %s: %s",
		    name, strerror(errno));
		return -1;
	}
	if ((uint64_t)sb.st_size > SPOOL_SEGMENT_MAX_READ) {
		close(fd);
		return 0;
	}
	if ((buf = read_all(fd, (size_t)sb.st_size, &got)) == NULL) {
		util_set_err(err, errlen, "could not read spool segment %s: %s",
		    name, strerror(errno));
		close(fd);
		return -1;
	}
	seg = xcalloc(1, sizeof(*seg));
	seg->fd = fd;
	seg->dirfd = -1;
	seg->name = xstrdup(name);
	seg->buf = buf;
	seg->size = got;
	spool_iter_init(&seg->it, buf, got);
	*out = seg;
	return 1;
}

int
spool_claim(const char *dir, spool_skip_fn skip, void *skip_arg,
    struct spool_segment **out, char *err, size_t errlen)
{
	char	**names = NULL;
	size_t	  n = 0, i;
	int	  dirfd, rc = 0;

	*out = NULL;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		util_set_err(err, errlen, "could not open spool directory %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	if (list_segments(dirfd, &names, &n) < 0) {
		util_set_err(err, errlen, "could not list spool directory %s: %s",
		    dir, strerror(errno));
		rc = -1;
	}
	for (i = 0; rc == 0 && i < n; i++)
		if (skip == NULL || !skip(names[i], skip_arg))
			rc = try_claim(dirfd, names[i], out, err, errlen);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == 1) {
		(*out)->dirfd = dirfd;
		return 0;
	}
	close(dirfd);
	return rc;
}

enum spool_next
spool_segment_next(struct spool_segment *seg, struct spool_record *out)
{
	return spool_iter_next(&seg->it, out);
}

size_t
spool_segment_offset(const struct spool_segment *seg)
{
	return seg->it.off;
}

size_t
spool_segment_size(const struct spool_segment *seg)
{
	return seg->size;
}

const char *
spool_segment_name(const struct spool_segment *seg)
{
	return seg->name;
}

void
spool_segment_release(struct spool_segment *seg)
{
	if (seg == NULL)
		return;
	close(seg->fd);		/* drops the flock */
	close(seg->dirfd);
	free(seg->buf);
	free(seg->name);
	free(seg);
}

/*
 * End a segment whose directory entry was just changed (op_rc: 0, or -1 with
 * err set): make the change durable while still holding the segment's lock,
 * so no one replays it again (a replay racing us sees st_nlink == 0), then
 * release it. 0 or -1.
 */
static int
spool_segment_finish(struct spool_segment *seg, int op_rc, const char *what,
    char *err, size_t errlen)
{
	if (op_rc == 0 && fsync(seg->dirfd) < 0) {
		util_set_err(err, errlen, "could not fsync spool directory after "
		    "%s %s: %s", what, seg->name, strerror(errno));
		op_rc = -1;
	}
	spool_segment_release(seg);
	return op_rc;
}

int
spool_segment_done(struct spool_segment *seg, char *err, size_t errlen)
{
	int	rc = 0;

	if (unlinkat(seg->dirfd, seg->name, 0) < 0 && errno != ENOENT) {
		util_set_err(err, errlen, "could not remove spool segment %s: %s",
		    seg->name, strerror(errno));
		rc = -1;
	}
	return spool_segment_finish(seg, rc, "removing", err, errlen);
}

int
spool_segment_quarantine(struct spool_segment *seg, char *err, size_t errlen)
{
	char	bad[SPOOL_NAME_MAX + 8];
	int	rc = 0;

	if ((size_t)snprintf(bad, sizeof(bad), "%s.bad", seg->name) >= sizeof(bad) ||
	    renameat(seg->dirfd, seg->name, seg->dirfd, bad) < 0) {
		util_set_err(err, errlen, "could not rename spool segment %s aside: %s",
		    seg->name, strerror(errno));
		rc = -1;
	}
	return spool_segment_finish(seg, rc, "renaming", err, errlen);
}

int
spool_retire(const char *dir, const char *name, enum spool_retire how, char *err,
    size_t errlen)
{
	struct spool_segment	*seg;
	struct stat		 sb;
	int			 dirfd, fd;

	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		util_set_err(err, errlen, "could not open spool directory %s: %s",
		    dir, strerror(errno));
		return -1;
	}
	if ((fd = lock_segment(dirfd, name, &sb)) < 0) {
		int	saved = errno;

		close(dirfd);
		if (saved == ENOENT)
			return 0;
		if (saved == EWOULDBLOCK)
			return 1;
		util_set_err(err, errlen, "could not open spool segment %s: %s",
		    name, strerror(saved));
		return -1;
	}
	seg = xcalloc(1, sizeof(*seg));
	seg->fd = fd;
	seg->dirfd = dirfd;
	seg->name = xstrdup(name);
	if (how == SPOOL_RETIRE_QUARANTINE)
		return spool_segment_quarantine(seg, err, errlen);
	return spool_segment_done(seg, err, errlen);
}
