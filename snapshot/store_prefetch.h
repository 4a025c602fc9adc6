/*
 * Reading the folder ahead of the first baseline's reading thread
 * (store_prefetch.c). Internal to snapshot/; no libgit2 here, so that
 * tests/unit/test_prefetch.c can drive it on its own.
 */
#ifndef GUARDFS_STORE_PREFETCH_H
#define GUARDFS_STORE_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gfs_store_prefetch;

struct gfs_store_prefetch_opts {
	int root_fd; /* the folder, borrowed: the walk never leaves it */
	/* regular files larger than this are not read ahead; 0: no limit */
	uint64_t max_file_size;
	/*
	 * Whether the reader leaves relpath out (neither reads it nor
	 * descends into it): the walk does too, so that both count the
	 * same entries. Called from the prefetch thread. NULL: nothing.
	 */
	bool (*excluded)(const void *arg, const char *relpath, bool is_dir);
	const void *excluded_arg;
	unsigned lead;	   /* entries ahead of the reader at most; 0: default */
	size_t lead_bytes; /* bytes asked for ahead of it at most; 0: default */
};

/* What the walk did so far; read while it runs or after its stop. */
struct gfs_store_prefetch_stats {
	uint64_t entries; /* entries reached, counted as the reader counts */
	uint64_t files;	  /* regular files opened */
	uint64_t advised; /* of those, found uncached and read ahead */
	uint64_t bytes;	  /* bytes asked for */
	uint64_t waits;	  /* times it waited for the reader */
	bool waiting;	  /* it waits for the reader right now */
	bool done;	  /* the walk is over (the end, or it gave up) */
};

/*
 * Starts a thread that walks the folder in the reader's order (readdir
 * order, depth first) and asks the kernel to read each regular file's
 * first bytes into the page cache, staying at most opts->lead entries
 * and opts->lead_bytes bytes ahead of the reader's count. 0 or -errno.
 */
int gfs_store_prefetch_start(struct gfs_store_prefetch **out,
			     const struct gfs_store_prefetch_opts *opts);

/* The reader reached one more entry (refresh_dir's count). Cheap. */
void gfs_store_prefetch_passed(struct gfs_store_prefetch *p);

/* Copies the walk's counters so far into out. */
void gfs_store_prefetch_stats(struct gfs_store_prefetch *p,
			      struct gfs_store_prefetch_stats *out);

/*
 * Stops the walk, waits for its thread (which closes every descriptor it
 * opened) and frees p; out, when not NULL, receives the final counters.
 * p may be NULL.
 */
void gfs_store_prefetch_stop(struct gfs_store_prefetch *p,
			     struct gfs_store_prefetch_stats *out);

#endif
