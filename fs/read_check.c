/*
 * Reads of a file that changed after it was opened (P2).
 *
 * The content scan judges a file when it is opened. A descriptor opened
 * while the file was clean stays open, though, and another process (the
 * user's shell outside the mount, a tool that writes in place) may give
 * the file a credential afterwards: `cat` of the old descriptor must not
 * show it. When the daemon serves a handle's reads (no kernel
 * passthrough), each read first compares the file's size, mtime and
 * ctime with those it was last judged clean at. A change means a scan,
 * through the verdict cache (so once per change, whichever handle asks
 * first); a file that now holds a credential fails the read with EACCES,
 * stays refused (the taint) and the audit trail names the rule. The bytes
 * are read between two such checks, so a change made while they were
 * read is judged before they are sent.
 *
 * Under passthrough the kernel reads the real file without asking the
 * daemon, and no read can be refused: Linux cannot take back an open
 * file. There the change is found after the fact: once a second every
 * file open for kernel reads that changed is scanned, and one that took
 * a credential is tainted (no later open reads it), and the user is told
 * it may have been read: an audit alert, syslog and the desktop
 * (SECURITY.md).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fs_internal.h"
#include "guardfs/buf.h"
#include "guardfs/desktop.h"
#include "guardfs/util.h"

void gfs_read_check_arm(struct gfs_fs *fs, struct gfs_handle *h, int flags,
			const struct stat *judged)
{
	if ((flags & O_ACCMODE) == O_WRONLY || !fs->guards.scanner ||
	    h->in_group || gfs_guards_scan_allowed(&fs->guards, h->path))
		return;
	if (h->backing_id > 0) {
		/* already in the list: the sampler may be looking */
		pthread_mutex_lock(&fs->handles_lock);
		h->check.judged = *judged;
		h->check.kernel_reads = true;
		pthread_mutex_unlock(&fs->handles_lock);
		return;
	}
	pthread_mutex_init(&h->check.lock, NULL);
	h->check.judged = *judged;
	h->check.armed = true;
}

static void report_exposed(struct gfs_fs *fs, pid_t pid, uid_t uid,
			   const char *path, const struct gfs_verdict *v);

void gfs_read_check_disarm(struct gfs_fs *fs, struct gfs_handle *h)
{
	struct gfs_verdict verdict;
	struct stat st;

	if (h->check.armed)
		pthread_mutex_destroy(&h->check.lock);
	h->check.armed = false;
	/*
	 * Out of the list, so the sampler is done with it: a change since
	 * its last look (a read and a close within the second) is judged
	 * here.
	 */
	if (h->check.kernel_reads && !h->check.refused && !fstat(h->fd, &st) &&
	    !gfs_verdict_same_key(&h->check.judged, &st) &&
	    gfs_scan_fd_as(fs->guards.scanner, fs->guards.verdicts, h->fd, &st,
			   fs->cfg->scan_max_size, &verdict) == 1)
		report_exposed(fs, h->pid, h->uid, h->path, &verdict);
	h->check.kernel_reads = false;
}

/* Audits the first refused read of h (later ones are the same story). */
static void audit_refusal(struct gfs_fs *fs, fuse_req_t req,
			  struct gfs_handle *h, const struct gfs_verdict *v)
{
	char rule[96];
	struct gfs_op op;

	gfs_op_init(&op, req, GFS_OP_READ);
	op.path = h->path;
	op.detail = "changed since open";
	op.rule = gfs_rule_secret(v, rule, sizeof(rule));
	gfs_op_end(fs, &op, -EACCES);
}

int gfs_read_check(struct gfs_fs *fs, fuse_req_t req, struct gfs_handle *h)
{
	struct gfs_verdict verdict;
	bool unchanged, refused;
	struct stat st;
	int rc;

	if (!h->check.armed)
		return 0;
	if (fstat(h->fd, &st))
		return -errno;
	pthread_mutex_lock(&h->check.lock);
	refused = h->check.refused;
	unchanged = gfs_verdict_same_key(&h->check.judged, &st);
	pthread_mutex_unlock(&h->check.lock);
	if (refused)
		return -EACCES;
	if (unchanged)
		return 0;
	/* a change after st is found by the next read: its stat differs */
	rc = gfs_scan_fd_as(fs->guards.scanner, fs->guards.verdicts, h->fd, &st,
			    fs->cfg->scan_max_size, &verdict);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&h->check.lock);
	refused = h->check.refused;
	if (rc == 1)
		h->check.refused = true;
	else
		h->check.judged = st;
	pthread_mutex_unlock(&h->check.lock);
	if (rc == 1 && !refused)
		audit_refusal(fs, req, h, &verdict);
	return rc == 1 ? -EACCES : 0;
}

/* A file open for kernel reads that changed: what the sampler scans. */
struct changed_file {
	uint64_t serial;
	int fd; /* a duplicate: the handle may close meanwhile */
	char *path;
	pid_t pid;
	uid_t uid;
};

/* Under handles_lock: the kernel-read files changed since last judged. */
static size_t collect_changed(struct gfs_fs *fs, struct changed_file **out)
{
	struct changed_file *list = NULL, *grown;
	size_t n = 0, cap = 0;
	struct gfs_handle *h;
	struct stat st;

	for (h = fs->open_handles; h; h = h->next) {
		struct changed_file *c;

		if (!h->check.kernel_reads || h->check.refused ||
		    fstat(h->fd, &st) ||
		    gfs_verdict_same_key(&h->check.judged, &st))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown)
				break;
			list = grown;
		}
		c = &list[n];
		c->fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
		c->path = c->fd >= 0 ? strdup(h->path) : NULL;
		if (!c->path) {
			/* no descriptor to spare: judged at the next look */
			if (c->fd >= 0)
				close(c->fd);
			continue;
		}
		c->serial = h->serial;
		c->pid = h->pid;
		c->uid = h->uid;
		h->check.judged = st;
		n++;
	}
	*out = list;
	return n;
}

/*
 * One desktop notification in NOTIFY_GAP_NS at most: an agent writing
 * keys into files it holds open must not bury the desktop; the audit
 * trail and syslog get every one.
 */
#define NOTIFY_GAP_NS (10 * 1000000000LL)

static bool desktop_due(void)
{
	static atomic_llong last; /* 0: never */
	long long now = gfs_mono_ns(), was = atomic_load(&last);

	return (!was || now - was >= NOTIFY_GAP_NS) &&
	       atomic_compare_exchange_strong(&last, &was, now);
}

/* Tells that path, open for kernel reads by pid, took v. */
static void report_exposed(struct gfs_fs *fs, pid_t pid, uid_t uid,
			   const char *path, const struct gfs_verdict *v)
{
	struct gfs_buf body = GFS_BUF_INIT;
	struct gfs_op op;
	char rule[96];

	gfs_rule_secret(v, rule, sizeof(rule));
	gfs_op_init_as(&op, pid, uid, GFS_OP_READ);
	op.path = path;
	op.rule = rule;
	op.detail = "changed while open for kernel reads: may have been read";
	op.alert = true;
	gfs_op_end(fs, &op, 0);
	gfs_buf_addf(&body,
		     "%s: %s took a credential (%s) while process %ld had it "
		     "open for reading through the kernel's passthrough, "
		     "which guardfs cannot refuse: treat it as read. Later "
		     "opens are refused.",
		     fs->mountpoint, path, rule, (long)pid);
	openlog("guardfs", LOG_PID, LOG_USER);
	syslog(LOG_WARNING, "%s", body.data);
	closelog();
	if (desktop_due())
		gfs_desktop_notify("guardfs: a credential may have been read",
				   body.data);
	gfs_buf_release(&body);
}

/* Marks the handle with serial reported, if it is still open. */
static void mark_reported(struct gfs_fs *fs, uint64_t serial)
{
	struct gfs_handle *h;

	pthread_mutex_lock(&fs->handles_lock);
	for (h = fs->open_handles; h; h = h->next)
		if (h->serial == serial)
			h->check.refused = true;
	pthread_mutex_unlock(&fs->handles_lock);
}

void gfs_kernel_reads_sample(struct gfs_fs *fs)
{
	struct changed_file *list;
	struct gfs_verdict verdict;
	size_t n, i;

	if (!fs->guards.scanner)
		return;
	pthread_mutex_lock(&fs->handles_lock);
	n = collect_changed(fs, &list);
	pthread_mutex_unlock(&fs->handles_lock);
	/* scanned outside the lock: opens and releases go on meanwhile */
	for (i = 0; i < n; i++) {
		if (gfs_scan_fd(fs->guards.scanner, fs->guards.verdicts,
				list[i].fd, fs->cfg->scan_max_size,
				&verdict) == 1) {
			report_exposed(fs, list[i].pid, list[i].uid,
				       list[i].path, &verdict);
			mark_reported(fs, list[i].serial);
		}
		close(list[i].fd);
		free(list[i].path);
	}
	free(list);
}
