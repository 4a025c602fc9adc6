#ifndef GUARDFS_AUDIT_H
#define GUARDFS_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardfs/config.h"
#include "guardfs/op.h"

/*
 * The audit trail (P4): one JSON object per line, appended to a file.
 *
 * Request threads format their line and append it to an in-memory
 * buffer; a writer thread moves the buffer to the file a few times a
 * second, so the request path never waits for the disk. Closing writes
 * out everything and fsyncs.
 */
struct gfs_audit;

/* Opens (creating with mode 0600, and its directory) the trail at path. */
int gfs_audit_open(struct gfs_audit **out, const char *path,
		   enum gfs_audit_level level, char *err, size_t err_size);

/* Writes out everything recorded, fsyncs and frees. NULL is allowed. */
void gfs_audit_close(struct gfs_audit *a);

/*
 * Records op, once it is over, if the level asks for it. Never blocks
 * on I/O.
 */
void gfs_audit_record(struct gfs_audit *a, const struct gfs_op *op);

/* Writes out what is buffered now and waits until it is on the file. */
void gfs_audit_flush(struct gfs_audit *a);

/*
 * The process name (comm) of pid into name (at least 16 bytes), cached
 * briefly so that a burst of requests costs one /proc read.
 */
void gfs_audit_process_name(pid_t pid, char *name, size_t size);

#endif
