/*
 * secrets.h: the per-app webhook signing secrets file.
 *
 * Format, one entry per line:
 *
 *     # comment
 *     <app_id> <secret>
 *
 * app_id matches [A-Za-z0-9_-]{1,64} (blanks before it are ignored); one
 * or more spaces or tabs separate it from the secret, which is the rest of the line with trailing spaces,
 * tabs and CR removed (it may contain inner spaces, and a '#' there is part
 * of the secret). Blank lines and lines whose first non-blank character is
 * '#' are ignored. A duplicate app_id is an error. The secret's bytes are
 * the HMAC key as given (not base64-decoded).
 *
 * Error messages are "line N: <what>" and never contain any text of the
 * line, so a secret cannot leak into a log. secrets_load() adds the path.
 */
#ifndef DH_SECRETS_H
#define DH_SECRETS_H

#include <stddef.h>

#include "compiler.h"

/* Largest secrets file secrets_load() reads. */
#define SECRETS_MAX_FILE	(1024 * 1024)

/* One entry; all memory belongs to the struct secrets it came from. */
struct secret {
	const char		*app_id;	/* NUL-terminated */
	const unsigned char	*key;		/* len bytes, then a NUL */
	size_t			 len;
};

struct secrets;

/*
 * Parses text[0..len) (need not be NUL-terminated). Returns a new table the
 * caller frees with secrets_free(), or NULL with a message in err (errlen
 * bytes, may be 0). An empty file gives an empty table.
 */
struct secrets	*secrets_parse(const char *text, size_t len, char *err,
		    size_t errlen) DH_MUSTCHECK;

/*
 * Reads and parses the file at path (at most SECRETS_MAX_FILE bytes). As
 * secrets_parse(); errors are prefixed with the path, and a file that
 * cannot be opened or read reports strerror(errno). A regular file with any
 * permission bit for group or others (mode & 077, as ssh checks private
 * keys) is refused before it is read; the message names the path and mode.
 */
struct secrets	*secrets_load(const char *path, char *err, size_t errlen)
		    DH_MUSTCHECK;

/* The entry for app_id, borrowed from s, or NULL if there is none. */
const struct secret	*secrets_find(const struct secrets *s,
			    const char *app_id);

/* Number of entries in s (0 for NULL). */
size_t	secrets_count(const struct secrets *s);

/* Wipes the keys and frees s. NULL is a no-op. */
void	secrets_free(struct secrets *s);

#endif
