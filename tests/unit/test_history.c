/*
 * The read side of the store: a store is filled through gfs_store (as
 * the mount does) on a temporary folder, then walked, diffed and
 * restored with gfs_history, and the folder compared byte for byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardfs/buf.h"
#include "guardfs/history.h"
#include "guardfs/store.h"

#include "check.h"
#include "shell.h"

static char base[256], root[300], store[300];
static int root_fd = -1;

static void put(const char *rel, const char *data, mode_t mode)
{
	int fd = openat(root_fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
			mode);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		exit(1);
	fchmod(fd, mode);
	close(fd);
}

static void after(struct gfs_store *s, enum gfs_op_kind op, const char *path,
		  const char *from)
{
	struct gfs_store_event ev = {
		.op = op,
		.path = path,
		.from = from,
		.pid = 77,
		.process = "agent",
	};

	CHECK(gfs_store_after(s, &ev, NULL) == 0);
	gfs_store_flush(s);
}

/* A listing of the folder: type, mode, name, content or target. */
static const char *listing(void)
{
	return sh("cd '%s' && find . -mindepth 1 -printf '%%y %%m %%p %%l\\n' "
		  "| sort && find . -type f | sort | xargs md5sum",
		  root);
}

struct collect {
	struct gfs_buf text;
	int commits;
	char second[41]; /* second newest commit */
};

static int collect(void *arg, const struct gfs_history_commit *c)
{
	struct collect *w = arg;
	size_t i;

	if (++w->commits == 2)
		memcpy(w->second, c->id, 41);
	for (i = 0; i < c->nops; i++)
		gfs_buf_addf(&w->text, "%s %s%s%s %s %ld|", c->ops[i].op,
			     c->ops[i].path, c->ops[i].from ? " <- " : "",
			     c->ops[i].from ? c->ops[i].from : "",
			     c->ops[i].process, c->ops[i].pid);
	gfs_buf_adds(&w->text, "\n");
	return 0;
}

static void reported(void *arg, enum gfs_history_change what, const char *path,
		     int error)
{
	static const char *const names[] = {"create", "update", "mode",
					    "remove"};

	gfs_buf_addf(arg, "%s %s %d\n", names[what], path, error);
}

/*
 * A batched commit made by hand, as the store writes one under a burst:
 * x written twice, then a temporary file created, written and renamed
 * over f. The parent holds f "old" and x "x0", the commit f "new" and
 * x "x2"; the folder is as the commit left it.
 */
static void check_batch_undo(void)
{
	struct gfs_buf rep = GFS_BUF_INIT;
	struct gfs_history *h = NULL;
	char dir[300], err[512];
	int fd, rc;

	gfs_buf_adds(&rep, ""); /* never NULL, even when nothing is reported */
	snprintf(dir, sizeof(dir), "%s/batch", base);
	sh("set -e; d='%s'; mkdir -p $d/root; cd $d; git init -q --bare -b "
	   "main s.git; "
	   "export GIT_DIR=$d/s.git GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t "
	   "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; "
	   "o=$(printf 'old\\n' | git hash-object -w --stdin); "
	   "x0=$(printf 'x0\\n' | git hash-object -w --stdin); "
	   "n=$(printf 'new\\n' | git hash-object -w --stdin); "
	   "x2=$(printf 'x2\\n' | git hash-object -w --stdin); "
	   "t1=$(printf '100644 blob %%s\\tf\\n100644 blob %%s\\tx\\n' $o $x0 "
	   "| git mktree); "
	   "t2=$(printf '100644 blob %%s\\tf\\n100644 blob %%s\\tx\\n' $n $x2 "
	   "| git mktree); "
	   "p=$(echo 'write f' | git commit-tree $t1); "
	   "m='write x (+4 more)\n\nGuardfs-Session: s\n'; "
	   "for op in 'write x' 'write x' 'create tmp' 'write tmp' "
	   "'rename f tmp'; do set -- $op; i=$((i+1)); "
	   "m=\"$m\"\"Guardfs-Op: $1\nGuardfs-Path: $2\n\"; "
	   "[ -n \"${3:-}\" ] && m=\"$m\"\"Guardfs-From: $3\n\"; "
	   "m=\"$m\"\"Guardfs-Pid: 7\nGuardfs-Process: a\nGuardfs-Seq: "
	   "$i\n\"; done; "
	   "c=$(printf \"$m\" | git commit-tree $t2 -p $p); "
	   "git update-ref refs/heads/main $c; "
	   "printf 'new\\n' >root/f; printf 'x2\\n' >root/x",
	   dir);
	CHECK(gfs_history_open(&h, sh("echo '%s/s.git'", dir), err,
			       sizeof(err)) == 0);
	if (!h)
		return;
	fd = open(sh("echo '%s/root'", dir), O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* the rename goes: f back, tmp as the rename found it */
	rc = gfs_history_undo_last(h, 1, fd, GFS_HISTORY_DRY_RUN, reported,
				   &rep);
	CHECK(rc == 0);
	CHECK_STR(rep.data, "update f 0\ncreate tmp 0\n");
	/* after the first write of x: not recorded, so x stays */
	gfs_buf_reset(&rep);
	rc = gfs_history_undo_last(h, 4, fd, GFS_HISTORY_DRY_RUN, reported,
				   &rep);
	CHECK(rc == -EBUSY);
	CHECK_STR(rep.data, "update x -61\nupdate f 0\n");
	gfs_buf_reset(&rep);
	CHECK(gfs_history_undo_last(h, 6, fd, 0, reported, &rep) == -ERANGE);
	/* one operation: the second write of x has no known state before */
	gfs_buf_reset(&rep);
	CHECK(gfs_history_undo_op(h,
				  sh("git -C '%s/s.git' rev-parse HEAD", dir),
				  2, fd, 0, reported, &rep) == -EBUSY);
	CHECK_STR(rep.data, "update x -61\n");
	/* the write of tmp: the rename changed tmp again */
	gfs_buf_reset(&rep);
	CHECK(gfs_history_undo_op(h,
				  sh("git -C '%s/s.git' rev-parse HEAD", dir),
				  4, fd, 0, reported, &rep) == -EBUSY);
	CHECK_STR(rep.data, "update tmp -16\n");
	/* the rename itself, for real */
	gfs_buf_reset(&rep);
	CHECK(gfs_history_undo_op(h,
				  sh("git -C '%s/s.git' rev-parse HEAD", dir),
				  5, fd, 0, reported, &rep) == 0);
	CHECK_STR(rep.data, "update f 0\ncreate tmp 0\n");
	CHECK_STR(sh("cd '%s/root' && head f tmp x", dir),
		  "==> f <==\nold\n\n==> tmp <==\nnew\n\n==> x <==\nx2");
	/* and the store was not written */
	CHECK_STR(sh("git -C '%s/s.git' count-objects | cut -d' ' -f1", dir),
		  "8");
	close(fd);
	gfs_history_free(h);
	gfs_buf_release(&rep);
}

/*
 * Paths a restore adds, whatever stands at them: the parent commit holds
 * eight entries, the store's latest none. A restore writes each new file
 * with its create, so what an existing name holds is judged only then:
 * recorded content is replaced, unrecorded content, a directory or a
 * file where a link comes back are left alone unless forced, and every
 * new file has the store's bytes and mode.
 */
static void check_added(void)
{
	struct gfs_buf rep = GFS_BUF_INIT;
	struct gfs_history *h = NULL;
	char dir[300], err[512], parent[41];
	int fd, rc;

	gfs_buf_adds(&rep, "");
	snprintf(dir, sizeof(dir), "%s/added", base);
	sh("set -e; d='%s'; mkdir -p $d/root; cd $d; git init -q --bare -b "
	   "main s.git; "
	   "export GIT_DIR=$d/s.git GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t "
	   "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; "
	   "b() { printf \"$1\" | git hash-object -w --stdin; }; "
	   "e=$(printf '100644 blob %%s\\te.txt\\n' $(b 'e\\n') | git mktree); "
	   "t=$(printf '100644 blob %%s\\ta.txt\\n100644 blob %%s\\tb.txt\\n"
	   "100644 blob %%s\\tc.txt\\n100644 blob %%s\\td.txt\\n"
	   "040000 tree %%s\\tdir\\n120000 blob %%s\\tl\\n"
	   "120000 blob %%s\\ts2\\n100755 blob %%s\\tx.sh\\n' "
	   "$(b 'a\\n') $(b 'b\\n') $(b 'c\\n') $(b 'd\\n') $e $(b a.txt) "
	   "$(b dir) $(b '#!/bin/sh\\n') | git mktree); "
	   "p=$(echo 'write all' | git commit-tree $t); "
	   "c=$(echo 'remove all' | git commit-tree $(git mktree </dev/null) "
	   "-p $p); git update-ref refs/heads/main $c; "
	   "cd root; printf 'mine\\n' >b.txt; printf 'a\\n' >c.txt; "
	   "mkdir d.txt; printf 'not a link\\n' >s2",
	   dir);
	CHECK(gfs_history_open(&h, sh("echo '%s/s.git'", dir), err,
			       sizeof(err)) == 0);
	if (!h)
		return;
	snprintf(parent, sizeof(parent), "%s",
		 sh("git -C '%s/s.git' rev-parse HEAD^", dir));
	fd = open(sh("echo '%s/root'", dir), O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* the dry run plans what the restore then does */
	rc = gfs_history_restore(h, parent, NULL, 0, fd, GFS_HISTORY_DRY_RUN,
				 reported, &rep);
	CHECK(rc == -EEXIST);
	CHECK_STR(rep.data, "create a.txt 0\ncreate b.txt -17\ncreate c.txt 0\n"
			    "create d.txt -17\ncreate dir/e.txt 0\n"
			    "create l 0\ncreate s2 -17\ncreate x.sh 0\n");
	gfs_buf_reset(&rep);
	rc = gfs_history_restore(h, parent, NULL, 0, fd, 0, reported, &rep);
	CHECK(rc == -EEXIST);
	CHECK_STR(rep.data, "create a.txt 0\ncreate b.txt -17\ncreate c.txt 0\n"
			    "create d.txt -17\ncreate dir/e.txt 0\n"
			    "create l 0\ncreate s2 -17\ncreate x.sh 0\n");
	CHECK_STR(sh("cd '%s/root' && find . -mindepth 1 -printf "
		     "'%%y %%m %%p %%l\\n' | LC_ALL=C sort && cat a.txt b.txt "
		     "c.txt dir/e.txt s2 x.sh",
		     dir),
		  "d 755 ./d.txt \n"
		  "d 755 ./dir \n"
		  "f 644 ./a.txt \n"
		  "f 644 ./b.txt \n"
		  "f 644 ./c.txt \n"
		  "f 644 ./dir/e.txt \n"
		  "f 644 ./s2 \n"
		  "f 755 ./x.sh \n"
		  "l 777 ./l a.txt\n"
		  "a\nmine\nc\ne\nnot a link\n#!/bin/sh");
	/* forced: the file and the link are replaced, a directory is not */
	gfs_buf_reset(&rep);
	rc = gfs_history_restore(h, parent, NULL, 0, fd, GFS_HISTORY_FORCE,
				 reported, &rep);
	CHECK(rc == -EISDIR);
	CHECK_STR(rep.data, "create a.txt 0\ncreate b.txt 0\ncreate c.txt 0\n"
			    "create d.txt -21\ncreate dir/e.txt 0\n"
			    "create l 0\ncreate s2 0\ncreate x.sh 0\n");
	CHECK_STR(sh("cd '%s/root' && find . -mindepth 1 -printf "
		     "'%%y %%m %%p %%l\\n' | LC_ALL=C sort && cat b.txt",
		     dir),
		  "d 755 ./d.txt \n"
		  "d 755 ./dir \n"
		  "f 644 ./a.txt \n"
		  "f 644 ./b.txt \n"
		  "f 644 ./c.txt \n"
		  "f 644 ./dir/e.txt \n"
		  "f 755 ./x.sh \n"
		  "l 777 ./l a.txt\n"
		  "l 777 ./s2 dir\n"
		  "b");
	close(fd);
	gfs_history_free(h);
	gfs_buf_release(&rep);
}

/*
 * A restore large enough to be applied by several threads (runs of one
 * directory each, a flat directory shared): the report in the diff's
 * order, every file's bytes and mode, then the same files removed.
 */
static void check_many(void)
{
	struct gfs_buf rep = GFS_BUF_INIT;
	struct gfs_history *h = NULL;
	char dir[300], err[512], full[41], empty[41];
	int fd, rc;

	gfs_buf_adds(&rep, "");
	snprintf(dir, sizeof(dir), "%s/many", base);
	sh("set -e; d='%s'; mkdir -p $d/root $d/want; cd $d; git init -q "
	   "--bare -b main s.git; "
	   "export GIT_DIR=$d/s.git GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t "
	   "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; "
	   "b() { printf '%%s\\n' \"$1\" | git hash-object -w --stdin; }; "
	   "for x in a b c; do t=$(for i in $(seq 10 49); do "
	   "printf '100644 blob %%s\\tf%%s\\n' $(b $x$i) $i; done | git "
	   "mktree); "
	   "printf '040000 tree %%s\\t%%s\\n' $t $x; done >top; "
	   "for i in $(seq 100 199); do m=100644; [ $((i %% 7)) = 0 ] && "
	   "m=100755; printf '%%s blob %%s\\tg%%s\\n' $m $(b g$i) $i; "
	   "done >>top; "
	   "e=$(echo none | git commit-tree $(git mktree </dev/null)); "
	   "f=$(echo all | git commit-tree $(git mktree <top) -p $e); "
	   "git update-ref refs/heads/main $e; echo $e >empty; echo $f >full; "
	   "git -c tar.umask=022 archive $f | tar -x -C want",
	   dir);
	CHECK(gfs_history_open(&h, sh("echo '%s/s.git'", dir), err,
			       sizeof(err)) == 0);
	if (!h)
		return;
	snprintf(full, sizeof(full), "%s", sh("cat '%s/full'", dir));
	snprintf(empty, sizeof(empty), "%s", sh("cat '%s/empty'", dir));
	fd = open(sh("echo '%s/root'", dir), O_PATH | O_DIRECTORY | O_CLOEXEC);

	rc = gfs_history_restore(h, full, NULL, 0, fd, 0, reported, &rep);
	CHECK(rc == 0);
	CHECK(rep.len && rep.data[rep.len - 1] == '\n');
	if (rep.len) /* as sh() leaves its output */
		rep.data[--rep.len] = '\0';
	CHECK_STR(rep.data, sh("git -C '%s/s.git' ls-tree -r --name-only %s | "
			       "sed 's/^/create /; s/$/ 0/'",
			       dir, full));
	CHECK_STR(sh("cd '%s' && diff -r root want && for t in root want; do "
		     "(cd $t && find . -printf '%%y %%m %%p\\n' | LC_ALL=C "
		     "sort | md5sum); done | uniq | wc -l",
		     dir),
		  "1");
	/* the store's latest holds them all: a restore to none removes them */
	sh("git -C '%s/s.git' update-ref refs/heads/main %s", dir, full);
	gfs_buf_reset(&rep);
	rc = gfs_history_restore(h, empty, NULL, 0, fd, 0, reported, &rep);
	CHECK(rc == 0);
	CHECK(rep.len && rep.data[rep.len - 1] == '\n');
	if (rep.len)
		rep.data[--rep.len] = '\0';
	CHECK_STR(rep.data, sh("git -C '%s/s.git' ls-tree -r --name-only %s | "
			       "sed 's/^/remove /; s/$/ 0/'",
			       dir, full));
	CHECK_STR(sh("ls -A '%s/root' | wc -l", dir), "0");
	close(fd);
	gfs_history_free(h);
	gfs_buf_release(&rep);
}

int main(void)
{
	struct gfs_store_opts o = {0};
	struct gfs_buf out = GFS_BUF_INIT, rep = GFS_BUF_INIT;
	struct collect w = {.text = GFS_BUF_INIT};
	struct gfs_history *h = NULL;
	struct gfs_store *s = NULL;
	char err[512], session[41], id[41], before_id[41];
	char *before;
	int rc;

	snprintf(base, sizeof(base), "/tmp/gfs-history-XXXXXX");
	if (!mkdtemp(base))
		return 1;
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(store, sizeof(store), "%s/store.git", base);
	mkdir(root, 0755);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	put("a.txt", "one\n", 0644);
	mkdirat(root_fd, "src", 0755);
	put("src/run.sh", "#!/bin/sh\n", 0755);
	mkdirat(root_fd, "proj", 0755);
	mkdirat(root_fd, "proj/.git", 0755);
	put("proj/.git/HEAD", "ref: x\n", 0644);
	symlinkat("a.txt", root_fd, "ln");
	mkdirat(root_fd, "empty", 0755);
	mkdirat(root_fd, "src/emptysub", 0755);
	before = strdup(listing());

	o.store_path = store;
	o.root_fd = root_fd;
	o.root_path = root;
	CHECK(gfs_store_open(&s, &o, err, sizeof(err)) == 0);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* the damage: overwrite, rename over, chmod, rm -rf, symlink swap */
	CHECK(gfs_store_before(s, "a.txt", 0) == 0);
	put("a.txt", "two\n", 0644);
	after(s, GFS_OP_WRITE, "a.txt", NULL);
	put("tmp", "three\n", 0644);
	after(s, GFS_OP_CREATE, "tmp", NULL);
	CHECK(gfs_store_before(s, "a.txt", GFS_STORE_REMOVING) == 0);
	CHECK(renameat(root_fd, "tmp", root_fd, "a.txt") == 0);
	after(s, GFS_OP_RENAME, "a.txt", "tmp");
	CHECK(gfs_store_before(s, "src/run.sh", 0) == 0);
	CHECK(fchmodat(root_fd, "src/run.sh", 0644, 0) == 0);
	after(s, GFS_OP_CHMOD, "src/run.sh", NULL);
	CHECK(gfs_store_before(s, "proj/.git/HEAD", 0) == 0);
	CHECK(unlinkat(root_fd, "proj/.git/HEAD", 0) == 0);
	after(s, GFS_OP_UNLINK, "proj/.git/HEAD", NULL);
	CHECK(gfs_store_before(s, "proj/.git", GFS_STORE_SUBTREE) == 0);
	CHECK(unlinkat(root_fd, "proj/.git", AT_REMOVEDIR) == 0);
	after(s, GFS_OP_RMDIR, "proj/.git", NULL);
	CHECK(gfs_store_before(s, "ln", 0) == 0);
	CHECK(unlinkat(root_fd, "ln", 0) == 0);
	CHECK(symlinkat("src", root_fd, "ln") == 0);
	after(s, GFS_OP_SYMLINK, "ln", NULL);
	/* empty directories: one removed, one made */
	CHECK(gfs_store_before(s, "src/emptysub", GFS_STORE_SUBTREE) == 0);
	CHECK(unlinkat(root_fd, "src/emptysub", AT_REMOVEDIR) == 0);
	after(s, GFS_OP_RMDIR, "src/emptysub", NULL);
	CHECK(mkdirat(root_fd, "newempty", 0755) == 0);
	after(s, GFS_OP_MKDIR, "newempty", NULL);
	put("new.txt", "created\n", 0644);
	after(s, GFS_OP_CREATE, "new.txt", NULL);
	gfs_store_close(s);

	CHECK(gfs_history_open(&h, store, err, sizeof(err)) == 0);
	if (!h)
		return 1;
	/* every operation listed, newest commit first, trailers parsed */
	CHECK(gfs_history_walk(h, collect, &w) == 0);
	CHECK(strstr(w.text.data, "create new.txt agent 77|") != NULL);
	CHECK(strstr(w.text.data, "rename a.txt <- tmp agent 77|") != NULL);
	CHECK(strstr(w.text.data, "unlink proj/.git/HEAD agent 77|") != NULL);
	CHECK(!strncmp(w.text.data, "create new.txt", 14));
	CHECK(strstr(w.text.data, "session-start ") != NULL);

	/* resolving */
	CHECK(gfs_history_resolve(h, "session", time(NULL), session, err,
				  sizeof(err)) == 0);
	CHECK(gfs_history_resolve(h, "1d", time(NULL), id, err, sizeof(err)) ==
	      -ENOENT);
	CHECK(gfs_history_resolve(h, "deadbeef", time(NULL), id, err,
				  sizeof(err)) == -ENOENT);
	CHECK_STR(err, "no snapshot with id 'deadbeef'");
	CHECK(gfs_history_resolve(h, "zz", time(NULL), id, err, sizeof(err)) ==
	      -EINVAL);
	CHECK(gfs_history_resolve(h, "0s", time(NULL), id, err, sizeof(err)) ==
	      0);
	{
		char prefix[9];

		memcpy(prefix, session, 8);
		prefix[8] = '\0';
		CHECK(gfs_history_resolve(h, prefix, time(NULL), id, err,
					  sizeof(err)) == 0);
		CHECK(!strcmp(id, session));
	}

	/* a diff since the session, limited to one path */
	{
		const char *one[] = {"a.txt"};
		char head[41];

		CHECK(gfs_history_resolve(h, "HEAD", time(NULL), head, err,
					  sizeof(err)) == 0);
		CHECK(gfs_history_diff(h, session, head, one, 1, &out) == 0);
		CHECK(strstr(out.data, "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n"
				       "-one\n+three\n") != NULL);
		gfs_buf_reset(&out);
		/* one operation: the newest, create new.txt */
		CHECK(gfs_history_diff(h, head, NULL, NULL, 0, &out) == 0);
		CHECK(strstr(out.data, "new file mode 100644") != NULL);
		CHECK(strstr(out.data, "+created") != NULL);
	}

	/* the store's names for .git come back as the folder's */
	{
		char head[41];
		const char *one[] = {"proj/.git/HEAD"};

		gfs_buf_reset(&out);
		CHECK(gfs_history_resolve(h, "HEAD", time(NULL), head, err,
					  sizeof(err)) == 0);
		CHECK(gfs_history_diff(h, session, head, one, 1, &out) == 0);
		CHECK(strstr(out.data, "--- a/proj/.git/HEAD\n") != NULL);
		CHECK(strstr(out.data, "~guardfs") == NULL);
	}

	/* before the last change of a.txt: the rename over it */
	CHECK(gfs_history_before_last_change(h, "a.txt", before_id) == 0);
	{
		const char *one[] = {"a.txt"};

		CHECK(gfs_history_restore(h, before_id, one, 1, root_fd, 0,
					  NULL, NULL) == 0);
		CHECK_STR(sh("cat '%s/a.txt'", root), "two");
	}

	/* an unrecorded change is left alone unless forced */
	put("new.txt", "edited behind the store\n", 0644);
	rc = gfs_history_restore(h, session, NULL, 0, root_fd,
				 GFS_HISTORY_DRY_RUN, reported, &rep);
	CHECK(rc == -EEXIST);
	CHECK(strstr(rep.data, "remove new.txt -17\n") != NULL);
	CHECK(strstr(rep.data, "create proj/.git/HEAD 0\n") != NULL);
	CHECK_STR(sh("cat '%s/new.txt'", root), "edited behind the store");

	/* the whole folder back to the session start, byte for byte */
	gfs_buf_reset(&rep);
	rc = gfs_history_restore(h, session, NULL, 0, root_fd,
				 GFS_HISTORY_FORCE, reported, &rep);
	CHECK(rc == 0);
	CHECK_STR(listing(), before);

	/* revert one commit: new.txt's creation; a.txt's is refused later */
	gfs_history_free(h);
	h = NULL;
	CHECK(gfs_store_open(&s, &o, err, sizeof(err)) == 0);
	if (s) {
		put("b.txt", "bee\n", 0644);
		after(s, GFS_OP_CREATE, "b.txt", NULL);
		CHECK(gfs_store_before(s, "a.txt", 0) == 0);
		put("a.txt", "four\n", 0644);
		after(s, GFS_OP_WRITE, "a.txt", NULL);
		gfs_store_close(s);
	}
	CHECK(gfs_history_open(&h, store, err, sizeof(err)) == 0);
	if (!h)
		return 1;
	gfs_buf_release(&w.text);
	memset(&w, 0, sizeof(w));
	CHECK(gfs_history_walk(h, collect, &w) == 0);
	gfs_buf_reset(&rep);
	CHECK(gfs_history_revert(h, w.second, root_fd, 0, reported, &rep) == 0);
	CHECK_STR(rep.data, "remove b.txt 0\n");
	CHECK(faccessat(root_fd, "b.txt", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
	CHECK_STR(sh("cat '%s/a.txt'", root), "four");

	gfs_history_free(h);
	check_batch_undo();
	check_added();
	check_many();
	gfs_buf_release(&out);
	gfs_buf_release(&rep);
	gfs_buf_release(&w.text);
	free(before);
	return finish_scratch(base);
}
