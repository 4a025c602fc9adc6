/*
 * guardfs prune: dropping whole old sessions from the store.
 *
 * Every commit's tree is the whole folder, so the oldest kept commit
 * (a session-start, the folder as that session found it) can stand as
 * the root of history alone: the kept commits are written again, oldest
 * first, each with its tree, author, committer and message and its new
 * parent, and the branch moves to the new tip. Then everything reachable
 * from it is written into one new pack and every other pack and loose
 * object is deleted, which is what frees the space (as git gc --prune=now
 * would). The store's flock keeps a mount out meanwhile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history_internal.h"

struct prune_commit {
	git_oid id;
	int64_t time;
	char *session;
};

struct prune_walk {
	struct prune_commit *c;
	size_t n;
};

static int collect(void *arg, const struct gfs_history_commit *c)
{
	struct prune_walk *w = arg;
	void *grown = realloc(w->c, (w->n + 1) * sizeof(*w->c));

	if (!grown)
		return -ENOMEM;
	w->c = grown;
	git_oid_fromstr(&w->c[w->n].id, c->id);
	w->c[w->n].time = c->time;
	w->c[w->n].session = strdup(c->session);
	if (!w->c[w->n].session)
		return -ENOMEM;
	w->n++;
	return 0;
}

/* Rewrites commits[n-1] (oldest kept) .. commits[0] without their past. */
static int rewrite(struct gfs_history *h, const struct prune_commit *c,
		   size_t n, git_oid *tip)
{
	git_oid parent;
	size_t i;

	for (i = n; i-- > 0;) {
		git_commit *old = NULL;
		git_tree *tree = NULL;
		git_commit *p = NULL;
		const git_commit *parents[1];
		int err;

		if (git_commit_lookup(&old, h->repo, &c[i].id) ||
		    git_commit_tree(&tree, old) ||
		    (i != n - 1 && git_commit_lookup(&p, h->repo, &parent))) {
			git_tree_free(tree);
			git_commit_free(old);
			return gfs_history_git_error("read a kept commit");
		}
		parents[0] = p;
		err = git_commit_create(
			&parent, h->repo, NULL, git_commit_author(old),
			git_commit_committer(old),
			git_commit_message_encoding(old),
			git_commit_message(old), tree, p ? 1 : 0, parents);
		git_commit_free(p);
		git_tree_free(tree);
		git_commit_free(old);
		if (err)
			return gfs_history_git_error("write a kept commit");
	}
	git_oid_cpy(tip, &parent);
	return 0;
}

static bool is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/*
 * Packs everything reachable from tip into one new pack, then deletes
 * every other pack and every loose object.
 */
static int repack(struct gfs_history *h, const git_oid *tip)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	struct gfs_buf dir = GFS_BUF_INIT, file = GFS_BUF_INIT;
	char keep[GIT_OID_HEXSZ + 1];
	DIR *d = NULL;
	struct dirent *e;
	int rc = 0;

	if (git_packbuilder_new(&pb, h->repo) ||
	    git_revwalk_new(&walk, h->repo) || git_revwalk_push(walk, tip) ||
	    git_packbuilder_insert_walk(pb, walk)) {
		rc = gfs_history_git_error("gather the kept objects");
		goto out;
	}
	gfs_buf_addf(&dir, "%sobjects/pack", git_repository_path(h->repo));
	if (git_packbuilder_write(pb, dir.data, 0, NULL, NULL)) {
		rc = gfs_history_git_error("write the new pack");
		goto out;
	}
	snprintf(keep, sizeof(keep), "%s", git_packbuilder_name(pb));
	/* the new pack is whole and indexed: the rest can go */
	d = opendir(dir.data);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "pack-", 5) ||
		    !strncmp(e->d_name + 5, keep, strlen(keep)))
			continue;
		gfs_buf_reset(&file);
		gfs_buf_addf(&file, "%s/%s", dir.data, e->d_name);
		unlink(file.data);
	}
	if (d)
		closedir(d);
	gfs_buf_reset(&dir);
	gfs_buf_addf(&dir, "%sobjects", git_repository_path(h->repo));
	d = opendir(dir.data);
	while (d && (e = readdir(d))) {
		DIR *sub;
		struct dirent *o;

		if (!is_hex2(e->d_name))
			continue;
		gfs_buf_reset(&file);
		gfs_buf_addf(&file, "%s/%s", dir.data, e->d_name);
		sub = opendir(file.data);
		while (sub && (o = readdir(sub))) {
			struct gfs_buf obj = GFS_BUF_INIT;

			if (o->d_name[0] == '.')
				continue;
			gfs_buf_addf(&obj, "%s/%s", file.data, o->d_name);
			unlink(obj.data);
			gfs_buf_release(&obj);
		}
		if (sub)
			closedir(sub);
		rmdir(file.data);
	}
	if (d)
		closedir(d);
out:
	gfs_buf_release(&dir);
	gfs_buf_release(&file);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return rc;
}

/* The journal must be empty: its versions are committed at the next mount. */
static bool journal_empty(struct gfs_history *h)
{
	struct gfs_buf path = GFS_BUF_INIT;
	struct stat st;
	bool empty;

	gfs_buf_addf(&path, "%sguardfs-journal", git_repository_path(h->repo));
	empty = stat(path.data, &st) || st.st_size == 0;
	gfs_buf_release(&path);
	return empty;
}

int gfs_history_prune(struct gfs_history *h, int64_t cutoff, bool dry_run,
		      gfs_history_prune_report report, void *arg)
{
	struct prune_walk w = {0};
	struct gfs_buf lock = GFS_BUF_INIT;
	size_t i, keep, start;
	git_reference *head = NULL, *moved = NULL;
	git_oid tip;
	int fd = -1, rc;

	/* one daemon per store holds this flock: none may run meanwhile */
	gfs_buf_addf(&lock, "%sguardfs.lock", git_repository_path(h->repo));
	fd = open(lock.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	gfs_buf_release(&lock);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	if (!journal_empty(h)) {
		rc = -EAGAIN;
		goto out;
	}
	rc = gfs_history_walk(h, collect, &w);
	if (rc < 0)
		goto out;
	rc = 0;
	/* the newest session always stays; then each that ended after cutoff */
	for (keep = 0; keep < w.n && !strcmp(w.c[keep].session, w.c[0].session);
	     keep++)
		;
	while (keep < w.n && w.c[keep].time >= cutoff) {
		const char *s = w.c[keep].session;

		while (keep < w.n && !strcmp(w.c[keep].session, s))
			keep++;
	}
	/* what goes, a session at a time (newest first) */
	for (start = keep; start < w.n && report;) {
		size_t end = start;

		while (end < w.n &&
		       !strcmp(w.c[end].session, w.c[start].session))
			end++;
		report(arg, w.c[start].session, w.c[end - 1].time,
		       w.c[start].time, end - start);
		start = end;
	}
	if (dry_run || keep == w.n)
		goto out;
	rc = rewrite(h, w.c, keep, &tip);
	if (!rc &&
	    (git_repository_head(&head, h->repo) ||
	     git_reference_set_target(&moved, head, &tip, "guardfs prune")))
		rc = gfs_history_git_error("move the branch");
	if (!rc)
		rc = repack(h, &tip);
out:
	git_reference_free(moved);
	git_reference_free(head);
	for (i = 0; i < w.n; i++)
		free(w.c[i].session);
	free(w.c);
	if (fd >= 0)
		close(fd);
	return rc;
}
