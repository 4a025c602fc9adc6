#ifndef GUARDFS_OP_H
#define GUARDFS_OP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One operation through the guard, as one record.
 *
 * A FUSE handler fills a struct gfs_op and hands it to the guard before
 * it changes anything (gfs_op_begin: the store's copy-before-write, and
 * whatever may still refuse it) and once it is over (gfs_op_end: the
 * store's commit, the audit trail, whoever watches). Each reader takes
 * what it needs from the record instead of its own list of arguments,
 * and an operation has one kind with one name everywhere: in the audit
 * trail, in the store's commits (Guardfs-Op) and on the live view.
 */
enum gfs_op_kind {
	GFS_OP_LOOKUP,	 /* only recorded when refused */
	GFS_OP_OPEN,	 /* detail says "read" or "write" */
	GFS_OP_READLINK, /* only recorded when refused */
	GFS_OP_CREATE,	 /* a regular file (create, or mknod S_IFREG) */
	GFS_OP_MKNOD,	 /* a fifo or socket */
	GFS_OP_MKDIR,
	GFS_OP_SYMLINK,	 /* path2: the link's text */
	GFS_OP_LINK,	 /* a hard link: path -> path2 */
	GFS_OP_WRITE,	 /* a write session ended (release) */
	GFS_OP_TRUNCATE, /* setattr of the size */
	GFS_OP_CHMOD,	 /* setattr of the mode */
	GFS_OP_SETATTR,	 /* setattr of the owner or times only */
	GFS_OP_FALLOCATE,
	GFS_OP_UNLINK,
	GFS_OP_RMDIR,
	GFS_OP_RENAME,	 /* path -> path2 */
	GFS_OP_EXCHANGE, /* RENAME_EXCHANGE of path and path2 */
	GFS_OP_SETXATTR,
	GFS_OP_REMOVEXATTR,
	GFS_OP_RESTORE,	 /* what a restore wrote, as the store lists it */
	GFS_OP_FREEZE,	 /* the breaker froze the mount (rule, counters) */
	GFS_OP_UNFREEZE, /* `guardfs unfreeze` thawed it */
	GFS_OP_READ,	 /* a file changed since its open: refused, or alert */
	GFS_OP_KINDS
};

/* The lowercase name of kind ("write", "unlink", ...), or "unknown". */
const char *gfs_op_name(enum gfs_op_kind kind);

/* Whether kind changes names, bytes or metadata. */
bool gfs_op_changes(enum gfs_op_kind kind);

/* Whether the store records kind (xattrs and owner/times are not). */
bool gfs_op_stored(enum gfs_op_kind kind);

struct gfs_action;

struct gfs_op {
	enum gfs_op_kind kind;
	/*
	 * Relative to the root ("" is the root). path is the name the
	 * caller used: the source of a rename or link, the name a written
	 * file was opened by. path2 is the target of a rename or link, or
	 * a symlink's text.
	 */
	const char *path;
	const char *path2;
	/*
	 * A write session: the file's name now, which the store records
	 * (it finds the file's other names through ino). NULL: path.
	 */
	const char *current;
	uint64_t ino;
	bool sole_name; /* path was the file's one name at the end */
	pid_t pid;
	uid_t uid;
	/* copy-before-write of path and (rename over) path2: GFS_STORE_* */
	unsigned store_flags;
	unsigned store_flags2;
	bool before2; /* path2 exists and goes away too */
	/*
	 * Set by the handler once the change is on disk, even if the reply
	 * then fails: the store records what happened, not what was
	 * answered (P5).
	 */
	bool done;
	bool quiet;	/* not audited (the kernel's own flushes) */
	bool restoring; /* made by a restore (set by begin) */
	/* an open the kernel sent holding its file's lock (O_TRUNC with the
	 * writeback cache): it must not wait for anything (fs/hold.c) */
	bool locks_file;
	bool held;	  /* it waited for a hold to end (set by begin) */
	const char *rule; /* the deciding rule of a refusal, or NULL */
	/* not refused, but the user must hear of it: at every audit level */
	bool alert;
	const char *detail; /* extra text ("write", "size=12"), or NULL */
	int result;	    /* 0 or -errno (set by end) */
	uint64_t seq;	    /* the store's sequence number, 0 if none */
	/* what it ran under: a reference held until end, and its label */
	struct gfs_action *action;
	const char *action_label;
	bool action_known;  /* action was looked up (it may be NULL) */
	uint64_t action_id; /* its number once the store lists op, else 0 */
	/* the FUSE request it answers (fuse_req_t), NULL for a release */
	void *req;
};

#endif
