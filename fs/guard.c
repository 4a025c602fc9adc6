#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/control.h"
#include "guardfs/util.h"

const char gfs_rule_escaping_symlink[] = "symlink-leaves-root";
const char gfs_rule_move_unchecked[] = "move-too-large-to-check";

const char *gfs_rule_secret(const struct gfs_verdict *v, char *buf, size_t size)
{
	snprintf(buf, size, "secret:%s:line %u", v->finding.rule_id,
		 v->finding.line);
	return buf;
}

bool gfs_guard_escapes(struct gfs_fs *fs, const char *path)
{
	return gfs_policy_path_leads_out(fs->guards.policy, fs->root.fd, path);
}

/*
 * Whether the symlink at path (its last component under parent) would be
 * refused if it were made there now: the same lexical rule as creation.
 * Resolving alone is not enough: a target such as "d/../../x" resolves
 * nowhere while d is missing, and leads out once d is made; and a link
 * judged by its text alone stays inside wherever the links it passes
 * through are, as long as every visible link is judged the same way.
 * An unreadable link counts as leading out.
 */
static bool link_text_escapes(struct gfs_fs *fs, struct gfs_inode *parent,
			      const char *path)
{
	const char *slash = strrchr(path, '/');
	char target[PATH_MAX + 1];
	ssize_t n;

	n = readlinkat(parent->fd, slash ? slash + 1 : path, target,
		       sizeof(target));
	if (n < 0 || n == (ssize_t)sizeof(target))
		return true;
	target[n] = '\0';
	return gfs_policy_link_target(fs->guards.policy, path, target) ==
	       GFS_LINK_OUT;
}

int gfs_guard_visible(struct gfs_fs *fs, struct gfs_inode *parent,
		      const char *path, const struct stat *st,
		      const char **rule)
{
	*rule = NULL;
	if (gfs_policy_hides(fs->guards.policy, path, S_ISDIR(st->st_mode),
			     rule))
		return -ENOENT;
	if (S_ISLNK(st->st_mode) && (link_text_escapes(fs, parent, path) ||
				     gfs_guard_escapes(fs, path))) {
		*rule = gfs_rule_escaping_symlink;
		return -ENOENT;
	}
	return 0;
}

int gfs_guard_may_create(struct gfs_fs *fs, const char *path, bool is_dir,
			 const char **rule)
{
	*rule = NULL;
	if (gfs_policy_hides(fs->guards.policy, path, is_dir, rule))
		return -EACCES;
	return 0;
}

int gfs_guard_may_add(struct gfs_fs *fs, const char *path, bool is_dir,
		      const char **rule)
{
	int rc = gfs_guard_may_create(fs, path, is_dir, rule);

	return rc ? rc : gfs_inode_room(fs);
}

int gfs_guard_mask_hidden(struct gfs_fs *fs, struct gfs_inode *parent,
			  const char *name, const char *path, int rc,
			  const char **rule)
{
	struct stat st;

	if (rc != -EEXIST && rc != -ENOTDIR && rc != -EISDIR &&
	    rc != -ENOTEMPTY)
		return rc;
	if (fstatat(parent->fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return rc;
	if (gfs_guard_visible(fs, parent, path, &st, rule))
		return -EACCES;
	return rc;
}

bool gfs_same_process(pid_t process, pid_t thread)
{
	char task[64];

	if (!process || !thread)
		return false;
	if (thread == process)
		return true;
	snprintf(task, sizeof(task), "/proc/%d/task/%d", (int)process,
		 (int)thread);
	return access(task, F_OK) == 0;
}

bool gfs_guard_in_group(struct gfs_fs *fs, pid_t pid)
{
	/* the kernel names the calling thread: one of the restore's? */
	return gfs_same_process(atomic_load(&fs->group_pid), pid);
}

int gfs_guard_group(struct gfs_fs *fs, const char *key, size_t key_len,
		    const char *label, pid_t peer, struct gfs_buf *out)
{
	const char *why;
	int rc;

	if (!fs->store)
		return gfs_buf_adds(out, "group\tno store\n");
	/*
	 * Only the guardfs CLI may have its writes listed as a restore:
	 * another process (the agent, say) grouping its own deletes would
	 * have them shown as one. The key proves the asker can read the
	 * user's runtime directory; the peer check that it is this program.
	 */
	if (label &&
	    !gfs_control_key_matches(atomic_load(&fs->control), key, key_len))
		return gfs_buf_adds(out, "group\trefused: bad key\n");
	if (label && gfs_peer_check(peer, &why))
		return gfs_buf_addf(out, "group\trefused: %s\n", why);
	if (label) {
		rc = gfs_store_group_begin(fs->store, label, peer);
		if (!rc)
			atomic_store(&fs->group_pid, peer);
	} else {
		/* Only the process that began the group ends it. */
		if (atomic_load(&fs->group_pid) != peer)
			return gfs_buf_adds(out, "group\tnot yours\n");
		/*
		 * The kernel sends a file's release after close() returned:
		 * wait (a little) for the restore's last write sessions to
		 * end, so they land in its commit.
		 */
		for (int i = 0; i < 5000 && atomic_load(&fs->group_handles);
		     i++)
			usleep(1000);
		atomic_store(&fs->group_pid, 0);
		rc = gfs_store_group_end(fs->store);
		/* the restore's caller waits until its commit is made */
		if (!rc)
			gfs_store_flush(fs->store);
	}
	return gfs_buf_addf(out, "group\t%s\n", rc ? strerror(-rc) : "ok");
}

int gfs_guard_reopen(struct gfs_fs *fs, struct gfs_inode *inode, int flags)
{
	char name[32];
	int fd;

	/*
	 * The O_PATH fd pins the very inode that was looked up and checked;
	 * reopening it through /proc/self/fd cannot be redirected by a
	 * rename or symlink swap in between, as a path-based open could.
	 */
	snprintf(name, sizeof(name), "%d", inode->fd);
	fd = openat(fs->proc_self_fd, name,
		    (flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL)) | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void queue_inval(struct gfs_fs *fs, struct gfs_inval *item)
{
	pthread_mutex_lock(&fs->inval_lock);
	item->next = fs->inval_head;
	fs->inval_head = item;
	pthread_cond_signal(&fs->inval_cond);
	pthread_mutex_unlock(&fs->inval_lock);
}

void gfs_guard_queue_inval(struct gfs_fs *fs, fuse_ino_t parent,
			   const char *name)
{
	struct gfs_inval *item = calloc(1, sizeof(*item));

	if (!item)
		return;
	item->parent = parent;
	item->name = strdup(name);
	if (!item->name) {
		free(item);
		return;
	}
	queue_inval(fs, item);
}

void gfs_guard_queue_inval_inode(struct gfs_fs *fs, fuse_ino_t ino)
{
	struct gfs_inval *item = calloc(1, sizeof(*item));

	if (!item)
		return;
	item->ino = ino;
	queue_inval(fs, item);
}

/*
 * The kernel must not be asked to drop a dentry from inside the request
 * that holds that directory's lock (it would deadlock), so rename queues
 * the entries it newly hides and this thread tells the kernel afterwards.
 */
static void *inval_main(void *arg)
{
	struct gfs_fs *fs = arg;

	pthread_setname_np(pthread_self(), "gfs-inval");
	pthread_mutex_lock(&fs->inval_lock);
	for (;;) {
		struct gfs_inval *item;

		while (!fs->inval_head && !fs->inval_stop)
			pthread_cond_wait(&fs->inval_cond, &fs->inval_lock);
		if (!fs->inval_head)
			break;
		item = fs->inval_head;
		fs->inval_head = item->next;
		pthread_mutex_unlock(&fs->inval_lock);
		if (!fs->inval_stop && item->ino)
			fuse_lowlevel_notify_inval_inode(fs->session, item->ino,
							 0, 0);
		else if (!fs->inval_stop)
			fuse_lowlevel_notify_inval_entry(
				fs->session, item->parent, item->name,
				strlen(item->name));
		free(item->name);
		free(item);
		pthread_mutex_lock(&fs->inval_lock);
	}
	pthread_mutex_unlock(&fs->inval_lock);
	return NULL;
}

int gfs_guard_inval_start(struct gfs_fs *fs)
{
	pthread_rwlockattr_t attr;
	int rc;

	/* a walk waits for renames in flight, not for every later one */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fs->move_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&fs->inval_lock, NULL);
	pthread_cond_init(&fs->inval_cond, NULL);
	rc = pthread_create(&fs->inval_thread, NULL, inval_main, fs);
	if (rc)
		return -rc;
	fs->inval_running = true;
	return 0;
}

void gfs_guard_inval_stop(struct gfs_fs *fs)
{
	if (!fs->inval_running)
		return;
	pthread_mutex_lock(&fs->inval_lock);
	fs->inval_stop = true;
	pthread_cond_signal(&fs->inval_cond);
	pthread_mutex_unlock(&fs->inval_lock);
	pthread_join(fs->inval_thread, NULL);
	fs->inval_running = false;
}
