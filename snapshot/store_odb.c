/*
 * The store's object database: its two backends, and how the worker
 * writes objects into it.
 *
 * git_odb_write does two things per object that cost more than the
 * write itself when objects are small and many (a journal's blob, a tree
 * and a commit per sqlite transaction; a blob per file of an extract):
 * it "freshens" an object already there (an utimensat on the loose file,
 * which exists to keep it out of git gc's grace-period pruning; this
 * store never runs gc), and when the object is not found it rescans the
 * pack directory (an open, a listing) and looks again. Here the id is
 * hashed, looked up in the backends as they stand, and the loose backend
 * writes it when it is absent (store_loose.c, or libgit2's loose
 * backend where that cannot). An object the packer has just moved into
 * a pack this handle has not seen is then written loose once more: a
 * duplicate, never a loss, as the packer deletes only what its pack holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include "store_internal.h"

/*
 * A handle on the store's objects: a loose backend that writes, and the
 * packs. The store has one (s->odb); another thread opens its own (a
 * large file's previous chunks may be packed by now).
 */
int gfs_store_odb_open_second(const struct gfs_store *s, git_odb **out,
			      git_odb_backend **loose_out)
{
	git_odb_backend *loose = NULL, *pack = NULL;
	char objects[4096];

	*out = NULL;
	*loose_out = NULL;
	snprintf(objects, sizeof(objects), "%s/objects", s->store_path);
	if (git_odb_new(out) ||
	    git_odb_backend_loose(&loose, objects, GFS_STORE_LOOSE_ZLIB_LEVEL,
				  0, 0, 0) ||
	    git_odb_add_backend(*out, loose, 1))
		goto fail;
	*loose_out = loose; /* the odb owns it now */
	loose = NULL;
	if (git_odb_backend_pack(&pack, objects) ||
	    git_odb_add_backend(*out, pack, 2))
		goto fail;
	return 0;
fail:
	if (loose)
		loose->free(loose);
	if (pack)
		pack->free(pack);
	git_odb_free(*out);
	*out = NULL;
	*loose_out = NULL;
	return -EIO;
}

int gfs_store_odb_open(struct gfs_store *s)
{
	int rc = gfs_store_odb_open_second(s, &s->odb, &s->loose);

	if (!rc)
		git_repository_set_odb(s->repo, s->odb);
	if (!rc)
		gfs_loose_init(&s->loose_whole, s->objects_dir);
	return rc;
}

int gfs_store_write_absent(struct gfs_loose *whole, git_odb_backend *loose,
			   git_odb *odb, git_oid *oid, const void *data,
			   size_t len, git_object_t type)
{
	if (whole && !gfs_loose_write(whole, oid, data, len, type))
		return 0;
	if (loose && loose->write &&
	    loose->write(loose, oid, data, len, type) == 0)
		return 0;
	/* the general path, whatever the loose backend said */
	return git_odb_write(oid, odb, data, len, type) ? -EIO : 0;
}

int gfs_store_odb_write(struct gfs_store *s, git_oid *out, const void *data,
			size_t len, git_object_t type)
{
	if (!data)
		data = "";
	if (git_odb_hash(out, data, len, type))
		return -EIO;
	if (git_odb_exists_ext(s->odb, out, GIT_ODB_LOOKUP_NO_REFRESH))
		return 0;
	return gfs_store_write_absent(&s->loose_whole, s->loose, s->odb, out,
				      data, len, type);
}

/* Appends a signature line the way git writes one: "who <mail> t +hhmm". */
static int add_signature(struct gfs_buf *b, const char *header,
			 const git_signature *sig)
{
	int offset = sig->when.offset;
	char sign = offset < 0 || sig->when.sign == '-' ? '-' : '+';

	if (offset < 0)
		offset = -offset;
	return gfs_buf_addf(b, "%s %s <%s> %lld %c%02d%02d\n", header,
			    sig->name, sig->email, (long long)sig->when.time,
			    sign, offset / 60, offset % 60);
}

int gfs_store_odb_commit(struct gfs_store *s, git_oid *out,
			 const git_signature *sig, const git_oid *tree,
			 const git_oid *parent, const char *message)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct gfs_buf raw = GFS_BUF_INIT;
	int rc;

	rc = gfs_buf_addf(&raw, "tree %s\n",
			  git_oid_tostr(hex, sizeof(hex), tree));
	if (!rc && parent)
		rc = gfs_buf_addf(&raw, "parent %s\n",
				  git_oid_tostr(hex, sizeof(hex), parent));
	if (!rc)
		rc = add_signature(&raw, "author", sig);
	if (!rc)
		rc = add_signature(&raw, "committer", sig);
	if (!rc)
		rc = gfs_buf_addf(&raw, "\n%s", message);
	if (!rc)
		rc = gfs_store_odb_write(s, out, raw.data, raw.len,
					 GIT_OBJECT_COMMIT);
	gfs_buf_release(&raw);
	return rc;
}
