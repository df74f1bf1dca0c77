/* migrations.c: accessors over the generated migrations_data[]. */
#include "migrations.h"

int
migrations_latest(void)
{
	int	 v = 0;

	for (size_t i = 0; i < migrations_count; i++)
		if (migrations_data[i].version > v)
			v = migrations_data[i].version;
	return v;
}
