/*
 * Creating entries as the caller: its umask, and (when the daemon runs as
 * root) its fsuid, fsgid and supplementary groups.
 *
 * The daemon asks the kernel for FUSE_CAP_DONT_MASK at INIT, so the mode
 * of a mknod, mkdir or create arrives unmasked with the caller's umask
 * beside it. The real filesystem then decides as it would for the caller
 * itself: the umask, or a default POSIX ACL of the directory, which
 * replaces the umask. For that the umask must be the caller's while the
 * entry is made, and the umask is per process: each request thread takes
 * its own (unshare(CLONE_FS), as virtiofsd does) and sets it around the
 * call.
 *
 * A root daemon also takes the caller's file-system identity around the
 * call, so the new entry is the caller's (and a setgid directory's gid
 * and bit pass on as the kernel decides), and the real filesystem checks
 * the caller's rights a second time, with its own groups. The kernel
 * keeps credentials per thread; the raw system calls change only the
 * calling thread (glibc's setgroups would change every thread), so a
 * /dev/fuse thread or an io_uring worker serving another request at the
 * same time is not affected. A daemon run by an ordinary user creates as
 * that user anyway.
 */

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fs_internal.h"

#define MAX_GROUPS 256

/* The daemon's umask, read at setup, before any request thread runs. */
static mode_t daemon_umask;
/* Per thread: its own umask, and the caller's groups it last read. */
static __thread bool own_umask;
static __thread bool unshare_failed;
static __thread pid_t groups_pid;
static __thread uid_t groups_uid;
static __thread gid_t groups_gid;
static __thread time_t groups_at;
static __thread int ngroups;
static __thread gid_t groups[MAX_GROUPS];
/* The supplementary groups the thread holds now (see gfs_caller_end). */
static __thread bool held_valid;
static __thread int held_ngroups;
static __thread gid_t held[MAX_GROUPS];

/*
 * Reading a caller's groups costs a read of /proc; a process's groups
 * hardly ever change, so a thread keeps the last caller's for a second
 * (a tar extracting 8,000 files reads them a few times, not 8,000).
 */
static int caller_groups(fuse_req_t req, const struct fuse_ctx *ctx)
{
	struct timespec now;
	int n;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (groups_pid == ctx->pid && groups_uid == ctx->uid &&
	    groups_gid == ctx->gid && now.tv_sec - groups_at < 1)
		return 0;
	/*
	 * A caller whose groups cannot be read (gone already, or in a pid
	 * namespace the daemon cannot see) creates with its primary group
	 * alone; one with more than MAX_GROUPS with the first of them.
	 */
	n = fuse_req_getgroups(req, MAX_GROUPS, groups);
	if (n < 0) {
		ngroups = 0;
		groups_pid = 0;
		return 0;
	}
	ngroups = n > MAX_GROUPS ? MAX_GROUPS : n;
	groups_pid = ctx->pid;
	groups_uid = ctx->uid;
	groups_gid = ctx->gid;
	groups_at = now.tv_sec;
	return 0;
}

int gfs_caller_begin(struct gfs_fs *fs, fuse_req_t req,
		     struct gfs_caller *saved)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	int rc;

	saved->umask_set = false;
	saved->ids_set = false;
	if (!own_umask && !unshare_failed) {
		if (unshare(CLONE_FS) == 0)
			own_umask = true;
		else
			unshare_failed = true;
	}
	/*
	 * Without its own umask the thread keeps the daemon's: safe. A
	 * caller whose umask is the daemon's (022 for most) needs neither
	 * call; a thread's umask is the daemon's between requests.
	 */
	if (own_umask && (mode_t)(ctx->umask & 0777) != daemon_umask) {
		saved->umask = umask(ctx->umask & 0777);
		saved->umask_set = true;
	}
	if (!fs->create_as_caller || (ctx->uid == 0 && ctx->gid == 0))
		return 0;
	rc = caller_groups(req, ctx);
	if (rc)
		goto fail;
	if (!held_valid || held_ngroups != ngroups ||
	    memcmp(held, groups, (size_t)ngroups * sizeof(gid_t))) {
		held_valid = false;
		if (syscall(SYS_setgroups, (size_t)ngroups, groups)) {
			rc = -errno;
			goto fail;
		}
		memcpy(held, groups, (size_t)ngroups * sizeof(gid_t));
		held_ngroups = ngroups;
		held_valid = true;
	}
	/* Each returns the previous value, to go back to at the end. */
	saved->fsgid = (gid_t)syscall(SYS_setfsgid, ctx->gid);
	saved->fsuid = (uid_t)syscall(SYS_setfsuid, ctx->uid);
	saved->ids_set = true;
	return 0;
fail:
	gfs_caller_end(fs, saved);
	return rc;
}

/*
 * Each change of credentials costs about 5 us here (commit_creds), so the
 * thread keeps the last caller's supplementary groups: back at fsuid 0
 * with its file capabilities, the daemon's access does not depend on
 * them (nor does the group of a file it creates, which is its fsgid), and
 * a burst of creates by one process changes them once per thread.
 */
void gfs_caller_end(struct gfs_fs *fs, struct gfs_caller *saved)
{
	(void)fs;
	if (saved->ids_set) {
		/* Back to root's fsuid restores its file capabilities. */
		syscall(SYS_setfsuid, saved->fsuid);
		syscall(SYS_setfsgid, saved->fsgid);
		saved->ids_set = false;
	}
	if (saved->umask_set) {
		umask(saved->umask);
		saved->umask_set = false;
	}
}

void gfs_caller_setup(struct gfs_fs *fs)
{
	fs->create_as_caller = geteuid() == 0;
	/* umask() is the only way to read it: set it back at once */
	daemon_umask = umask(022);
	umask(daemon_umask);
}
