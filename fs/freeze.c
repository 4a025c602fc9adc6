/*
 * The mount's side of the breaker (breaker.c): what a mutation counts,
 * how many entries the folder holds, telling the user of a freeze (audit
 * trail, system log, desktop), and the control verbs `guardfs freeze`,
 * `unfreeze` and `status` use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/control.h"
#include "guardfs/desktop.h"
#include "guardfs/util.h"

const char gfs_rule_frozen[] = "frozen";

/* Directories deeper than this are not walked when counting entries. */
#define WALK_MAX_DEPTH 128

/*
 * Whether path counts for the breaker: regenerable trees ([snapshot]
 * exclude, node_modules/ and the like) are deleted and rebuilt by normal
 * tools (`git clean -fdx`, `rm -rf node_modules`) and hold nothing the
 * user wrote, so neither their entries nor their deletes count.
 */
static bool counted(struct gfs_fs *fs, const char *path, bool is_dir)
{
	return !fs->exclude || !*path ||
	       gfs_ignore_match_tree(fs->exclude, path, is_dir, NULL) !=
		       GFS_IGNORE_MATCH;
}

/* Counts the entries below dir (at path) that count; stops on stop. */
static int64_t walk(struct gfs_fs *fs, int dir_fd, struct gfs_buf *path,
		    int depth)
{
	struct dirent *d;
	int64_t n = 0;
	DIR *listing;

	listing = fdopendir(dir_fd);
	if (!listing) {
		close(dir_fd);
		return 0;
	}
	while ((d = readdir(listing)) && !atomic_load(&fs->freeze_stop)) {
		size_t len = path->len;
		bool is_dir = d->d_type == DT_DIR;
		int fd;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (len)
			gfs_buf_addch(path, '/');
		gfs_buf_adds(path, d->d_name);
		if (counted(fs, path->data, is_dir) &&
		    !gfs_policy_hides_tree(fs->guards.policy, path->data,
					   is_dir, NULL)) {
			n++;
			fd = is_dir && depth < WALK_MAX_DEPTH
				     ? openat(dirfd(listing), d->d_name,
					      O_RDONLY | O_DIRECTORY |
						      O_NOFOLLOW | O_CLOEXEC)
				     : -1;
			if (fd >= 0)
				n += walk(fs, fd, path, depth + 1);
		}
		path->len = len;
		if (path->data)
			path->data[len] = '\0';
	}
	closedir(listing);
	return n;
}

/*
 * Counts the folder's entries once, off the request path, for
 * delete_fraction; the creates and deletes counted meanwhile keep the
 * number current. Until it is done the rule does not judge.
 */
static void *count_main(void *arg)
{
	struct gfs_fs *fs = arg;
	struct gfs_buf path = GFS_BUF_INIT;
	int fd = openat(fs->root.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t n;

	pthread_setname_np(pthread_self(), "gfs-breaker");
	if (fd < 0)
		return NULL;
	gfs_buf_adds(&path, "");
	n = walk(fs, fd, &path, 0);
	if (!atomic_load(&fs->freeze_stop))
		gfs_breaker_set_entries(fs->breaker, n);
	gfs_buf_release(&path);
	return NULL;
}

int gfs_freeze_start(struct gfs_fs *fs)
{
	const struct gfs_config *cfg = fs->cfg;
	struct gfs_breaker_limits limits = {
		.deletes_per_minute = cfg->deletes_per_minute,
		.renames_per_minute = cfg->renames_per_minute,
		.bytes_written_per_minute = cfg->bytes_written_per_minute,
		.delete_percent = cfg->delete_percent,
		.ask_first = cfg->limits_ask,
	};
	int rc;

	atomic_init(&fs->freeze_stop, false);
	rc = gfs_frozen_files_init(fs);
	if (!rc)
		rc = gfs_breaker_new(&fs->breaker, &limits);
	if (!rc)
		rc = gfs_kernel_writes_start(fs);
	if (rc || !limits.delete_percent)
		return rc;
	rc = pthread_create(&fs->freeze_counter, NULL, count_main, fs);
	if (rc)
		return -rc;
	fs->freeze_counting = true;
	return 0;
}

void gfs_freeze_stop(struct gfs_fs *fs)
{
	atomic_store(&fs->freeze_stop, true);
	if (fs->freeze_counting)
		pthread_join(fs->freeze_counter, NULL);
	fs->freeze_counting = false;
	gfs_kernel_writes_stop(fs);
	gfs_frozen_files_release(fs);
	gfs_breaker_free(fs->breaker);
	fs->breaker = NULL;
}

/* "deletes=301/300 renames=0/1000 ..." for the audit trail and the log. */
static void describe(const struct gfs_breaker_state *st, struct gfs_buf *out)
{
	gfs_buf_addf(out, "deletes=%lld/%u renames=%lld/%u bytes=%lld/%llu",
		     (long long)st->deletes, st->limits.deletes_per_minute,
		     (long long)st->renames, st->limits.renames_per_minute,
		     (long long)st->bytes,
		     (unsigned long long)st->limits.bytes_written_per_minute);
	gfs_buf_addf(out, " entries=%lld delete_fraction=%u%%",
		     (long long)st->entries, st->limits.delete_percent);
}

/*
 * Tells of a freeze (or a thaw): one audit line naming the rule and the
 * counters, the system log, and for a freeze the desktop. `guardfs run`
 * and `exec` poll the state and tell their terminal (cli/cmd_freeze.c).
 */
static void tell(struct gfs_fs *fs, pid_t pid, uid_t uid, const char *path,
		 bool frozen)
{
	struct gfs_breaker_state st;
	struct gfs_buf detail = GFS_BUF_INIT, body = GFS_BUF_INIT;
	size_t stopped = 0, unstopped = 0;
	struct gfs_op op;

	if (frozen) {
		gfs_frozen_files_sync(fs);
		gfs_frozen_files_count(fs, &stopped, &unstopped);
	}
	gfs_breaker_state(fs->breaker, &st);
	describe(&st, &detail);
	if (stopped || unstopped)
		gfs_buf_addf(&detail, " open_writers_stopped=%zu", stopped);
	if (unstopped)
		gfs_buf_addf(&detail, " open_writers_not_stopped=%zu",
			     unstopped);
	gfs_op_init_as(&op, pid, uid, frozen ? GFS_OP_FREEZE : GFS_OP_UNFREEZE);
	op.path = path ? path : "";
	/* a trip is a refusal of what follows: audited at every level */
	op.rule = frozen ? st.rule : NULL;
	op.detail = detail.data;
	gfs_op_end(fs, &op, frozen ? -EROFS : 0);
	if (frozen)
		gfs_buf_addf(&body,
			     "%s froze: %s tripped (%s). Changes fail with "
			     "EROFS until `guardfs unfreeze %s`.",
			     fs->mountpoint, st.rule, detail.data,
			     fs->mountpoint);
	if (frozen && stopped)
		gfs_buf_addf(&body,
			     " %zu file(s) open for writing since before are "
			     "immutable until then (EPERM).",
			     stopped);
	if (frozen && unstopped)
		gfs_buf_addf(&body,
			     " %zu file(s) open for writing since before go "
			     "on taking writes: this filesystem does not stop "
			     "them (see SECURITY.md).",
			     unstopped);
	if (!frozen)
		gfs_buf_addf(&body, "%s unfrozen (%s)", fs->mountpoint,
			     detail.data);
	openlog("guardfs", LOG_PID, LOG_USER);
	syslog(frozen ? LOG_WARNING : LOG_NOTICE, "%s", body.data);
	closelog();
	if (frozen)
		gfs_desktop_notify("guardfs: mount frozen", body.data);
	gfs_buf_release(&detail);
	gfs_buf_release(&body);
}

/* What an operation is to the breaker. */
static enum gfs_breaker_kind kind_of(enum gfs_op_kind kind)
{
	switch (kind) {
	case GFS_OP_UNLINK:
	case GFS_OP_RMDIR:
		return GFS_BREAKER_DELETE;
	case GFS_OP_RENAME:
	case GFS_OP_EXCHANGE:
		return GFS_BREAKER_RENAME;
	case GFS_OP_CREATE:
	case GFS_OP_MKNOD:
	case GFS_OP_MKDIR:
	case GFS_OP_SYMLINK:
	case GFS_OP_LINK:
		return GFS_BREAKER_CREATE;
	case GFS_OP_OPEN:
	case GFS_OP_WRITE:
	case GFS_OP_FALLOCATE:
	case GFS_OP_TRUNCATE:
		return GFS_BREAKER_WRITE;
	default:
		return GFS_BREAKER_OTHER;
	}
}

/*
 * Whether unlinking path leaves the file other names: that destroys no
 * bytes (git writes every object under a temporary name, links it and
 * unlinks the temporary one), so it is no delete to the breaker.
 */
static bool other_names(struct gfs_fs *fs, const char *path)
{
	struct stat st;

	return fstatat(fs->root.fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode) && st.st_nlink > 1;
}

/*
 * [limits] ask: the operation that would trip rule waits for the user
 * (guardfs watch, guardfs ask). Allowed once, it goes ahead and the next
 * one asks again; allowed always, the minute starts afresh; denied or
 * unanswered, the mount freezes as it would have.
 */
static int ask_first(struct gfs_fs *fs, struct gfs_op *op, const char *rule)
{
	struct gfs_breaker_state st;
	char why[160];
	int rc;

	gfs_breaker_state(fs->breaker, &st);
	snprintf(why, sizeof(why), "would trip %s (deletes=%lld renames=%lld)",
		 rule, (long long)st.deletes, (long long)st.renames);
	rc = gfs_op_ask_wait(fs, op, why);
	if (rc == 1)
		gfs_breaker_restart(fs->breaker);
	if (rc >= 0)
		return 0;
	if (gfs_breaker_freeze(fs->breaker, rule))
		tell(fs, op->pid, op->uid, op->path, true);
	return -EROFS;
}

int gfs_freeze_begin(struct gfs_fs *fs, struct gfs_op *op)
{
	enum gfs_breaker_kind kind = kind_of(op->kind);
	const char *tripped;

	if (!fs->breaker || op->quiet)
		return 0;
	if (gfs_breaker_admit(fs->breaker, kind)) {
		op->rule = gfs_rule_frozen;
		return -EROFS;
	}
	if (kind != GFS_BREAKER_DELETE && kind != GFS_BREAKER_RENAME)
		return 0;
	/*
	 * Not counted: the user's own restore (gfs_guard_group), and what
	 * comes from a regenerable tree; a rename counts by where it comes
	 * from (npm moving a package within node_modules/ is not the user's
	 * work moving, src/ moving into node_modules/ is).
	 */
	if (gfs_guard_in_group(fs, op->pid) ||
	    !counted(fs, op->path, op->kind == GFS_OP_RMDIR) ||
	    (op->kind == GFS_OP_UNLINK && other_names(fs, op->path)))
		return 0;
	/*
	 * Counted before it happens: the operation that crosses a limit is
	 * the first one refused, so "1000 a minute" lets 1000 through.
	 */
	tripped = gfs_breaker_count(fs->breaker, kind, 0);
	if (!tripped)
		return 0;
	if (fs->cfg->limits_ask)
		return ask_first(fs, op, tripped);
	op->rule = tripped;
	tell(fs, op->pid, op->uid, op->path, true);
	return -EROFS;
}

void gfs_freeze_end(struct gfs_fs *fs, const struct gfs_op *op, int result)
{
	const char *path = op->kind == GFS_OP_LINK ? op->path2 : op->path;

	if (!fs->breaker || result || !op->done ||
	    kind_of(op->kind) != GFS_BREAKER_CREATE)
		return;
	if (path && counted(fs, path, op->kind == GFS_OP_MKDIR))
		gfs_breaker_count(fs->breaker, GFS_BREAKER_CREATE, 0);
}

int gfs_freeze_write_admit(struct gfs_fs *fs)
{
	return gfs_breaker_admit(fs->breaker, GFS_BREAKER_WRITE);
}

void gfs_freeze_wrote(struct gfs_fs *fs, pid_t pid, uid_t uid, const char *path,
		      uint64_t bytes)
{
	const char *rule;

	/*
	 * (no path check: a per-write match would cost the hot path; and
	 * no ask: the bytes are written, and a write cannot wait for the
	 * user, so with [limits] ask the mount freezes here as it would)
	 */
	if (!fs->breaker)
		return;
	rule = gfs_breaker_count(fs->breaker, GFS_BREAKER_WRITE, bytes);
	if (rule && fs->cfg->limits_ask &&
	    !gfs_breaker_freeze(fs->breaker, rule))
		return;
	if (rule)
		tell(fs, pid, uid, path, true);
}

/* The uid process pid runs as (effective), or -1. */
static long uid_of(pid_t pid)
{
	char path[64], line[256];
	long real = -1, effective = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %ld %ld", &real, &effective) == 2)
			break;
	}
	fclose(f);
	return effective;
}

int gfs_freeze_control(struct gfs_fs *fs, const char *key, bool freeze,
		       pid_t peer, struct gfs_buf *out)
{
	const char *verb = freeze ? "freeze" : "unfreeze";
	const char *why;
	long uid;
	bool changed;

	/*
	 * The kill switch works both ways, so an agent must not reach it:
	 * the key lives in the user's runtime directory, which no sandbox
	 * shows; the peer must be this very program, unaltered; and the
	 * control socket already serves the daemon's uid (and root) only.
	 */
	if (!gfs_control_key_matches(atomic_load(&fs->control), key,
				     strlen(key)))
		return gfs_buf_addf(out, "%s\trefused: bad key\n", verb);
	uid = uid_of(peer);
	if (uid < 0 || (uid != (long)geteuid() && uid != 0))
		return gfs_buf_addf(out, "%s\trefused: another user\n", verb);
	if (gfs_peer_check(peer, &why))
		return gfs_buf_addf(out, "%s\trefused: %s\n", verb, why);
	changed = freeze ? gfs_breaker_freeze(fs->breaker, "manual")
			 : gfs_frozen_files_thaw(fs);
	if (changed)
		tell(fs, peer, (uid_t)uid, NULL, freeze);
	return gfs_buf_addf(
		out, "%s\t%s\n", verb,
		changed ? "ok" : (freeze ? "already frozen" : "not frozen"));
}

int gfs_freeze_status(struct gfs_fs *fs, struct gfs_buf *out)
{
	struct gfs_breaker_state st;

	gfs_breaker_state(fs->breaker, &st);
	gfs_buf_addf(out, "frozen\t%s\n", st.frozen ? "yes" : "no");
	if (st.frozen) {
		size_t stopped, unstopped;

		gfs_frozen_files_count(fs, &stopped, &unstopped);
		gfs_buf_addf(out, "frozen_rule\t%s\n", st.rule);
		gfs_buf_addf(out, "frozen_since\t%lld\n", (long long)st.since);
		gfs_buf_addf(out,
			     "frozen_writers\tstopped=%zu not_stopped=%zu\n",
			     stopped, unstopped);
	}
	gfs_buf_addf(out, "frozen_refused\t%llu\n",
		     (unsigned long long)st.refused);
	gfs_buf_adds(out, "breaker\t");
	describe(&st, out);
	return gfs_buf_addch(out, '\n');
}
