/*
 * Background packing of the store's loose objects.
 *
 * The packer thread opens its own repository handle, so no libgit2
 * object is shared with the worker. It packs the loose objects it finds,
 * then deletes exactly those: an object the worker writes meanwhile
 * either stays loose or is found in the new pack.
 *
 * Packing is housekeeping, never history: a store with every object
 * loose is complete. So a pack in progress is abandoned the moment the
 * store closes, the unmount packs only what fits in a short time budget,
 * and whatever is left loose is packed by the next session's packer (it
 * counts the loose objects when the store opens). An unmount therefore
 * never waits on a pack of a large backlog, which at idle priority could
 * take as long as the machine stayed busy.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libdeflate.h>
#include <openssl/evp.h>

#include "guardfs/util.h"
#include "store_internal.h"

/* Loose objects written before the packer is woken. */
#define PACK_THRESHOLD 2048
/* Packing waits for this much quiet, up to this many loose objects. */
#define PACK_IDLE_NS	2000000000LL
#define PACK_HARD_LIMIT 50000
/*
 * What the unmount may pack of the rest: a backlog of up to this many
 * objects, which packs in well under a second on this project's 2-core
 * VM, and in any case no longer than the budget; a larger backlog is
 * left to the next session.
 */
#define PACK_CLOSE_MAX	     8192
#define PACK_CLOSE_BUDGET_NS 2000000000LL
/*
 * Objects per pack. A larger backlog (the first mount's baseline of a
 * big folder: 166,000 objects for the kernel tree and its .git) is packed
 * in several packs, one after the other: a pass abandoned at unmount
 * loses only the last batch's work, and libgit2 keeps the records of
 * a pack it reads small (when libgit2's packbuilder wrote them, one pack
 * of the whole baseline cost 40 MiB more than the folder's picture).
 */
#define PACK_BATCH_MAX 16384
/*
 * Larger loose objects stay loose. They are few (a file's versions past
 * this size, compressed), so they cost the file count little, and a pack
 * would deflate each again in one call that never looks at the stop
 * flag: 48 incompressible 8 MiB blobs held an unmount for 110 s at idle
 * priority (then with libgit2's delta search too). A
 * large file's chunks that do not compress, stored (store_chunks.c),
 * are just over GFS_CHUNK_BYTES: they stay loose too, as packing them
 * would deflate gigabytes again for nothing.
 */
#define PACK_OBJECT_MAX GFS_CHUNK_BYTES

struct loose_list {
	git_oid *oids;
	size_t len, cap;
};

/* One packing pass: whom to ask whether to stop, and until when. */
struct pack_pass {
	struct gfs_store *s;
	int64_t deadline_ns; /* monotonic; 0: none */
	/*
	 * A background pass gives way when the folder is busy again (an
	 * object written after this, monotonic ns; 0: never): its writes and
	 * deletes would share the filesystem's journal commits with the
	 * agent's, and every fsync the agent makes (a database's commit)
	 * would wait for them. It runs again after the next quiet spell.
	 */
	int64_t yield_after_ns;
};

static bool pass_cut_short(const struct pack_pass *p)
{
	if (__atomic_load_n(&p->s->pack_abort, __ATOMIC_RELAXED))
		return true;
	if (p->yield_after_ns &&
	    __atomic_load_n(&p->s->pack_last_write, __ATOMIC_RELAXED) >
		    p->yield_after_ns)
		return true;
	return p->deadline_ns && gfs_mono_ns() > p->deadline_ns;
}

/*
 * The loose objects under objects: with sized, only those small enough
 * to pack (a stat each: the large ones, such as a big binary file's
 * chunks, stay loose for good, and counting them would make every pass
 * and every unmount think there is more to pack than there is);
 * without, every name (a listing only).
 */
static int list_loose(const char *objects, struct loose_list *l, bool sized)
	__attribute__((nonnull));
static int list_loose(const char *objects, struct loose_list *l, bool sized)
{
	char dir[4200];
	int i;

	for (i = 0; i < 256; i++) {
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%02x", objects, i);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char hex[GIT_OID_HEXSZ + 1];
			struct stat st;

			if (strlen(de->d_name) != GIT_OID_HEXSZ - 2)
				continue;
			if (sized && (fstatat(dirfd(d), de->d_name, &st,
					      AT_SYMLINK_NOFOLLOW) ||
				      st.st_size > PACK_OBJECT_MAX))
				continue;
			/* Length checked above; snprintf cannot know it. */
			snprintf(hex, 3, "%02x", i);
			memcpy(hex + 2, de->d_name, GIT_OID_HEXSZ - 2 + 1);
			if (l->len == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 1024;
				void *p =
					realloc(l->oids, cap * sizeof(git_oid));

				if (!p) {
					closedir(d);
					return -ENOMEM;
				}
				l->oids = p;
				l->cap = cap;
			}
			if (!git_oid_fromstr(&l->oids[l->len], hex))
				l->len++;
		}
		closedir(d);
	}
	return 0;
}

/*
 * A pass's buffers for reading loose objects, kept from one object to the
 * next: the file's zlib stream, and the object inflated (header included).
 */
struct loose_reader {
	struct libdeflate_decompressor *inflater;
	struct gfs_buf in, out;
};

/*
 * An object inflated to more than this stays loose: a file of up to
 * max_file_size compresses into PACK_OBJECT_MAX when it is mostly one
 * byte, and the packer should not hold hundreds of MiB for it.
 */
#define PACK_INFLATED_MAX (64u << 20)

/* objects/xx/yyyy... of oid into file. */
static void loose_path(char *file, size_t size, const char *objects,
		       const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	snprintf(file, size, "%s/%.2s/%s", objects, hex, hex + 2);
}

/* Reads the whole file at path into r->in: 0 or -errno. */
static int read_loose_file(struct loose_reader *r, const char *path)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, &st) ? -errno : 0;
	if (!rc && (!S_ISREG(st.st_mode) || st.st_size > PACK_OBJECT_MAX))
		rc = -EFBIG;
	gfs_buf_reset(&r->in);
	if (!rc)
		rc = gfs_buf_read_fd(&r->in, fd);
	if (!rc && r->in.len > PACK_OBJECT_MAX)
		rc = -EFBIG; /* grew since the fstat */
	close(fd);
	return rc;
}

/*
 * Whether the zlib stream of n bytes at in begins with a stored block:
 * its writer found the bytes would not shrink (store_stored.c), and
 * deflating them again for the pack would only copy them, slowly.
 */
static bool stream_stored(const unsigned char *in, size_t n)
{
	/* two bytes of zlib header, then BFINAL and a BTYPE of 00 */
	return n > 2 && (in[2] & 0x06) == 0;
}

/* Inflates r->in into r->out: the inflated length, or -errno. */
static ssize_t inflate_loose(struct loose_reader *r)
{
	/* source code deflates to about a quarter: one try for most */
	size_t want = r->in.len * 6 < 65536 ? 65536 : r->in.len * 6;

	gfs_buf_reset(&r->out);
	for (;;) {
		size_t room, out_len;
		enum libdeflate_result res;

		if (want > PACK_INFLATED_MAX)
			want = PACK_INFLATED_MAX;
		if (gfs_buf_grow(&r->out, want))
			return -ENOMEM;
		/* the buffer grows in powers of two: the bound is ours */
		room = r->out.cap - 1 < PACK_INFLATED_MAX ? r->out.cap - 1
							  : PACK_INFLATED_MAX;
		res = libdeflate_zlib_decompress(r->inflater, r->in.data,
						 r->in.len, r->out.data, room,
						 &out_len);
		if (res == LIBDEFLATE_SUCCESS)
			return (ssize_t)out_len;
		if (res != LIBDEFLATE_INSUFFICIENT_SPACE)
			return -EILSEQ;
		if (room >= PACK_INFLATED_MAX)
			return -EFBIG;
		want = room * 2;
	}
}

/*
 * The loose object at path, whose id is oid, read and checked: its type,
 * and its content at *content (in r's buffer) of *len bytes. -ENOENT
 * when it is gone, -EILSEQ when its bytes are not the object its name
 * says (left loose for `git fsck` to name), -EFBIG when too large to pack.
 * *stored: whether the file stored the bytes rather than deflate them.
 */
static int read_loose(struct loose_reader *r, const char *path,
		      const git_oid *oid, git_object_t *type,
		      const unsigned char **content, size_t *len, bool *stored)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	const unsigned char *out, *space, *nul;
	char name[8], *end;
	unsigned long long size;
	ssize_t n = read_loose_file(r, path);

	if (n == 0) {
		*stored = stream_stored((const unsigned char *)r->in.data,
					r->in.len);
		n = inflate_loose(r);
	}
	if (n < 0)
		return (int)n;
	out = (const unsigned char *)r->out.data;
	/* "blob 1234\0" and the bytes, as git hashes them */
	space = memchr(out, ' ', (size_t)n < 8 ? (size_t)n : 8);
	nul = memchr(out, '\0', (size_t)n < 32 ? (size_t)n : 32);
	if (!space || !nul || nul < space)
		return -EILSEQ;
	memcpy(name, out, (size_t)(space - out));
	name[space - out] = '\0';
	*type = git_object_string2type(name);
	errno = 0;
	size = strtoull((const char *)space + 1, &end, 10);
	if (*type == GIT_OBJECT_INVALID || errno || end != (const char *)nul ||
	    size != (unsigned long long)(out + n - (nul + 1)))
		return -EILSEQ;
	if (!EVP_Digest(out, (size_t)n, sum, NULL, EVP_sha1(), NULL) ||
	    memcmp(sum, oid->id, GIT_OID_RAWSZ))
		return -EILSEQ;
	*content = nul + 1;
	*len = (size_t)size;
	return 0;
}

/*
 * Writes one pack of the n objects at oids, then deletes their loose
 * copies. -ECANCELED when the pass is cut short: none of them deleted.
 *
 * Written by store_packout.c, as the first baseline's packs are, not by
 * libgit2's packbuilder: that read each object through the odb (inflate
 * and a collision-detecting SHA-1), deflated it again with zlib's default
 * level and hashed the pack the same way, 67 s of CPU for the 80,000
 * objects a kernel tree's extract leaves loose (bench/README.md, session
 * 18), which an agent's workload shares two cores with whenever the
 * backlog passes PACK_HARD_LIMIT. Here an object is inflated and checked
 * against its name (libdeflate, OpenSSL's SHA-1), and deflated at the
 * baseline's level, or stored again when its loose file stored it. An object
 * that is gone, damaged or too large stays out of the pack, and its loose file,
 * if any, stays.
 */
static int pack_batch(struct pack_pass *pass, struct gfs_store_packout *out,
		      struct loose_reader *r, const char *objects,
		      const git_oid *oids, size_t n)
{
	char file[4200];
	bool *in_pack;
	size_t i;
	int rc = 0;

	in_pack = calloc(n ? n : 1, sizeof(*in_pack));
	if (!in_pack)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		const unsigned char *content = NULL;
		git_object_t type = GIT_OBJECT_INVALID;
		size_t len = 0;
		bool stored = false;
		int got;

		if (pass_cut_short(pass)) {
			rc = -ECANCELED;
			break;
		}
		loose_path(file, sizeof(file), objects, &oids[i]);
		got = read_loose(r, file, &oids[i], &type, &content, &len,
				 &stored);
		/* once a session: each pass meets it again */
		if (got == -EILSEQ && !pass->s->pack_damage_told) {
			pass->s->pack_damage_told = true;
			fprintf(stderr,
				"guardfs: store: loose object %s is damaged "
				"and left unpacked; git fsck in the store "
				"names every damaged object\n",
				file);
		}
		if (got == -ENOMEM)
			rc = got;
		if (got)
			continue;
		rc = stored ? gfs_store_packout_add_stored(out, &oids[i], type,
							   content, len)
			    : gfs_store_packout_add(out, &oids[i], type,
						    content, len);
		in_pack[i] = !rc;
	}
	if (!rc)
		rc = gfs_store_packout_finish(out);
	if (rc) {
		/* the pack in progress goes; its objects are still loose */
		gfs_store_packout_release(out);
		free(in_pack);
		if (rc != -ECANCELED)
			gfs_store_log("pack", rc);
		return rc;
	}
	/* The pack and its index are in place: the loose copies can go. */
	for (i = 0; i < n; i++) {
		if (!in_pack[i])
			continue;
		loose_path(file, sizeof(file), objects, &oids[i]);
		unlink(file);
	}
	free(in_pack);
	return 0;
}

/*
 * Packs every loose object of the store when there are at least
 * min_objects and at most max_objects, PACK_BATCH_MAX to a pack, unless
 * the pass is cut short (-ECANCELED: the batches written are packed,
 * the rest is still loose). *packed counts the objects packed.
 */
static int pack_loose(struct pack_pass *pass, size_t min_objects,
		      size_t max_objects, size_t *packed)
{
	struct loose_reader r = {0};
	struct loose_list l = {NULL, 0, 0};
	struct gfs_store_packout out;
	char objects[4096];
	size_t i, n;
	int rc;

	*packed = 0;
	snprintf(objects, sizeof(objects), "%s/objects", pass->s->store_path);
	rc = list_loose(objects, &l, true);
	if (rc || l.len < min_objects || !l.len) {
		free(l.oids);
		return rc;
	}
	if (l.len > max_objects) {
		free(l.oids);
		return -ECANCELED;
	}
	rc = gfs_store_packout_init(&out, objects);
	r.inflater = libdeflate_alloc_decompressor();
	if (!rc && !r.inflater)
		rc = -ENOMEM;
	for (i = 0; !rc && i < l.len; i += n) {
		n = l.len - i < PACK_BATCH_MAX ? l.len - i : PACK_BATCH_MAX;
		rc = pack_batch(pass, &out, &r, objects, l.oids + i, n);
		if (!rc)
			*packed += n;
	}
	gfs_store_packout_release(&out);
	if (r.inflater)
		libdeflate_free_decompressor(r.inflater);
	gfs_buf_release(&r.in);
	gfs_buf_release(&r.out);
	free(l.oids);
	/* what the pass held goes back to the system, not only to malloc */
	gfs_trim_memory();
	return rc;
}

/*
 * Packing deletes the loose objects it packed, and deleting thousands of
 * files while the agent creates thousands (tar) makes ext4's inode
 * allocator crawl (recently_deleted). So the packer waits for a quiet
 * moment and runs at idle priority, where it takes no CPU from the agent.
 * When the loose count runs away under sustained load, idle priority
 * would never get to run, so the thread steps up to the lowest ordinary
 * priority (nice 19) for that pass: it finishes, at a small share.
 */
static void packer_set_urgent(bool urgent)
{
	struct sched_param none = {0};

	if (urgent) {
		pthread_setschedparam(pthread_self(), SCHED_OTHER, &none);
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	} else {
		pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
	}
}

/*
 * No delta search in the store's packs: git's pack.windowMemory at one
 * byte shrinks the window of candidates to the object itself. When the
 * packer used libgit2's packbuilder, that search could be neither
 * abandoned when the folder got busy again nor cut short at unmount (a
 * database's 2,000 commits took 40% longer while a pass searched 9,000
 * objects; bench/README.md); the packer's own packs have no deltas
 * either. Written in the store's own config, so `git gc` there behaves
 * the same unless told otherwise (-c pack.windowMemory=0).
 */
#define PACK_WINDOW_MEMORY 1

int gfs_store_pack_configure(git_repository *repo)
{
	git_config *cfg = NULL;
	int64_t now = 0;
	int rc = 0;

	if (git_repository_config(&cfg, repo))
		return -EIO;
	if (git_config_get_int64(&now, cfg, "pack.windowMemory") ||
	    now != PACK_WINDOW_MEMORY)
		rc = git_config_set_int64(cfg, "pack.windowMemory",
					  PACK_WINDOW_MEMORY)
			     ? -EIO
			     : 0;
	git_config_free(cfg);
	return rc;
}

/*
 * A backlog an earlier unmount left loose is packed like any other,
 * when quiet and at idle priority: at nice 19 it took CPU from the
 * agent's reads (a cold grep's daemon CPU tripled while it packed).
 * Past the hard limit it steps up like any other backlog. Counted here,
 * on the packer's own thread, and by name only: a stat of each of the
 * kernel tree's 166,000 loose objects held the mount for 0.4 s.
 */
static void count_backlog(struct gfs_store *s)
{
	struct loose_list l = {NULL, 0, 0};
	char objects[4096];

	snprintf(objects, sizeof(objects), "%s/objects", s->store_path);
	if (!list_loose(objects, &l, false) && l.len >= PACK_THRESHOLD) {
		pthread_mutex_lock(&s->pack_lock);
		s->loose_written += l.len;
		__atomic_store_n(&s->pack_last_write, gfs_mono_ns(),
				 __ATOMIC_RELAXED);
		s->pack_requested = true;
		pthread_mutex_unlock(&s->pack_lock);
	}
	free(l.oids);
}

static void *packer_main(void *arg)
{
	struct gfs_store *s = arg;
	struct pack_pass pass = {s, 0, 0};

	pthread_setname_np(pthread_self(), "gfs-pack");
	packer_set_urgent(false);
	count_backlog(s);
	pthread_mutex_lock(&s->pack_lock);
	for (;;) {
		size_t backlog, packed;
		bool urgent;
		int rc;

		while (!s->pack_requested && !s->pack_stopping)
			pthread_cond_wait(&s->pack_cond, &s->pack_lock);
		while (!s->pack_stopping &&
		       s->loose_written < PACK_HARD_LIMIT &&
		       gfs_mono_ns() - s->pack_last_write < PACK_IDLE_NS) {
			struct timespec until;

			gfs_deadline_in(&until, CLOCK_REALTIME, 200000000LL);
			pthread_cond_timedwait(&s->pack_cond, &s->pack_lock,
					       &until);
		}
		if (s->pack_stopping)
			break;
		urgent = s->loose_written >= PACK_HARD_LIMIT;
		backlog = s->loose_written;
		s->pack_requested = false;
		s->loose_written = 0;
		/* a backlog past the hard limit is packed, busy or not */
		pass.yield_after_ns = urgent ? 0 : gfs_mono_ns();
		pthread_mutex_unlock(&s->pack_lock);
		if (urgent)
			packer_set_urgent(true);
		rc = pack_loose(&pass, PACK_THRESHOLD / 2, SIZE_MAX, &packed);
		if (rc == 0)
			__atomic_add_fetch(&s->packs_made, 1, __ATOMIC_RELAXED);
		if (urgent)
			packer_set_urgent(false);
		pthread_mutex_lock(&s->pack_lock);
		if (rc == -ECANCELED && !s->pack_stopping) {
			/* gave way: what is still loose is counted again */
			s->loose_written +=
				backlog > packed ? backlog - packed : 0;
			s->pack_requested = true;
		}
	}
	pthread_mutex_unlock(&s->pack_lock);
	return NULL;
}

void gfs_store_packer_kick(struct gfs_store *s, unsigned objects)
{
	if (!s->packer_started)
		return;
	pthread_mutex_lock(&s->pack_lock);
	s->loose_written += objects;
	/* read unlocked by a pass deciding whether to give way */
	__atomic_store_n(&s->pack_last_write, gfs_mono_ns(), __ATOMIC_RELAXED);
	if (s->loose_written >= PACK_THRESHOLD && !s->pack_requested) {
		s->pack_requested = true;
		pthread_cond_signal(&s->pack_cond);
	}
	pthread_mutex_unlock(&s->pack_lock);
}

int gfs_store_packer_start(struct gfs_store *s)
{
	int rc = -pthread_create(&s->packer, NULL, packer_main, s);

	s->packer_started = !rc;
	return rc;
}

void gfs_store_packer_stop(struct gfs_store *s)
{
	struct pack_pass last = {s, 0, 0};
	size_t packed;
	int rc;

	if (s->packer_started) {
		__atomic_store_n(&s->pack_abort, true, __ATOMIC_RELAXED);
		pthread_mutex_lock(&s->pack_lock);
		s->pack_stopping = true;
		pthread_cond_signal(&s->pack_cond);
		pthread_mutex_unlock(&s->pack_lock);
		pthread_join(s->packer, NULL);
		s->packer_started = false;
		__atomic_store_n(&s->pack_abort, false, __ATOMIC_RELAXED);
	}
	/*
	 * The user waits at unmount: every core (0 = as many as there are),
	 * within a budget; what is left stays loose for the next session.
	 */
	last.deadline_ns = gfs_mono_ns() + PACK_CLOSE_BUDGET_NS;
	rc = pack_loose(&last, 64, PACK_CLOSE_MAX, &packed);
	if (rc == -ECANCELED)
		fputs("guardfs: store: packing cut short at unmount, the next "
		      "session packs the rest\n",
		      stderr);
}
