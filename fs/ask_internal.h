#ifndef GUARDFS_FS_ASK_INTERNAL_H
#define GUARDFS_FS_ASK_INTERNAL_H

/* Shared by fs/ask.c and fs/ask_rules.c only. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardfs/ask.h"
#include "guardfs/ignore.h"

/*
 * Which paths are asked about: the [ask] patterns, then the remembered
 * answers. An "allow always" is a '!' rule after the patterns, a "deny
 * always" a rule of its own list, checked first. Lock: lock is held for
 * reading by every match, for writing while an answer is added.
 */
struct gfs_ask_rules {
	pthread_rwlock_t lock;
	struct gfs_ignore *asked; /* NULL: nothing is asked about */
	struct gfs_ignore *never; /* NULL: nothing denied always */
	unsigned flags;		  /* GFS_IGNORE_CASEFOLD */
	char *path;		  /* the answers file */
	unsigned lines;		  /* its lines so far, to name new ones */
};

int gfs_ask_rules_init(struct gfs_ask_rules *r, const struct gfs_ask_opts *o,
		       char *err, size_t err_size);
void gfs_ask_rules_release(struct gfs_ask_rules *r);

/*
 * 0: path is not asked about; 1: it is; -EACCES: denied always, *rule
 * naming the answers file's line (borrowed, valid until release).
 */
int gfs_ask_rules_match(struct gfs_ask_rules *r, const char *path, bool is_dir,
			const char **rule);

/*
 * Remembers an "always" (allow) or "never" answer for path and below:
 * appended to the answers file, and in force at once. 0 or -errno.
 */
int gfs_ask_rules_remember(struct gfs_ask_rules *r, const char *path,
			   bool allow);

/*
 * The desktop prompt of the asks (ask_desk.c): a thread of its own,
 * started at the first ask, shows each pending ask with notify-send and
 * answers it with gfs_ask_answer when the user picks an action.
 */
struct gfs_ask_desk;

/* where names the folder in the prompt. 0 or -errno. */
int gfs_ask_desk_new(struct gfs_ask_desk **out, struct gfs_ask *a,
		     unsigned timeout_s, const char *where);

/*
 * Takes every prompt away, reaps its notify-send and stops the thread.
 * Call it without the asker's lock. NULL is fine.
 */
void gfs_ask_desk_free(struct gfs_ask_desk *d);

/* Shows ask id, once a desktop is there. Never waits. NULL is fine. */
void gfs_ask_desk_show(struct gfs_ask_desk *d, uint64_t id, const char *op,
		       pid_t pid, const char *path, const char *detail);

/* Takes ask id's prompt away: the ask is over. Never waits. */
void gfs_ask_desk_withdraw(struct gfs_ask_desk *d, uint64_t id);

#endif
