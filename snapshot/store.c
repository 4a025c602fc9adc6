/*
 * The store's lifecycle, its job queue and the worker thread.
 *
 * Request threads queue jobs; one worker applies them in order to its
 * picture of the folder (reading the folder's current state, writing
 * blobs) and commits the resulting batch when the queue goes idle, when
 * the batch grows old or large, or when a job touches a path the batch
 * already changed (so every version lands in some commit). before()
 * waits only until the path's queued jobs are applied, not committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "store_internal.h"

/* An idle queue commits after this; a busy one at least this often. */
#define IDLE_COMMIT_NS	 50000000LL
#define MAX_BATCH_AGE_NS 1000000000LL
#define NAP_NS		 2000000LL

const char gfs_store_default_excludes[] =
	"# JavaScript: npm, yarn, pnpm dependencies and framework caches\n"
	"node_modules/\n"
	".next/\n"
	".nuxt/\n"
	".parcel-cache/\n"
	".turbo/\n"
	"# Python: bytecode, virtual environments, tool caches\n"
	"__pycache__/\n"
	".venv/\n"
	".tox/\n"
	".nox/\n"
	".mypy_cache/\n"
	".pytest_cache/\n"
	".ruff_cache/\n"
	"# JVM: Gradle's caches\n"
	".gradle/\n";

void gfs_store_log(const char *what, int rc)
{
	fprintf(stderr, "guardfs: store: %s: %s\n", what, strerror(-rc));
}

int gfs_store_git_error(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "guardfs: store: cannot %s: %s\n", what,
		e && e->message ? e->message : "unknown libgit2 error");
	return -EIO;
}

/*
 * A restore writes each file under a temporary name and renames it over
 * the path (see write_new_inode in history_restore.c): the temporary name
 * is no path of the restore's own. Drops the batch's entries for it, among
 * the last ones (the restore's threads interleave a few), and says whether
 * there were any; the rename is then listed as the path's restore.
 */
static bool drop_restore_temp(struct gfs_store *s, const char *tmp)
{
	size_t i = s->batch_len, seen = 0;
	bool dropped = false;

	while (i-- > 0 && seen++ < 256) {
		struct gfs_store_batch_op *b = &s->batch[i];

		if (b->op != GFS_OP_RESTORE || b->from || strcmp(b->path, tmp))
			continue;
		free(b->path);
		free(b->process);
		memmove(b, b + 1, (s->batch_len - i - 1) * sizeof(*b));
		s->batch_len--;
		dropped = true;
	}
	return dropped;
}

/* The action the batch's operations belong to, 0 for none yet. */
static uint64_t batch_action(const struct gfs_store *s)
{
	size_t i;

	for (i = s->batch_len; i-- > 0;)
		if (s->batch[i].action_id)
			return s->batch[i].action_id;
	return 0;
}

/*
 * Whether an operation that left the store's picture as it was is listed
 * all the same. It happened, and the audit points at the commit that
 * lists it: a rewrite of the same bytes, a chmod to the same mode, or a
 * write whose close reached the daemon after a rename had already read
 * its bytes under the new name. Not listed: what a restore wrote (its
 * create and write session are one entry), captures and spills (no
 * operation of their own), and a name the store does not hold (hidden,
 * excluded). A file too large for trees is held: a write to it, which
 * leaves no trace in the trees, is listed all the same.
 */
static bool listed_unchanged(struct gfs_store *s,
			     const struct gfs_store_job *job)
{
	const char *path = job->ev.path;
	bool is_dir = job->ev.op == GFS_OP_MKDIR || job->ev.op == GFS_OP_RMDIR;
	struct gfs_store_node *n;
	struct stat st;

	if (job->capture || job->spill || job->ev.op < 0 ||
	    job->ev.op >= GFS_STORE_OP_PREIMAGE ||
	    job->ev.op == GFS_OP_RESTORE || !*path)
		return false;
	n = gfs_store_node_lookup(s->root, path);
	if (n)
		return true;
	if (!is_dir && !gfs_store_stat_beneath(s, path, &st))
		is_dir = S_ISDIR(st.st_mode);
	return !gfs_store_excluded(s, path, is_dir);
}

/*
 * Whether job is an unlink or rmdir through the mount: the name was gone
 * when the job was queued, and reading the folder again to learn so cost
 * the worker an open of the parent, a stat and a close per file of an
 * rm -rf. What came at the name since is queued after it. (A restore's
 * removal is listed as a restore, and read like any other job.)
 */
static bool removed(const struct gfs_store_job *job)
{
	return job->ev.op == GFS_OP_UNLINK || job->ev.op == GFS_OP_RMDIR;
}

/*
 * Applies one job to the picture of the folder and the batch. The caller
 * (the worker) holds tree_lock for writing.
 */
static int apply_job(struct gfs_store *s, struct gfs_store_job *job)
{
	/*
	 * The destination first: when a rename or link source is read as
	 * gone, its bytes are already in the tree under the new name, so a
	 * relied-upon file needs no commit of its own. A directory source
	 * goes first: a commit it forces then holds the tree from before.
	 */
	const char *paths[2] = {job->ev.path, job->ev.from};
	struct gfs_store_node *src =
		job->ev.from ? gfs_store_node_lookup(s->root, job->ev.from)
			     : NULL;
	bool changed = false;
	int i, rc = 0;

	/*
	 * One action per commit: what another command did starts a commit
	 * of its own (before this job changes the picture), so `git log` of
	 * the store shows actions whole and an action's undo is its
	 * commits' (README, "Actions"). Pre-images the store took (no
	 * action) join either; a restore's group is one commit anyway.
	 */
	if (s->batch_len && !s->group_label && job->ev.action_id &&
	    batch_action(s) && batch_action(s) != job->ev.action_id) {
		rc = gfs_store_commit_batch(s);
		if (rc)
			return rc;
	}
	if (src && src->git_mode == 040000) {
		paths[0] = job->ev.from;
		paths[1] = job->ev.path;
	}
	s->job_paths[0] = paths[0];
	s->job_paths[1] = paths[1];
	if (job->spill) {
		rc = gfs_store_hold_preimage(s, job);
	} else if (job->coalesced) {
		changed = true; /* listed; the later job records the state */
	} else {
		for (i = 0; i < 2 && !rc; i++) {
			bool c = false;

			if (!paths[i])
				continue;
			if (removed(job))
				rc = gfs_store_forget(s, paths[i], &c);
			else
				rc = gfs_store_refresh(s, paths[i], &c);
			changed |= c;
		}
	}
	if (!rc && job->capture && !(job->flags & GFS_STORE_METADATA)) {
		/* the mutation now relies on this version */
		struct gfs_store_node *n =
			gfs_store_node_lookup(s->root, job->ev.path);

		if (n) {
			n->relied = true;
			if (n->changed_gen == s->commit_gen)
				gfs_store_journal_add(s, job->ev.path, n);
		}
	}
	s->job_paths[0] = s->job_paths[1] = NULL;
	if (rc)
		return rc;
	/* a restored file's create and its write session: listed once
	 * (here when adjacent; the group's commit drops the rest) */
	if (changed && job->ev.op == GFS_OP_RESTORE && s->batch_len &&
	    s->batch[s->batch_len - 1].op == GFS_OP_RESTORE &&
	    !strcmp(s->batch[s->batch_len - 1].path, job->ev.path))
		changed = false;
	if (!changed && listed_unchanged(s, job))
		changed = true;
	if (changed) {
		struct gfs_store_batch_op ev = job->ev;

		if (ev.op == GFS_OP_RESTORE && ev.from &&
		    drop_restore_temp(s, ev.from))
			ev.from = NULL;
		rc = gfs_store_batch_add(s, &ev);
		if (!rc && s->batch_len >= GFS_STORE_BATCH_MAX &&
		    !s->group_label)
			rc = gfs_store_commit_batch(s);
	}
	/*
	 * The file's other names changed with it (store_links.c). A later
	 * job reads a coalesced job's path, but maybe not as this file (an
	 * unlink): with its inode known, its other names are read now.
	 */
	if (!rc && !job->capture && !job->spill &&
	    (!job->coalesced || job->ev.ino))
		rc = gfs_store_refresh_links(s, &job->ev);
	return rc;
}

/*
 * The brackets of a restore. Its first operation starts a commit of its
 * own; the end (or the restoring process's death) commits the group.
 */
static int apply_marker(struct gfs_store *s, struct gfs_store_job *job)
{
	int rc = gfs_store_commit_batch(s);

	free(s->group_label);
	s->group_label = NULL;
	if (rc || job->ev.op != GFS_STORE_MARK_GROUP_BEGIN)
		return rc;
	s->group_label = strdup(job->ev.path);
	s->group_pid = job->ev.pid;
	return s->group_label ? 0 : -ENOMEM;
}

static bool group_orphaned(const struct gfs_store *s)
{
	return s->group_label && kill(s->group_pid, 0) && errno == ESRCH;
}

static int commit_locked(struct gfs_store *s)
{
	int rc;

	pthread_rwlock_wrlock(&s->tree_lock);
	rc = gfs_store_commit_batch(s);
	pthread_rwlock_unlock(&s->tree_lock);
	if (rc)
		gfs_store_log("commit", rc);
	return rc;
}

/*
 * After a failed commit (queue_lock held): the next try in a second (a
 * full disk does not empty itself in a loop), and a flush or close that
 * was waiting cannot wait for space. Returns whether the worker stops.
 */
static bool commit_failed(struct gfs_store *s, bool urgent)
{
	s->retry_at = gfs_mono_ns() + 1000000000LL;
	if (!urgent)
		return false;
	s->flush_done = s->flush_req;
	pthread_cond_broadcast(&s->done_cond);
	return s->stopping;
}

static void *worker_main(void *arg)
{
	struct gfs_store *s = arg;

	/* when the worker last applied a job */
	int64_t last_job = 0;

	pthread_setname_np(pthread_self(), "gfs-store");
	pthread_mutex_lock(&s->queue_lock);
	for (;;) {
		struct gfs_store_job *job = s->captures;
		int64_t age;
		int rc;

		if (gfs_store_held_ready(s) && gfs_mono_ns() >= s->retry_at) {
			/* a preimage is in: the commits behind it can go */
			bool urgent =
				s->flush_req != s->flush_done || s->stopping;

			pthread_mutex_unlock(&s->queue_lock);
			pthread_rwlock_wrlock(&s->tree_lock);
			rc = gfs_store_held_flush(s);
			pthread_rwlock_unlock(&s->tree_lock);
			pthread_mutex_lock(&s->queue_lock);
			if (rc) {
				gfs_store_log("commit", rc);
				if (commit_failed(s, urgent))
					break; /* close() keeps the spills */
			}
			continue;
		}
		if (job) {
			s->captures = job->next;
		} else if ((job = s->queue_head)) {
			struct gfs_store_pending *e;

			s->queue_head = job->next;
			if (!s->queue_head)
				s->queue_tail = NULL;
			s->queue_len--;
			/*
			 * A later job names the same path and will read its
			 * state then: reading it now too (a half-written
			 * journal, a file tar is still filling) only writes a
			 * blob nobody relied upon. A before() that relies on
			 * a state in between captures it itself.
			 */
			e = job->ev.from || job->spill || job->ev.op < 0
				    ? NULL
				    : gfs_store_pending_find(
					      s, job->ev.path,
					      strlen(job->ev.path));
			job->coalesced = e && e->count > 1;
		}
		if (job) {
			pthread_mutex_unlock(&s->queue_lock);
			pthread_rwlock_wrlock(&s->tree_lock);
			if (job->ev.op == GFS_STORE_MARK_GROUP_BEGIN ||
			    job->ev.op == GFS_STORE_MARK_GROUP_END)
				rc = apply_marker(s, job);
			else
				rc = job->ev.op < 0 ? 0 : apply_job(s, job);
			if (!rc && s->batch_len && !s->group_label &&
			    gfs_mono_ns() - (s->batch_start.tv_sec *
						     1000000000LL +
					     s->batch_start.tv_nsec) >
				    MAX_BATCH_AGE_NS)
				rc = gfs_store_commit_batch(s);
			pthread_rwlock_unlock(&s->tree_lock);
			last_job = gfs_mono_ns();
			/*
			 * A job that failed left its path's node as it was,
			 * so the next before() of the path captures again;
			 * only a failed commit (broken) fails every before().
			 */
			if (rc)
				gfs_store_log(job->ev.path, rc);
			pthread_mutex_lock(&s->queue_lock);
			if (job->capture) {
				job->result = rc;
				job->done = true;
			} else {
				s->done_seq = job->ev.seq;
				if (job->ev.op >= 0) {
					gfs_store_pending_drop(s, job->ev.path);
					if (job->ev.from)
						gfs_store_pending_drop(
							s, job->ev.from);
				}
				gfs_store_job_free(job);
			}
			pthread_cond_broadcast(&s->done_cond);
			continue;
		}
		if (s->batch_len || s->ref_stale) {
			bool urgent =
				s->flush_req != s->flush_done || s->stopping;
			struct timespec until;
			int64_t start = s->batch_start.tv_sec * 1000000000LL +
					s->batch_start.tv_nsec;

			age = gfs_mono_ns() - start;
			if (s->group_label && !urgent) {
				/* a restore pauses: wait for it, or its end */
				if (!group_orphaned(s)) {
					gfs_deadline_in(&until, CLOCK_MONOTONIC,
							MAX_BATCH_AGE_NS);
					pthread_cond_timedwait(&s->queue_cond,
							       &s->queue_lock,
							       &until);
					continue;
				}
				free(s->group_label);
				s->group_label = NULL;
			}
			if (!urgent && (age < MAX_BATCH_AGE_NS ||
					gfs_mono_ns() < s->retry_at)) {
				/*
				 * Idle for a moment: more of a burst may come.
				 * After a failed commit, a second before the
				 * next try (a full disk does not empty itself
				 * in a loop).
				 */
				int64_t now = gfs_mono_ns(),
					idle_end = last_job + IDLE_COMMIT_NS;

				if (now < s->retry_at || now < idle_end) {
					/*
					 * Right after jobs, a nap: the next
					 * jobs of a burst wait for its end
					 * (or until GFS_STORE_NAP_JOBS wait)
					 * instead of waking the worker one
					 * by one, a context switch each way
					 * per file of an rm -rf.
					 */
					s->worker_napping =
						now >= s->retry_at &&
						now - last_job < NAP_NS;
					gfs_deadline_in(
						&until, CLOCK_MONOTONIC,
						s->worker_napping ? NAP_NS
						: now < s->retry_at
							? s->retry_at - now
							: idle_end - now);
					pthread_cond_timedwait(&s->queue_cond,
							       &s->queue_lock,
							       &until);
					s->worker_napping = false;
					continue;
				}
			}
			pthread_mutex_unlock(&s->queue_lock);
			rc = commit_locked(s);
			pthread_mutex_lock(&s->queue_lock);
			if (rc && commit_failed(s, urgent))
				break;
			continue;
		}
		if (gfs_store_holding(s)) {
			/*
			 * Commits wait behind a preimage: the lane wakes us
			 * when it is in; a failed write is tried again.
			 */
			struct timespec until;

			if (!gfs_store_held_ready(s)) {
				pthread_cond_wait(&s->queue_cond,
						  &s->queue_lock);
				continue;
			}
			gfs_deadline_in(&until, CLOCK_MONOTONIC,
					s->retry_at - gfs_mono_ns());
			pthread_cond_timedwait(&s->queue_cond, &s->queue_lock,
					       &until);
			continue;
		}
		if (s->flush_done != s->flush_req) {
			s->flush_done = s->flush_req;
			pthread_cond_broadcast(&s->done_cond);
			continue;
		}
		if (s->stopping)
			break;
		pthread_cond_wait(&s->queue_cond, &s->queue_lock);
	}
	pthread_mutex_unlock(&s->queue_lock);
	return NULL;
}

/*
 * Whether the store is broken (its last commit failed): the mount fails
 * closed. The worker tries again a second after a failure, but room
 * made in that second (the user deleted a file to free the disk) should
 * let the next operation through: one caller every 100 ms makes the
 * worker try now (a flush), the others answer from the last try.
 */
static bool store_broken(struct gfs_store *s)
{
	int64_t now, last;

	if (!__atomic_load_n(&s->broken, __ATOMIC_ACQUIRE))
		return false;
	now = gfs_mono_ns();
	last = atomic_load(&s->forced_retry_at);
	if (now - last >= 100000000LL &&
	    atomic_compare_exchange_strong(&s->forced_retry_at, &last, now))
		gfs_store_flush(s);
	return __atomic_load_n(&s->broken, __ATOMIC_ACQUIRE);
}

int gfs_store_before(struct gfs_store *s, const char *path, unsigned flags)
{
	struct gfs_store_job job;
	struct stat seen;
	uint64_t target;
	int rc;

	rc = store_broken(s) ? -EIO : 0;
	/*
	 * The store's picture first: a path that does not exist, or whose
	 * stat shows the content is held, needs nothing, whatever is still
	 * queued for it (what is queued only records later states, and a
	 * version replaced before its commit is kept by the relied mark).
	 * That keeps a create after an unlink (sqlite's journal, git's
	 * temporary objects) from waiting for the worker. Otherwise the
	 * path's queued jobs are applied before deciding to capture, so
	 * the capture is not taken for what they are about to record.
	 * A chmod destroys no bytes: its after() job records the result.
	 */
	if (!rc && !(flags & GFS_STORE_METADATA) &&
	    !(flags & GFS_STORE_SUBTREE))
		rc = gfs_store_preimage_check(s, path, flags, &seen);
	/* a name going away whose bytes a queued link keeps elsewhere */
	if (rc == 1 && (flags & GFS_STORE_REMOVING) &&
	    gfs_store_linked_away(s, path, &seen)) {
		atomic_fetch_add(&s->stat_linked_away, 1);
		rc = 0;
	}
	if ((rc == 1 || rc == 2 || (flags & GFS_STORE_SUBTREE)) &&
	    !(flags & GFS_STORE_METADATA)) {
		pthread_mutex_lock(&s->queue_lock);
		target = gfs_store_pending_target(s, path);
		if (flags & GFS_STORE_SUBTREE)
			target =
				gfs_store_pending_target_below(s, path, target);
		if (s->done_seq < target) {
			int64_t start = gfs_mono_ns();

			pthread_cond_signal(&s->queue_cond); /* it may nap */
			while (s->done_seq < target)
				pthread_cond_wait(&s->done_cond,
						  &s->queue_lock);
			atomic_fetch_add(&s->stat_waits, 1);
			atomic_fetch_add(&s->stat_wait_ns,
					 (uint64_t)(gfs_mono_ns() - start));
		}
		pthread_mutex_unlock(&s->queue_lock);
		rc = store_broken(s)
			     ? -EIO
			     : gfs_store_preimage_check(s, path, flags, NULL);
	}
	if (rc == 2)
		rc = gfs_store_spill(s, path, flags);
	if (rc == 1) {
		int64_t start = gfs_mono_ns();

		memset(&job, 0, sizeof(job));
		job.capture = true;
		job.flags = flags;
		job.ev.op = GFS_STORE_OP_PREIMAGE;
		job.ev.path = (char *)path;
		job.ev.process = (char *)"guardfs";
		job.ev.pid = getpid();
		pthread_mutex_lock(&s->queue_lock);
		job.next = s->captures;
		s->captures = &job;
		pthread_cond_signal(&s->queue_cond);
		while (!job.done)
			pthread_cond_wait(&s->done_cond, &s->queue_lock);
		pthread_mutex_unlock(&s->queue_lock);
		atomic_fetch_add(&s->stat_captures, 1);
		atomic_fetch_add(&s->stat_wait_ns,
				 (uint64_t)(gfs_mono_ns() - start));
		rc = job.result;
	}
	if (rc < 0) {
		fprintf(stderr,
			"guardfs: store: cannot keep the content of '%s' "
			"before changing it: %s%s\n",
			path, strerror(-rc),
			s->opts.fail_open ? " (changing it anyway)" : "");
		return s->opts.fail_open ? 0 : -EIO;
	}
	return 0;
}

void gfs_store_flush(struct gfs_store *s)
{
	uint64_t req;

	pthread_mutex_lock(&s->queue_lock);
	req = ++s->flush_req;
	pthread_cond_signal(&s->queue_cond);
	while (s->flush_done < req && s->worker_started)
		pthread_cond_wait(&s->done_cond, &s->queue_lock);
	pthread_mutex_unlock(&s->queue_lock);
}

void gfs_store_stats(struct gfs_store *s, struct gfs_store_stats *out)
{
	out->waits = atomic_load(&s->stat_waits);
	out->captures = atomic_load(&s->stat_captures);
	out->linked_away = atomic_load(&s->stat_linked_away);
	out->wait_ns = atomic_load(&s->stat_wait_ns);
}

void gfs_store_backlog(struct gfs_store *s, uint64_t *applied, uint64_t *queued)
{
	pthread_mutex_lock(&s->queue_lock);
	*applied = s->done_seq;
	*queued = s->next_seq;
	pthread_mutex_unlock(&s->queue_lock);
}

static int set_error(char *err, size_t err_size, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int set_error(char *err, size_t err_size, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * One daemon per store: an flock on STORE/guardfs.lock, held for the
 * store's life. Holding it also proves that lockfiles libgit2 left
 * behind (a kill -9 during a branch update) belong to a dead process,
 * so they are removed rather than blocking every later commit.
 */
static int lock_store(struct gfs_store *s, char *err, size_t err_size)
{
	static const char *const stale[] = {
		"refs/heads/main.lock",
		"HEAD.lock",
		"packed-refs.lock",
		"config.lock",
	};
	struct gfs_buf path = GFS_BUF_INIT;
	size_t i;
	int rc;

	rc = gfs_buf_addf(&path, "%s/guardfs.lock", s->store_path);
	if (rc)
		return rc;
	s->lock_fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		snprintf(err, err_size,
			 rc == -EWOULDBLOCK
				 ? "store '%s' is in use by another mount"
				 : "cannot lock store '%s': %s",
			 s->store_path, strerror(-rc));
		gfs_buf_release(&path);
		return rc;
	}
	for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		gfs_buf_reset(&path);
		if (!gfs_buf_addf(&path, "%s/%s", s->store_path, stale[i]))
			unlink(path.data);
	}
	gfs_buf_release(&path);
	return 0;
}

/* Opens or creates the repository with our object database settings. */
static int open_repo(struct gfs_store *s, char *err, size_t err_size)
{
	git_repository_init_options init;
	const git_error *e;
	git_config *cfg = NULL;
	int rc = 0;

	if (git_repository_open_bare(&s->repo, s->store_path)) {
		git_repository_init_options_init(
			&init, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		init.flags = GIT_REPOSITORY_INIT_BARE |
			     GIT_REPOSITORY_INIT_MKPATH |
			     GIT_REPOSITORY_INIT_NO_REINIT;
		init.initial_head = "main";
		init.description = "guardfs snapshot store";
		if (git_repository_init_ext(&s->repo, s->store_path, &init))
			goto git_fail;
		if (git_repository_config(&cfg, s->repo) ||
		    git_config_set_bool(cfg, "core.logAllRefUpdates", 0) ||
		    git_config_set_string(cfg, "guardfs.root",
					  s->opts.root_path ? s->opts.root_path
							    : ""))
			goto git_fail;
	}
	if (gfs_store_pack_configure(s->repo) || gfs_store_odb_open(s))
		goto git_fail;
	goto out;
git_fail:
	e = git_error_last();
	rc = set_error(err, err_size, -EIO, "cannot open store '%s': %s",
		       s->store_path, e && e->message ? e->message : "error");
out:
	git_config_free(cfg);
	return rc;
}

/*
 * The highest action number the head commit names (its Guardfs-Actions
 * trailer, else its own operations'): new actions number on from there.
 */
static uint64_t actions_named(const char *msg)
{
	static const char *const keys[] = {"\nGuardfs-Actions: ",
					   "\nGuardfs-Action-Id: "};
	uint64_t most = 0, v;
	const char *p;
	size_t k;

	for (k = 0; k < 2; k++)
		for (p = msg; (p = strstr(p, keys[k])); p++) {
			v = strtoull(p + strlen(keys[k]), NULL, 10);
			if (v > most)
				most = v;
		}
	return most;
}

static int read_head(struct gfs_store *s)
{
	git_commit *head = NULL;
	int rc;

	rc = git_reference_name_to_id(&s->head, s->repo, "HEAD");
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
		return gfs_store_tree_load(s, NULL);
	if (rc)
		return gfs_store_git_error("read HEAD");
	s->have_head = true;
	if (git_commit_lookup(&head, s->repo, &s->head))
		return gfs_store_git_error("read HEAD commit");
	git_oid_cpy(&s->head_tree, git_commit_tree_id(head));
	atomic_store(&s->actions, actions_named(git_commit_message(head)));
	rc = gfs_store_tree_load(s, git_commit_tree_id(head));
	git_commit_free(head);
	return rc;
}

/*
 * One more entry of the folder as found: tells the progress callback at
 * most four times a second (a clock read every 256 entries).
 */
void gfs_store_baseline_entry(struct gfs_store *s)
{
	struct timespec now;

	if (++s->baseline_entries % 256)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - s->progress_told.tv_sec) * 1000000000L +
		    (now.tv_nsec - s->progress_told.tv_nsec) <
	    250000000L)
		return;
	s->progress_told = now;
	s->opts.progress(s->opts.progress_arg, s->baseline_entries);
}

uint64_t gfs_store_action_new(struct gfs_store *s)
{
	return atomic_fetch_add(&s->actions, 1) + 1;
}

static bool prefetch_excluded(const void *arg, const char *relpath, bool is_dir)
{
	return gfs_store_excluded(arg, relpath, is_dir);
}

/* The first commit of a session holds the folder as the session found it. */
static int session_start(struct gfs_store *s)
{
	struct gfs_store_batch_op op = {
		.op = GFS_STORE_OP_SESSION,
		.path = (char *)"",
		.process = (char *)"guardfs",
		.pid = getpid(),
	};
	bool changed;
	int rc, rc2;

	rc = gfs_store_spill_ingest_all(s);
	s->reading_baseline = s->opts.progress != NULL;
	/* without writer threads the reader writes each blob itself */
	if (!rc)
		(void)gfs_store_baseline_begin(s);
	/*
	 * Only a first baseline reads every file; a later start reads the
	 * few whose stat changed, and reading ahead would read them all.
	 */
	if (!rc && !s->have_head && !s->opts.no_prefetch)
		(void)gfs_store_prefetch_start(
			&s->prefetch,
			&(struct gfs_store_prefetch_opts){
				.root_fd = s->opts.root_fd,
				.max_file_size = s->opts.max_file_size,
				.excluded = prefetch_excluded,
				.excluded_arg = s,
			});
	s->session_scan = true;
	if (!rc)
		rc = gfs_store_refresh(s, "", &changed);
	s->session_scan = false;
	/* the reading is over, done or failed: no more reading ahead */
	gfs_store_prefetch_stop(s->prefetch, NULL);
	s->prefetch = NULL;
	/* every blob the picture names is written before any commit */
	rc2 = gfs_store_baseline_end(s);
	if (!rc)
		rc = rc2;
	if (s->reading_baseline)
		s->opts.progress(s->opts.progress_arg, s->baseline_entries);
	s->reading_baseline = false;
	if (!rc)
		rc = gfs_store_batch_add(s, &op);
	if (!rc)
		rc = gfs_store_commit_batch(s);
	return rc;
}

/*
 * libgit2's defaults suit a short command, not a daemon that stays up
 * (bench/README.md, session 10): it maps the packs it reads in windows
 * of up to 1 GiB, up to 8 GiB in all, and a remount's reading of the
 * head tree, whose trees lie scattered through the packs, left 168 MiB
 * of them resident in the daemon; and its object cache may grow to
 * 256 MiB of parsed trees and commits. Packed objects are at most
 * 1 MiB (store_pack.c) but for the first baseline's, files of up to
 * 16 MiB (store_packout.c): small windows cost a few more mmap calls.
 */
#define GFS_STORE_MWINDOW_SIZE	       ((size_t)4 << 20)
#define GFS_STORE_MWINDOW_MAPPED_LIMIT ((size_t)32 << 20)
#define GFS_STORE_CACHE_MAX	       ((ssize_t)32 << 20)

void gfs_store_memory_limits(void)
{
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, GFS_STORE_MWINDOW_SIZE);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT,
			 GFS_STORE_MWINDOW_MAPPED_LIMIT);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, GFS_STORE_CACHE_MAX);
}

static char *make_session_id(void)
{
	struct timespec now;
	struct tm tm;
	char text[64];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "-%ld",
		 (long)getpid());
	return strdup(text);
}

int gfs_store_open(struct gfs_store **out, const struct gfs_store_opts *opts,
		   char *err, size_t err_size)
{
	struct gfs_store *s;
	int rc;

	*out = NULL;
	if (!opts->store_path || opts->root_fd < 0)
		return set_error(err, err_size, -EINVAL,
				 "no store path or root");
	/*
	 * Lexical only: resolving a path under the root would go through
	 * the mount. The caller compares resolved paths before mounting.
	 */
	if (opts->root_path && opts->store_path[0] == '/' &&
	    gfs_path_is_within(opts->store_path, opts->root_path))
		return set_error(err, err_size, -EINVAL,
				 "store '%s' is inside the guarded folder '%s'",
				 opts->store_path, opts->root_path);
	git_libgit2_init();
	/* our objects are valid by construction: skip existence checks */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	gfs_store_memory_limits();
	s = calloc(1, sizeof(*s));
	if (!s)
		return set_error(err, err_size, -ENOMEM, "out of memory");
	s->opts = *opts;
	s->opts.store_path = NULL;
	s->store_path = strdup(opts->store_path);
	if (s->store_path &&
	    asprintf(&s->objects_dir, "%s/objects", s->store_path) < 0)
		s->objects_dir = NULL;
	s->session = make_session_id();
	s->lock_fd = -1;
	s->journal_fd = -1;
	s->commit_gen = 1;
	pthread_rwlock_init(&s->tree_lock, NULL);
	pthread_mutex_init(&s->queue_lock, NULL);
	pthread_cond_init(&s->queue_cond, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_destroy(&s->queue_cond);
		pthread_cond_init(&s->queue_cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	pthread_cond_init(&s->done_cond, NULL);
	pthread_cond_init(&s->lane_cond, NULL);
	pthread_mutex_init(&s->pack_lock, NULL);
	pthread_cond_init(&s->pack_cond, NULL);
	if (!s->store_path || !s->session) {
		rc = set_error(err, err_size, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = open_repo(s, err, err_size);
	if (rc)
		goto fail;
	rc = lock_store(s, err, err_size);
	if (rc)
		goto fail;
	rc = gfs_store_spill_init(s);
	if (!rc)
		rc = read_head(s);
	if (!rc)
		rc = gfs_store_index_load(s);
	if (!rc)
		rc = gfs_store_journal_recover(s);
	if (!rc)
		rc = gfs_store_journal_open(s);
	if (!rc)
		rc = session_start(s);
	if (!rc)
		gfs_store_index_save(s);
	/* the baseline's reads and writes left free heap behind them */
	gfs_trim_memory();
	if (rc) {
		const git_error *e = git_error_last();

		set_error(err, err_size, rc, "cannot start session in '%s': %s",
			  s->store_path,
			  rc == -EIO && e && e->message ? e->message
							: strerror(-rc));
		goto fail;
	}
	rc = gfs_store_packer_start(s);
	if (!rc) {
		rc = -pthread_create(&s->worker, NULL, worker_main, s);
		s->worker_started = !rc;
	}
	if (rc) {
		set_error(err, err_size, rc, "cannot start store threads: %s",
			  strerror(-rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	gfs_store_close(s);
	return rc;
}

void gfs_store_close(struct gfs_store *s)
{
	size_t i;

	if (!s)
		return;
	if (s->worker_started) {
		gfs_store_flush(s);
		pthread_mutex_lock(&s->queue_lock);
		s->stopping = true;
		pthread_cond_signal(&s->queue_cond);
		pthread_mutex_unlock(&s->queue_lock);
		pthread_join(s->worker, NULL);
		/* a cache for the next session's start; failure only costs time
		 */
		if (!s->broken)
			gfs_store_index_save(s);
	}
	gfs_store_lane_stop(s);
	gfs_store_held_abandon(s);
	gfs_store_packer_stop(s);
	for (i = 0; i < GFS_STORE_PENDING_BUCKETS; i++) {
		while (s->pending[i]) {
			struct gfs_store_pending *e = s->pending[i];

			s->pending[i] = e->next;
			free(e->path);
			free(e);
		}
	}
	while (s->queue_head) {
		struct gfs_store_job *job = s->queue_head;

		s->queue_head = job->next;
		gfs_store_job_free(job);
	}
	gfs_store_batch_clear(s);
	free(s->batch);
	free(s->group_label);
	gfs_store_node_free(s->root);
	gfs_loose_release(&s->loose_whole);
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	pthread_rwlock_destroy(&s->tree_lock);
	pthread_mutex_destroy(&s->queue_lock);
	pthread_cond_destroy(&s->queue_cond);
	pthread_cond_destroy(&s->done_cond);
	pthread_cond_destroy(&s->lane_cond);
	pthread_mutex_destroy(&s->pack_lock);
	pthread_cond_destroy(&s->pack_cond);
	if (s->journal_fd >= 0)
		close(s->journal_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->spill_dir);
	free(s->session);
	free(s->store_path);
	free(s->objects_dir);
	free(s);
	git_libgit2_shutdown();
}
