#ifndef GUARDFS_UTIL_H
#define GUARDFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "guardfs/buf.h"

/* The symbolic name of an errno value ("ENOENT"); "E<number>" if unknown. */
const char *gfs_errno_name(int err);

/* Appends t as RFC 3339 UTC with microseconds: 2026-11-24T13:05:00.123456Z */
int gfs_time_format(struct gfs_buf *out, const struct timespec *t);

/*
 * Sets *t to ns nanoseconds from now on clock (the clock a condition
 * variable's timed wait measures: CLOCK_REALTIME unless it was set).
 */
void gfs_deadline_in(struct timespec *t, clockid_t clock, int64_t ns);

/* Nanoseconds on CLOCK_MONOTONIC: for measuring and for deadlines. */
int64_t gfs_mono_ns(void);

/*
 * Parses a point in time: a duration back from now ("90s", "15m", "2h",
 * "1d", "1w") or an ISO-8601 time ("2026-11-24T13:05:00+00:00", "...Z",
 * or a date alone). Returns 0 and sets *out (seconds since the epoch), or
 * -EINVAL.
 */
int gfs_time_parse(const char *text, time_t now, time_t *out);

/*
 * Parses a size with an optional unit ("512", "64k", "8M", "1G", binary
 * multiples). Returns 0 or -EINVAL / -ERANGE.
 */
int gfs_size_parse(const char *text, uint64_t *out);

/* Parses yes/no/true/false/on/off/1/0. Returns 0 or -EINVAL. */
int gfs_bool_parse(const char *text, bool *out);

/*
 * Appends the XDG base directory named by env_name ("XDG_STATE_HOME"),
 * falling back to $HOME/fallback (".local/state") as the spec says.
 * Returns 0, or -ENOENT when neither is set.
 */
int gfs_xdg_dir(struct gfs_buf *out, const char *env_name,
		const char *fallback);

/* Creates dir and its missing parents with the given mode. 0 or -errno. */
int gfs_mkdir_p(const char *dir, mode_t mode);

/* Writes all len bytes of data to fd, again after EINTR: 0 or -errno. */
int gfs_write_all(int fd, const void *data, size_t len);

/*
 * Appends the absolute, symlink-free form of path, which must exist.
 * Returns 0 or -errno.
 */
int gfs_realpath(struct gfs_buf *out, const char *path);

/* True when path equals dir or lies below it (both absolute, normalized). */
bool gfs_path_is_within(const char *path, const char *dir);

/*
 * Opens path below dirfd with openat2, O_CLOEXEC added: never outside
 * dirfd (RESOLVE_BENEATH), never through a /proc magic link, and unless
 * follow_symlinks through no symlink at all. "" opens dirfd itself.
 * Retries the kernel's EAGAIN (a rename raced the walk). fd or -errno;
 * EXDEV means the path leads outside dirfd.
 */
int gfs_open_beneath(int dirfd, const char *path, int flags,
		     bool follow_symlinks);

/* 64-bit hash of a byte string, for hash tables (xxh3). */
uint64_t gfs_hash(const void *data, size_t len);

/*
 * The daemon's malloc settings, once at start: allocations of
 * GFS_MMAP_THRESHOLD bytes or more are mapped on their own and unmapped
 * when freed, whatever was freed before (glibc otherwise raises that
 * threshold to the largest block freed, so a 16 MiB file read once keeps
 * its size of free heap behind it for good). Free heap at the top of an
 * arena is given back past twice that, as glibc's own rule would have it
 * at this threshold: at its default of 128 KiB every worker's arena gave
 * back and faulted in again the blocks of each file it read (8,700
 * madvise calls and 68,000 more page faults for one git commit).
 */
#define GFS_MMAP_THRESHOLD ((1 << 20) + 4096)
#define GFS_TRIM_THRESHOLD (2 * GFS_MMAP_THRESHOLD)
void gfs_memory_setup(void);

/* Gives the free pages of every malloc arena back to the system. */
void gfs_trim_memory(void);

#endif
