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
/* Objects inserted between two looks at the stop flag. */
#define PACK_CHECK_EVERY 1024
/*
 * Objects per pack. A larger backlog (the first mount's baseline of a
 * big folder: 166,000 objects for the kernel tree and its .git) is packed
 * in several packs, one after the other: libgit2 keeps a record of every
 * object of a pack in memory while it writes it (the packbuilder's and
 * the indexer's, about 250 bytes apiece), so one pack of the whole
 * baseline took 40 MiB more than the folder's picture itself, and a pass
 * abandoned at unmount lost all its work instead of the last batch's.
 */
#define PACK_BATCH_MAX 16384
/*
 * Larger loose objects stay loose. They are few (a file's versions past
 * this size, compressed), so they cost the file count little, and a pack
 * would deflate each again in one call that never looks at the stop
 * flag: 48 incompressible 8 MiB blobs held an unmount for 110 s at idle
 * priority (then with a delta search too; see PACK_WINDOW_MEMORY). A
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

/* libgit2's progress callbacks: a non-zero answer abandons the pack. */
static int on_build_progress(int stage, uint32_t current, uint32_t total,
			     void *payload)
{
	(void)stage;
	(void)current;
	(void)total;
	return pass_cut_short(payload) ? GIT_EUSER : 0;
}

static int on_write_progress(const git_indexer_progress *stats, void *payload)
{
	(void)stats;
	return pass_cut_short(payload) ? GIT_EUSER : 0;
}

/*
 * The loose objects under objects: with sized, only those small enough
 * to pack (a stat each); without, every name (a listing only).
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
 * Writes one pack of the n objects at oids, then deletes their loose
 * copies. -ECANCELED when the pass is cut short: none of them deleted.
 */
static int pack_batch(struct pack_pass *pass, git_repository *repo,
		      const char *objects, const git_oid *oids, size_t n,
		      unsigned threads)
{
	git_packbuilder *pb = NULL;
	char file[4200];
	size_t i;
	int rc = 0;

	if (git_packbuilder_new(&pb, repo)) {
		rc = gfs_store_git_error("start packing");
		goto out;
	}
	git_packbuilder_set_threads(pb, threads);
	git_packbuilder_set_callbacks(pb, on_build_progress, pass);
	for (i = 0; i < n; i++) {
		if (i % PACK_CHECK_EVERY == 0 && pass_cut_short(pass)) {
			rc = -ECANCELED;
			goto out;
		}
		if (git_packbuilder_insert(pb, &oids[i], NULL)) {
			rc = gfs_store_git_error("add object to pack");
			goto out;
		}
	}
	snprintf(file, sizeof(file), "%s/pack", objects);
	if (git_packbuilder_write(pb, file, 0, on_write_progress, pass)) {
		rc = pass_cut_short(pass) ? -ECANCELED
					  : gfs_store_git_error("write pack");
		goto out;
	}
	/* The pack and its index are in place: the loose copies can go. */
	for (i = 0; i < n; i++) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &oids[i]);
		snprintf(file, sizeof(file), "%s/%.2s/%s", objects, hex,
			 hex + 2);
		unlink(file);
	}
out:
	git_packbuilder_free(pb);
	/* what libgit2 freed goes back to the system, not only to malloc */
	gfs_trim_memory();
	return rc;
}

/*
 * Packs every loose object of the store when there are at least
 * min_objects and at most max_objects, PACK_BATCH_MAX to a pack, unless
 * the pass is cut short (-ECANCELED: the batches written are packed,
 * the rest is still loose). *packed counts the objects packed.
 */
static int pack_loose(struct pack_pass *pass, size_t min_objects,
		      size_t max_objects, unsigned threads, size_t *packed)
{
	const char *store = pass->s->store_path;
	struct loose_list l = {NULL, 0, 0};
	git_repository *repo = NULL;
	char objects[4096];
	size_t i, n;
	int rc;

	*packed = 0;
	snprintf(objects, sizeof(objects), "%s/objects", store);
	rc = list_loose(objects, &l, true);
	if (rc || l.len < min_objects || !l.len)
		goto out;
	if (l.len > max_objects) {
		rc = -ECANCELED;
		goto out;
	}
	if (git_repository_open_bare(&repo, store)) {
		rc = gfs_store_git_error("start packing");
		goto out;
	}
	for (i = 0; !rc && i < l.len; i += n) {
		n = l.len - i < PACK_BATCH_MAX ? l.len - i : PACK_BATCH_MAX;
		rc = pack_batch(pass, repo, objects, l.oids + i, n, threads);
		if (!rc)
			*packed += n;
	}
out:
	git_repository_free(repo);
	free(l.oids);
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
 * No delta search when packing: git's pack.windowMemory at one byte
 * shrinks the window of candidates to the object itself. Libgit2 1.5
 * ignores the progress callback's answer while it searches for deltas,
 * so that search could be neither abandoned when the folder got busy
 * again nor cut short at unmount, and at idle priority it still slowed
 * the agent: a database's 2,000 commits took 40% longer while a pass
 * searched 9,000 objects for deltas (bench/README.md). Objects are still
 * compressed; what is lost is the sharing between versions of one file.
 * Written in the store's own config, so `git gc` there behaves the same
 * unless told otherwise (-c pack.windowMemory=0).
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
		rc = pack_loose(&pass, PACK_THRESHOLD / 2, SIZE_MAX, 1,
				&packed);
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
	rc = pack_loose(&last, 64, PACK_CLOSE_MAX, 0, &packed);
	if (rc == -ECANCELED)
		fputs("guardfs: store: packing cut short at unmount, the next "
		      "session packs the rest\n",
		      stderr);
}
