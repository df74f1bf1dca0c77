/*
 * migrations.h: the SQL migrations of sql/, compiled into every binary.
 *
 * The array is generated at build time by sql/embed.sh, in version order.
 * dialhookctl applies them; the daemons compare the database's version with
 * migrations_latest() and refuse to run against an older schema.
 */
#ifndef DH_MIGRATIONS_H
#define DH_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int		 version;	/* NNN of sql/NNN_name.sql */
	const char	*name;
	const char	*sql;		/* the whole file */
};

extern const struct migration migrations_data[];
extern const size_t migrations_count;

/* The version of the newest migration this build knows. */
int	migrations_latest(void);

/* The SQL that reads the database's applied version (one row, one int column). */
#define MIGRATIONS_VERSION_SQL \
	"SELECT coalesce(max(version), 0) FROM schema_migrations"

#endif
