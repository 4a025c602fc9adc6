/* The life of one mount: set up, mount, serve, tear down. */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/control.h"
#include "guardfs/fs.h"
#include "guardfs/util.h"

/*
 * Entries and attributes change only through this mount (it sits over
 * the folder itself), so the kernel may keep them for long.
 */
#define GFS_CACHE_TIMEOUT 86400.0

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_WRITEBACK_CACHE)
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	/*
	 * Locks stay with the kernel: no other path reaches the folder while
	 * it is mounted in place, so local POSIX and flock locks are exact.
	 */
	conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	/*
	 * The caller's umask comes with each create, and the real folder
	 * applies it, or a directory's default ACL instead (caller.c).
	 */
	if (conn->capable & FUSE_CAP_DONT_MASK)
		conn->want |= FUSE_CAP_DONT_MASK;
	conn->max_write = GFS_MAX_WRITE;
	conn->max_readahead = GFS_MAX_WRITE;
}

static int open_store(struct gfs_fs *fs, const struct gfs_fs_opts *opts,
		      char *err, size_t err_size)
{
	const struct gfs_config *cfg = fs->cfg;
	struct gfs_store_opts sopts = {
		.store_path = cfg->store,
		.root_fd = fs->root.fd,
		.root_path = cfg->root,
		.max_file_size = cfg->max_file_size,
		.fail_open = cfg->on_failure == GFS_ON_FAILURE_ALLOW,
		.progress = opts->progress,
		.progress_arg = opts->ready_arg,
	};
	int rc;

	if (!cfg->snapshot_enabled)
		return 0;
	/* The defaults come first, so a user's "!node_modules/" wins. */
	rc = gfs_guards_list(&fs->exclude,
			     cfg->snapshot_exclude_defaults
				     ? gfs_store_default_excludes
				     : NULL,
			     &cfg->snapshot_exclude, 0, err, err_size);
	if (rc)
		return rc;
	sopts.exclude = fs->exclude;
	sopts.hidden = fs->guards.policy;
	return gfs_store_open(&fs->store, &sopts, err, err_size);
}

static int open_ask(struct gfs_fs *fs, char *err, size_t err_size)
{
	const struct gfs_config *cfg = fs->cfg;
	struct gfs_ask_opts opts = {
		.patterns = &cfg->ask_patterns,
		.casefold = !cfg->case_sensitive,
		.timeout_s = cfg->ask_timeout,
		.answers_path = cfg->ask_answers,
		.watch = fs->watch,
		.desktop = cfg->ask_desktop,
		.mountpoint = fs->mountpoint,
	};

	return gfs_ask_new(&fs->ask, &opts, err, err_size);
}

/*
 * "config": the config this mount loaded, as it was read at mount time.
 * While mounted the file is hidden under the mount, so log, diff,
 * restore, undo and explain take it from here. The text goes hex-encoded
 * on one line of the reply; only a peer of the daemon's uid gets this
 * far (see control.c).
 */
static int config_reply(const struct gfs_config *cfg, struct gfs_buf *out)
{
	int rc = gfs_buf_addf(out, "path\t%s\ntext\t",
			      cfg->path ? cfg->path : "");

	if (!rc)
		rc = gfs_buf_add_hex(out, cfg->text.data, cfg->text.len);
	return rc ? rc : gfs_buf_addch(out, '\n');
}

/* Answers `guardfs status` and friends over the control socket. */
static int control_reply(void *arg, const char *command, pid_t peer,
			 struct gfs_buf *out)
{
	struct gfs_fs *fs = arg;
	const struct gfs_config *cfg = fs->cfg;
	struct timespec now;

	/*
	 * "explain PATH" answers from inside, where the real folder is still
	 * reachable. It tells rule names and line numbers, never content.
	 */
	if (!strncmp(command, "explain ", 8))
		return gfs_guards_explain(&fs->guards, fs->root.fd, command + 8,
					  cfg->scan_max_size, out);
	/* "flush" lets log, diff and restore see every operation so far. */
	if (!strcmp(command, "flush")) {
		if (fs->store)
			gfs_store_flush(fs->store);
		return gfs_buf_adds(out, "flushed\t1\n");
	}
	if (!strcmp(command, "config"))
		return config_reply(cfg, out);
	/*
	 * "group-begin KEY LABEL" and "group-end" bracket a restore by the
	 * asking process: its operations become one "restore" commit.
	 */
	if (!strncmp(command, "group-begin ", 12)) {
		const char *key = command + 12;
		size_t key_len = strcspn(key, " ");

		return gfs_guard_group(fs, key, key_len,
				       key[key_len] ? key + key_len + 1 : "",
				       peer, out);
	}
	if (!strcmp(command, "group-end"))
		return gfs_guard_group(fs, NULL, 0, NULL, peer, out);
	/* "action-begin KEY NS LABEL", "action-end KEY NS": see action.c */
	if (!strncmp(command, "action-begin ", 13))
		return gfs_action_control(fs, command + 13, true, peer, out);
	if (!strncmp(command, "action-end ", 11))
		return gfs_action_control(fs, command + 11, false, peer, out);
	/* "hold-begin KEY", "hold-end": the agent's undo (hold.c) */
	if (!strncmp(command, "hold-begin ", 11))
		return gfs_hold_control(fs, command + 11, true, peer, out);
	if (!strcmp(command, "hold-end"))
		return gfs_hold_control(fs, NULL, false, peer, out);
	if (!strncmp(command, "watch ", 6))
		return gfs_live_watch(fs, command + 6, out);
	if (!strncmp(command, "ask-", 4))
		return gfs_live_ask(fs, command + 4, peer, out);
	/* "freeze KEY", "unfreeze KEY", "breaker": see freeze.c */
	if (!strncmp(command, "freeze ", 7))
		return gfs_freeze_control(fs, command + 7, true, peer, out);
	if (!strncmp(command, "unfreeze ", 9))
		return gfs_freeze_control(fs, command + 9, false, peer, out);
	if (!strcmp(command, "breaker"))
		return gfs_freeze_status(fs, out);
	if (strcmp(command, "status"))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now);
	gfs_buf_addf(out, "pid\t%ld\n", (long)getpid());
	gfs_buf_addf(out, "root\t%s\n", cfg->root);
	gfs_buf_addf(out, "mountpoint\t%s\n", fs->mountpoint);
	gfs_buf_addf(out, "config\t%s\n", cfg->path ? cfg->path : "");
	gfs_buf_addf(out, "name\t%s\n", cfg->name);
	gfs_buf_addf(out, "store\t%s\n",
		     cfg->snapshot_enabled ? cfg->store : "");
	gfs_buf_addf(out, "audit\t%s\n", cfg->audit_path);
	gfs_buf_addf(out, "io\t%s\n",
		     gfs_passthrough_active(fs) ? "passthrough" : "daemon");
	gfs_buf_addf(out, "requests\t%s\n",
		     gfs_uring_active(fs) ? "io_uring" : "/dev/fuse");
	gfs_buf_addf(out, "started\t%lld\n", (long long)fs->started.tv_sec);
	gfs_buf_addf(out, "uptime\t%lld\n",
		     (long long)(now.tv_sec - fs->started.tv_sec));
	gfs_buf_addf(out, "operations\t%llu\n",
		     (unsigned long long)atomic_load(&fs->ops));
	gfs_buf_addf(out, "refusals\t%llu\n",
		     (unsigned long long)atomic_load(&fs->refusals));
	if (fs->store) {
		/* what the store has yet to record: jobs, large files' bytes */
		uint64_t applied, queued;

		gfs_store_backlog(fs->store, &applied, &queued);
		gfs_buf_addf(out, "backlog\t%llu\n",
			     (unsigned long long)(queued - applied));
		gfs_buf_addf(
			out, "ingest_bytes\t%llu\n",
			(unsigned long long)gfs_store_ingest_left(fs->store));
	}
	if (fs->store) {
		/* what recording cost the requests (bench/README.md) */
		struct gfs_store_stats st;

		gfs_store_stats(fs->store, &st);
		gfs_buf_addf(out, "store_waits\t%llu\n",
			     (unsigned long long)st.waits);
		gfs_buf_addf(out, "store_captures\t%llu\n",
			     (unsigned long long)st.captures);
		gfs_buf_addf(out, "store_wait_ms\t%llu\n",
			     (unsigned long long)(st.wait_ns / 1000000));
		gfs_buf_addf(out, "store_linked_away\t%llu\n",
			     (unsigned long long)st.linked_away);
	}
	if (gfs_inode_status(fs, out))
		return -ENOMEM;
	gfs_buf_addf(out, "held_by\t%d\n", (int)gfs_hold_holder(fs));
	return gfs_freeze_status(fs, out);
}

/*
 * The O_PATH fds of the inodes the kernel holds are a bounded cache
 * (GFS_FD_CACHE_MAX, inode.c), but every file open through the mount
 * costs one more. Raise the soft limit to the hard one, and as root the
 * hard one to what the kernel allows. Returns the limit now in force.
 */
static rlim_t raise_fd_limit(void)
{
	struct rlimit lim;
	unsigned long nr_open = 0;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &lim))
		return RLIM_INFINITY;
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (geteuid() == 0 && nr_open > lim.rlim_max) {
		struct rlimit raised = {nr_open, nr_open};

		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			return raised.rlim_cur;
	}
	lim.rlim_cur = lim.rlim_max;
	setrlimit(RLIMIT_NOFILE, &lim);
	getrlimit(RLIMIT_NOFILE, &lim);
	return lim.rlim_cur;
}

/*
 * The O_PATH fds kept open at most, whatever the limit: a request for an
 * inode past them costs one openat and one fstat (by name from its
 * parent), and a tree of any size costs the daemon about this many
 * descriptors plus its open files.
 */
#define GFS_FD_CACHE_MAX 4096

/*
 * The inode table and the open files stop short of the descriptor limit
 * by a reserve for what must never run out: the store (libgit2 opens
 * files and packs), the audit trail, the control socket, libfuse's
 * threads, and each request's own short-lived descriptors (a listing, a
 * scan, a move's walk).
 */
static size_t fd_budget_for(rlim_t limit)
{
	rlim_t reserve = limit / 8;

	if (limit == RLIM_INFINITY)
		return 0;
	if (reserve < 256)
		reserve = 256;
	if (reserve > 4096)
		reserve = 4096;
	return limit > 2 * reserve ? (size_t)(limit - reserve)
				   : (size_t)(limit / 2);
}

/*
 * glibc loads libgcc_s at the first thread cancellation (libfuse cancels
 * its workers at the unmount); out of descriptors by then, the load fails
 * and glibc aborts the daemon. Load it while descriptors are plenty.
 */
static void preload_unwinder(void)
{
	if (!dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE))
		fprintf(stderr, "guardfs: cannot load libgcc_s.so.1: %s\n",
			dlerror());
}

static struct fuse_session *new_session(struct gfs_fs *fs, bool debug)
{
	struct fuse_lowlevel_ops ops;
	char options[256];
	char *argv[6];
	int argc = 0;
	struct fuse_args args;
	struct fuse_session *se;

	memset(&ops, 0, sizeof(ops));
	ops.init = op_init;
	gfs_ops_entry_fill(&ops);
	gfs_ops_file_fill(&ops);
	gfs_ops_dir_fill(&ops);
	/*
	 * Without xattr ops the kernel stops asking after the first ENOSYS;
	 * with them, the writeback cache asks for security.capability on
	 * every write, one more round trip each.
	 */
	if (fs->cfg->xattrs)
		gfs_ops_xattr_fill(&ops);
	gfs_scope_wrap(fs, &ops);
	/*
	 * default_permissions makes the kernel check modes against the
	 * caller, so the daemon never grants more than the folder does.
	 * As root, allow_other lets the user the agent runs as in.
	 */
	snprintf(options, sizeof(options),
		 "default_permissions,fsname=guardfs,subtype=guardfs%s",
		 geteuid() == 0 ? ",allow_other" : "");
	argv[argc++] = (char *)"guardfs";
	argv[argc++] = (char *)"-o";
	argv[argc++] = options;
	if (debug)
		argv[argc++] = (char *)"-d";
	argv[argc] = NULL;
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	se = fuse_session_new(&args, &ops, sizeof(ops), fs);
	/* the session keeps nothing of the parsed copy of the arguments */
	fuse_opt_free_args(&args);
	return se;
}

static void teardown(struct gfs_fs *fs)
{
	gfs_guard_inval_stop(fs);
	gfs_freeze_stop(fs);
	if (fs->store) {
		struct gfs_drain *drain = gfs_drain_report_start(fs->store);

		/*
		 * What is queued is recorded while the drain reports it; the
		 * report ends before the store is freed (it reads it).
		 */
		gfs_store_flush(fs->store);
		gfs_drain_report_stop(drain);
		gfs_store_close(fs->store);
	}
	gfs_audit_close(fs->audit);
	gfs_guards_release(&fs->guards);
	gfs_ignore_free(fs->exclude);
	if (fs->proc_self_fd >= 0)
		close(fs->proc_self_fd);
	gfs_inode_table_release(fs);
	gfs_action_release(fs);
	gfs_hold_release(fs);
	gfs_ask_free(fs->ask);
	gfs_watch_free(fs->watch);
	if (fs->root.fd >= 0)
		close(fs->root.fd);
	free(fs->mountpoint);
}

int gfs_fs_run(const struct gfs_fs_opts *opts)
{
	struct gfs_fs fs;
	struct gfs_control *control = NULL;
	struct fuse_loop_config *loop;
	char err[512] = "";
	int rc;

	gfs_memory_setup();
	memset(&fs, 0, sizeof(fs));
	fs.fd_budget = fd_budget_for(raise_fd_limit());
	fs.fd_cache_max = GFS_FD_CACHE_MAX;
	preload_unwinder();
	fs.cfg = opts->cfg;
	fs.proc_self_fd = -1;
	fs.root.fd = opts->root_fd;
	gfs_action_init(&fs);
	pthread_mutex_init(&fs.handles_lock, NULL);
	gfs_hold_init(&fs);
	fs.entry_timeout = GFS_CACHE_TIMEOUT;
	fs.attr_timeout = GFS_CACHE_TIMEOUT;
	clock_gettime(CLOCK_REALTIME, &fs.started);
	fs.mountpoint = strdup(opts->mountpoint);
	rc = gfs_inode_table_init(&fs, opts->root_fd);
	gfs_caller_setup(&fs);
	if (rc || !fs.mountpoint) {
		snprintf(err, sizeof(err), "cannot set up the inode table");
		goto fail_early;
	}
	fs.proc_self_fd =
		open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs.proc_self_fd < 0) {
		snprintf(err, sizeof(err), "cannot open /proc/self/fd: %s",
			 strerror(errno));
		goto fail_early;
	}
	if (gfs_guards_init(&fs.guards, opts->cfg, err, sizeof(err)))
		goto fail_early;
	/* absolute links below where the agent sees the folder lead inside */
	if (gfs_policy_set_mount(fs.guards.policy, fs.mountpoint)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail_early;
	}
	if (gfs_audit_open(&fs.audit, opts->cfg->audit_path,
			   opts->cfg->audit_level, err, sizeof(err)))
		goto fail_early;
	if (open_store(&fs, opts, err, sizeof(err)))
		goto fail_early;
	if (gfs_watch_new(&fs.watch)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail_early;
	}
	if (open_ask(&fs, err, sizeof(err)))
		goto fail_early;
	if (gfs_freeze_start(&fs)) {
		snprintf(err, sizeof(err), "cannot start the breaker");
		goto fail_early;
	}
	if (gfs_guard_inval_start(&fs)) {
		snprintf(err, sizeof(err), "cannot start a thread");
		goto fail_early;
	}
	fs.session = new_session(&fs, opts->debug);
	if (!fs.session) {
		snprintf(err, sizeof(err), "cannot create the FUSE session");
		goto fail_early;
	}
	if (fuse_set_signal_handlers(fs.session)) {
		snprintf(err, sizeof(err), "cannot install signal handlers");
		goto fail_session;
	}
	if (fuse_session_mount(fs.session, opts->mountpoint)) {
		snprintf(err, sizeof(err),
			 "cannot mount on '%s' (is /dev/fuse there and "
			 "fusermount3 installed?)",
			 opts->mountpoint);
		goto fail_signals;
	}
	fs.uring.wanted = opts->cfg->io_uring;
	if (gfs_passthrough_setup(&fs, opts->cfg->passthrough)) {
		snprintf(err, sizeof(err), "cannot hook the FUSE session");
		fuse_session_unmount(fs.session);
		goto fail_signals;
	}
	if (gfs_control_start(&control, control_reply, &fs, err, sizeof(err))) {
		fuse_session_unmount(fs.session);
		goto fail_signals;
	}
	atomic_store(&fs.control, control);
	if (opts->ready)
		opts->ready(opts->ready_arg, 0, NULL);

	loop = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(loop, 16);
	fuse_loop_cfg_set_idle_threads(loop, 16);
	rc = fuse_session_loop_mt(fs.session, loop);
	fuse_loop_cfg_destroy(loop);

	atomic_store(&fs.control, NULL);
	gfs_control_stop(control);
	fuse_session_unmount(fs.session);
	gfs_uring_stop(&fs);
	/* no request runs any more; the store is still open */
	gfs_ops_file_end_all(&fs);
	fuse_remove_signal_handlers(fs.session);
	fuse_session_destroy(fs.session);
	teardown(&fs);
	return rc < 0 ? 1 : 0;

fail_signals:
	fuse_remove_signal_handlers(fs.session);
fail_session:
	fuse_session_destroy(fs.session);
fail_early:
	if (!err[0])
		snprintf(err, sizeof(err), "cannot start");
	if (opts->ready)
		opts->ready(opts->ready_arg, -1, err);
	else
		fprintf(stderr, "guardfs: %s\n", err);
	teardown(&fs);
	return 1;
}
