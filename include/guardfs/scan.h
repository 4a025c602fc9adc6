#ifndef GUARDFS_SCAN_H
#define GUARDFS_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * The content scanner: does a buffer hold a credential?
 *
 * Rules come from conf/secrets.rules (compiled in) and from files the
 * user names; a scanner is read-only once built, so every FUSE thread may
 * scan with it at once. A finding names the rule and the 1-based line,
 * never the secret itself.
 */
struct gfs_scanner;

struct gfs_scan_finding {
	char rule_id[64]; /* the rule's id, e.g. "aws-access-key-id" */
	unsigned line;	  /* 1-based line of the match */
};

/* The shipped rules, as in conf/secrets.rules. */
extern const char gfs_builtin_secret_rules[];
extern const unsigned long gfs_builtin_secret_rules_len;

/*
 * Creates a scanner with the shipped rules. On a malformed shipped rule
 * (a build defect) returns -EINVAL.
 */
int gfs_scanner_new(struct gfs_scanner **out);

/* Frees the scanner. NULL is allowed. */
void gfs_scanner_free(struct gfs_scanner *s);

/*
 * Adds rules in the conf/secrets.rules format from text; origin_name
 * names the source in errors. On a bad rule returns -EINVAL, sets
 * *bad_line and writes a message (lowercase, no period, "origin:line: ")
 * into err; rules before the bad one stay added. Not while any thread
 * scans with s.
 */
int gfs_scanner_add_rules(struct gfs_scanner *s, const char *text, size_t len,
			  const char *origin_name, unsigned *bad_line,
			  char *err, size_t err_size);

/*
 * Never reports a match whose matched secret value matches this regex
 * (PCRE2 syntax). Returns 0 or -EINVAL with a message in err. Not while
 * any thread scans with s.
 */
int gfs_scanner_allow_value(struct gfs_scanner *s, const char *regex, char *err,
			    size_t err_size);

/* The number of rules the scanner holds (shipped and added). */
size_t gfs_scanner_rule_count(const struct gfs_scanner *s);

/*
 * Scans len bytes with every rule: binary content by its printable runs,
 * UTF-16 text, gzip data and vim swap files decoded as well (see
 * policy/scan_stream.c for the bounds). Returns 1 and fills *finding when
 * a credential is found, 0 when the content is clean, or -ENOMEM.
 */
int gfs_scanner_scan(const struct gfs_scanner *s, const void *data, size_t len,
		     struct gfs_scan_finding *finding);

/*
 * A thread-safe cache of verdicts keyed by (dev, ino, size, mtime, ctime):
 * a file whose key is unchanged is not rescanned; any change to it
 * changes mtime or ctime, so a stale verdict is never served.
 *
 * It also remembers, by (dev, ino) and for as long as it lives, every
 * file found holding a credential (the taint): such a file stays refused
 * whatever is done to its bytes until it is emptied, so that overwriting
 * or cutting off part of a credential does not make the rest readable.
 */
struct gfs_verdict_cache;

struct gfs_verdict {
	bool secret;
	bool partial; /* only the file's first max_size bytes were scanned */
	bool tainted; /* refused for what an earlier scan of it found */
	struct gfs_scan_finding finding; /* valid when secret */
};

int gfs_verdict_cache_new(struct gfs_verdict_cache **out, size_t max_entries);
void gfs_verdict_cache_free(struct gfs_verdict_cache *c);

/* Returns true and fills *v when st's key has a cached verdict. */
bool gfs_verdict_cache_get(struct gfs_verdict_cache *c, const struct stat *st,
			   struct gfs_verdict *v);

/*
 * Whether a and b are the same key: the same file (dev, ino) with the
 * same size, mtime and ctime, so bytes judged at a are the bytes at b.
 */
bool gfs_verdict_same_key(const struct stat *a, const struct stat *b);

/* Records the verdict for st's key. */
void gfs_verdict_cache_put(struct gfs_verdict_cache *c, const struct stat *st,
			   const struct gfs_verdict *v);

/* True, with *f filled (if not NULL), while (dev, ino) is tainted. */
bool gfs_verdict_tainted(struct gfs_verdict_cache *c, const struct stat *st,
			 struct gfs_scan_finding *f);

/*
 * Forgets the taint of (dev, ino): for a file just emptied or created.
 * c may be NULL.
 */
void gfs_verdict_untaint(struct gfs_verdict_cache *c, const struct stat *st);

/*
 * Scans the regular file open at fd through the cache c (NULL: no cache,
 * no taint). Its data is read in one streaming pass that skips holes; at
 * most max_size bytes of data are scanned, from the start. A tainted
 * file is refused even when its bytes now look clean; an empty one loses
 * its taint. Anything but a regular file counts as clean. Returns 1 with
 * *v filled when it holds a secret, 0 when clean, or -errno when it could
 * not be read. A verdict is cached only when the file did not change
 * while it was read.
 */
int gfs_scan_fd(const struct gfs_scanner *s, struct gfs_verdict_cache *c,
		int fd, uint64_t max_size, struct gfs_verdict *v);
/*
 * The same, for a caller that has just taken fd's stat (judged): the
 * verdict is filed under that key, and the caller knows what was judged.
 */
int gfs_scan_fd_as(const struct gfs_scanner *s, struct gfs_verdict_cache *c,
		   int fd, const struct stat *judged, uint64_t max_size,
		   struct gfs_verdict *v);

#endif
