/*
 * guardfs check: the store's integrity, as far as a reader can tell.
 * Every commit reachable from the branch is read, and every tree and
 * blob they name (libgit2 verifies each object's hash as it reads it);
 * every commit after the first must list its operations; then
 * guardfs's own files: the stat index (STORE/guardfs-index, a cache:
 * only its form matters) and the relied-version journal
 * (STORE/guardfs-journal: every version it names must be in the store,
 * or the session that relied on it lost it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history_internal.h"

/* The objects already read, so that a tree shared by commits is read once. */
struct oid_set {
	git_oid *slots;
	bool *used;
	size_t cap, n;
};

static size_t slot_of(const struct oid_set *s, const git_oid *id)
{
	uint64_t h;
	size_t i;

	memcpy(&h, id->id, sizeof(h));
	for (i = h & (s->cap - 1);
	     s->used[i] && !git_oid_equal(&s->slots[i], id);
	     i = (i + 1) & (s->cap - 1))
		;
	return i;
}

/* 1 when id was new (now added), 0 when seen, -ENOMEM. */
static int set_add(struct oid_set *s, const git_oid *id)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct oid_set bigger = {.cap = s->cap ? s->cap * 2 : 1024};

		bigger.slots = calloc(bigger.cap, sizeof(git_oid));
		bigger.used = calloc(bigger.cap, sizeof(bool));
		if (!bigger.slots || !bigger.used) {
			free(bigger.slots);
			free(bigger.used);
			return -ENOMEM;
		}
		for (i = 0; i < s->cap; i++) {
			if (!s->used[i])
				continue;
			size_t j = slot_of(&bigger, &s->slots[i]);

			bigger.slots[j] = s->slots[i];
			bigger.used[j] = true;
		}
		bigger.n = s->n;
		free(s->slots);
		free(s->used);
		*s = bigger;
	}
	i = slot_of(s, id);
	if (s->used[i])
		return 0;
	s->slots[i] = *id;
	s->used[i] = true;
	s->n++;
	return 1;
}

struct checker {
	struct gfs_history *h;
	struct gfs_history_check *out;
	gfs_history_problem problem;
	void *arg;
	struct oid_set seen;
	git_odb *odb;
};

static void say(struct checker *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct checker *k, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	k->out->problems++;
	k->problem(k->arg, text);
}

static const char *git_why(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unreadable";
}

static int check_blob(struct checker *k, const git_oid *id, const char *path)
{
	git_odb_object *obj = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int fresh = set_add(&k->seen, id);

	if (fresh <= 0)
		return fresh;
	k->out->blobs++;
	if (git_odb_read(&obj, k->odb, id)) {
		git_oid_tostr(hex, sizeof(hex), id);
		say(k, "blob %s of '%s': %s", hex, path, git_why());
		return 0;
	}
	git_odb_object_free(obj);
	return 0;
}

static int check_tree(struct checker *k, const git_oid *id,
		      struct gfs_buf *path, unsigned depth)
{
	git_tree *tree = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, n, base = path->len;
	int fresh = set_add(&k->seen, id), rc = 0;

	if (fresh <= 0)
		return fresh;
	k->out->trees++;
	if (git_tree_lookup(&tree, k->h->repo, id)) {
		git_oid_tostr(hex, sizeof(hex), id);
		say(k, "tree %s of '%s/': %s", hex, path->len ? path->data : "",
		    git_why());
		return 0;
	}
	if (depth > 4096) {
		git_tree_free(tree);
		return -ELOOP;
	}
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_filemode_t mode = git_tree_entry_filemode(e);

		path->len = base;
		if (base)
			gfs_buf_addch(path, '/');
		gfs_buf_adds(path, git_tree_entry_name(e));
		if (mode == GIT_FILEMODE_TREE)
			rc = check_tree(k, git_tree_entry_id(e), path,
					depth + 1);
		else if (mode != GIT_FILEMODE_COMMIT)
			rc = check_blob(k, git_tree_entry_id(e), path->data);
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	git_tree_free(tree);
	return rc;
}

static int check_commits(struct checker *k)
{
	git_revwalk *walk = NULL;
	struct gfs_buf path = GFS_BUF_INIT;
	git_oid oid;
	int rc = 0, gerr;

	if (git_revwalk_new(&walk, k->h->repo))
		return gfs_history_git_error("walk history");
	gerr = git_revwalk_push_head(walk);
	if (gerr == GIT_ENOTFOUND || gerr == GIT_EUNBORNBRANCH) {
		git_revwalk_free(walk);
		return 0;
	}
	if (gerr) {
		say(k, "the branch: %s", git_why());
		git_revwalk_free(walk);
		return 0;
	}
	while (!rc && !(gerr = git_revwalk_next(&oid, walk))) {
		git_commit *c = NULL;
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &oid);
		k->out->commits++;
		if (git_commit_lookup(&c, k->h->repo, &oid)) {
			say(k, "commit %s: %s", hex, git_why());
			continue;
		}
		if (!strstr(git_commit_message(c), "\nGuardfs-Op: "))
			say(k,
			    "commit %s lists no operation (not written by "
			    "guardfs?)",
			    hex);
		rc = check_tree(k, git_commit_tree_id(c), &path, 0);
		git_commit_free(c);
	}
	if (!rc && gerr && gerr != GIT_ITEROVER)
		say(k, "history breaks off: %s", git_why());
	gfs_buf_release(&path);
	git_revwalk_free(walk);
	return rc;
}

/* Reads STORE/name whole; 1 when read, 0 when it does not exist. */
static int read_store_file(struct checker *k, const char *name,
			   struct gfs_buf *data)
{
	struct gfs_buf path = GFS_BUF_INIT;
	int fd, rc;

	rc = gfs_buf_addf(&path, "%s%s", git_repository_path(k->h->repo), name);
	fd = rc ? -1 : open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		if (rc)
			say(k, "%s: %s", name, strerror(errno));
		gfs_buf_release(&path);
		return 0;
	}
	rc = gfs_buf_read_fd(data, fd);
	close(fd);
	gfs_buf_release(&path);
	if (rc) {
		say(k, "%s: cannot read it", name);
		return 0;
	}
	return 1;
}

static void check_index(struct checker *k)
{
	struct gfs_buf data = GFS_BUF_INIT;
	size_t magic = strlen(GFS_STORE_INDEX_MAGIC), pos;

	if (!read_store_file(k, "guardfs-index", &data))
		goto out;
	k->out->index = true;
	if (data.len < magic ||
	    memcmp(data.data, GFS_STORE_INDEX_MAGIC, magic)) {
		say(k, "guardfs-index: not an index (its first bytes are "
		       "wrong); the next mount rereads the folder instead");
		goto out;
	}
	for (pos = magic; pos < data.len;) {
		struct gfs_store_index_record rec;
		uint16_t len;
		git_oid id;

		if (pos + sizeof(len) > data.len) {
			say(k, "guardfs-index: cut short after %zu records",
			    k->out->index_records);
			break;
		}
		memcpy(&len, data.data + pos, sizeof(len));
		pos += sizeof(len);
		if (!len || pos + len + sizeof(rec) > data.len ||
		    memchr(data.data + pos, '\0', len)) {
			say(k,
			    "guardfs-index: record %zu is malformed or cut "
			    "short",
			    k->out->index_records + 1);
			break;
		}
		memcpy(&rec, data.data + pos + len, sizeof(rec));
		pos += len + sizeof(rec);
		k->out->index_records++;
		git_oid_fromraw(&id, rec.oid);
		/* a cache: a record of a blob no longer kept is only stale */
		if (!git_odb_exists(k->odb, &id))
			k->out->index_stale++;
	}
out:
	gfs_buf_release(&data);
}

static void check_journal(struct checker *k)
{
	struct gfs_buf data = GFS_BUF_INIT;
	size_t pos = 0;

	if (!read_store_file(k, "guardfs-journal", &data))
		goto out;
	while (pos < data.len) {
		char *rec = data.data + pos, *hex;
		size_t len = strnlen(rec, data.len - pos);
		unsigned long mode;
		git_oid id;

		if (pos + len >= data.len) {
			/* a write cut by a kill: the daemon skips it too */
			k->out->journal_torn = true;
			break;
		}
		pos += len + 1;
		k->out->journal_records++;
		mode = strtoul(rec, &hex, 8);
		if (*hex != ' ' || strlen(hex + 1) < GIT_OID_HEXSZ + 2 ||
		    git_oid_fromstrn(&id, hex + 1, GIT_OID_HEXSZ) ||
		    hex[1 + GIT_OID_HEXSZ] != ' ' ||
		    (mode != 0100644 && mode != 0100755 && mode != 0120000)) {
			say(k, "guardfs-journal: record %zu is malformed",
			    k->out->journal_records);
			continue;
		}
		if (!git_odb_exists(k->odb, &id))
			say(k,
			    "guardfs-journal: the version of '%s' a session "
			    "relied on (blob %.10s) is not in the store: lost",
			    hex + 2 + GIT_OID_HEXSZ, hex + 1);
	}
out:
	gfs_buf_release(&data);
}

int gfs_history_check(struct gfs_history *h, struct gfs_history_check *out,
		      gfs_history_problem problem, void *arg)
{
	struct checker k = {.h = h, .out = out, .problem = problem, .arg = arg};
	int rc;

	memset(out, 0, sizeof(*out));
	if (git_repository_odb(&k.odb, h->repo))
		return gfs_history_git_error("open the object database");
	rc = check_commits(&k);
	if (!rc) {
		check_index(&k);
		check_journal(&k);
	}
	free(k.seen.slots);
	free(k.seen.used);
	git_odb_free(k.odb);
	return rc;
}
