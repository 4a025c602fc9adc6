#ifndef GUARDFS_CLI_JSONL_H
#define GUARDFS_CLI_JSONL_H

#include <stdbool.h>

#include "guardfs/buf.h"

/*
 * One flat JSON object, as the daemon's watch stream sends them: keys
 * with string, number, true, false or null values, nothing nested.
 * Values are kept as text (strings decoded, numbers as written).
 */
#define GFS_JSONL_MAX_FIELDS 24

struct gfs_jsonl {
	struct gfs_buf text; /* keys and values, NUL-separated */
	const char *keys[GFS_JSONL_MAX_FIELDS];
	const char *values[GFS_JSONL_MAX_FIELDS];
	int count;
};

/* Parses line into o (reset first). 0, or -EINVAL for anything else. */
int gfs_jsonl_parse(struct gfs_jsonl *o, const char *line);

/* The value of key, or NULL. */
const char *gfs_jsonl_get(const struct gfs_jsonl *o, const char *key);

void gfs_jsonl_release(struct gfs_jsonl *o);

#endif
