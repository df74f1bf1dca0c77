/*
 * processor.h: the dialhook-processor daemon's one context.
 *
 * A notification on `webhook_events`, the fallback poll timer, or a
 * (re)connect only sets "work pending"; the table is the queue. Each batch
 * is one transaction on one connection:
 *
 *   claim   BEGIN; SET LOCAL synchronous_commit = off; a fenced
 *           (AS MATERIALIZED) CTE selects due ids in id order, LIMIT
 *           batch_size, FOR UPDATE SKIP LOCKED, joined back for the payloads
 *   write   one statement: the merged calls upsert, processed marks,
 *           handler failures (batch.h)
 *   commit
 *
 * If the write fails on the data (not on a transient error such as a
 * deadlock or timeout), the batch is rolled back and its ids are bisected:
 * each half is claimed again by id and written on its own, down to the
 * single event, which is then marked failed in its own statement. So a
 * poison event never blocks the others.
 */
#ifndef DH_PROCESSOR_H
#define DH_PROCESSOR_H

#include "config.h"
#include "util.h"

struct processor;

/* Set up everything (config is borrowed for the processor's life); NULL on failure (logged). */
struct processor	*processor_new(const struct dh_config *cfg);

/* Run until stopped; returns the process exit code. */
int			 processor_run(struct processor *p);

void			 processor_free(struct processor *p);

#endif
