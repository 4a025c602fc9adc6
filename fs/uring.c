/*
 * FUSE over io_uring (Linux 6.14 and later, with the fuse module's
 * enable_uring parameter set).
 *
 * Through /dev/fuse every request wakes whichever daemon thread waits
 * longest, usually on another CPU than the caller. A synchronous storm
 * (tar, git) then pays two cross-CPU wakeups per request, and on a VM
 * whose idle vCPUs halt at once each costs tens of microseconds. Over
 * io_uring the kernel queues a request on the queue of the CPU its caller
 * runs on, and each queue is served by threads pinned to that CPU: the
 * caller sleeps and the request wakes a thread on the same CPU, not a
 * halted one elsewhere.
 *
 * Debian 12's libfuse 3.14 predates the transport, so this file speaks it
 * itself and hands every request to libfuse like one read from /dev/fuse
 * (fuse_session_process_buf): the operations do not know which way their
 * request came. Replies come back through the custom I/O writev hook
 * (passthrough.c), which gives them to gfs_uring_capture instead of
 * writing them to /dev/fuse.
 *
 * The kernel ABI (protocol 7.42): per queue, ring entries are registered
 * with a header buffer (fuse_uring_req_header) and a payload buffer. A
 * request arrives as the completion of an entry's command: the
 * fuse_in_header in the header, the opcode's fixed argument in op_in and
 * the rest (names, data) in the payload. The reply goes back the same
 * way, fuse_out_header in the header and every argument in the payload,
 * with the COMMIT_AND_FETCH command that also waits for the next request.
 * FORGET and INTERRUPT still come through /dev/fuse, served by libfuse's
 * own loop as before.
 *
 * Each queue is served by WORKERS_PER_QUEUE threads, each with its own
 * io_uring and one entry: a slow request (an fsync of a large file) then
 * holds up one worker, not every caller on that CPU.
 *
 * A worker is an ordinary thread. One io_uring_enter sends its reply and
 * waits for its next request. A first version dropped to SCHED_IDLE
 * across each reply, so that the scheduler would count the worker's CPU
 * as free and keep the woken caller there rather than move it to the
 * other, halted CPU. That halves a single thread's statfs loop (13.5 us
 * against 19-30 us), but real work lost more than it gained: two
 * sched_setscheduler calls per request, and the preempted worker to be
 * switched back in before it could wait again. bench/run.sh, hiding only,
 * medians of 5, without it: git status cold 0.241 -> 0.192 s, stat of
 * every file 0.300 -> 0.277 s, git commit 4.45 -> 4.16 s, extract 2.01
 * -> 1.95 s, sqlite 2.06 -> 1.86 s.
 */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/io_uring.h>

#include "fs_internal.h"

/* Kernel ABI newer than Debian 12's headers (protocol 7.42). */
#define URING_HEADER_SZ 128
#define URING_OP_IN_SZ	128

struct uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id;
	uint32_t payload_sz;
	uint32_t padding;
	uint64_t reserved;
};

struct uring_req_header {
	char in_out[URING_HEADER_SZ];
	char op_in[URING_OP_IN_SZ];
	struct uring_ent_in_out ent;
};

struct uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};

enum { URING_CMD_REGISTER = 1, URING_CMD_COMMIT_AND_FETCH = 2 };

#define SQE_SIZE 128 /* IORING_SETUP_SQE128: the command needs 80 bytes */
/*
 * Threads per CPU queue, one ring entry each (see above). A restore
 * writes with 8 threads: with 3 workers per queue it took 4.5 s mounted,
 * with 8 3.9 s (3.7 s through /dev/fuse's 16 threads).
 */
#define WORKERS_PER_QUEUE 8
/*
 * Room before the payload: the request is rebuilt contiguous there, as
 * /dev/fuse would have delivered it (in header, op argument, payload).
 */
#define HEAD_ROOM 256
/* The kernel wants room for its largest write or read. */
#define PAYLOAD_SIZE GFS_MAX_WRITE

struct uring_entry {
	struct uring_req_header hdr; /* the kernel reads and writes this */
	char *buf;		     /* HEAD_ROOM, then the payload */
	/*
	 * The reply's arguments, kept apart until the operation returns:
	 * it may still read its request (a name, the data) after replying,
	 * and both share the payload buffer.
	 */
	char *reply;
	size_t reply_len;
	uint64_t unique; /* of the request being served */
	bool replied;
	struct iovec iov[2];
};

/* One worker: a thread with its own io_uring and ring entry. */
struct gfs_uring_worker {
	struct gfs_fs *fs;
	int qid; /* the CPU queue it serves */
	int ring_fd;
	pthread_t thread;
	bool started;
	void *sq_map, *cq_map, *sqe_map;
	size_t sq_map_len, cq_map_len, sqe_map_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	unsigned to_submit;
	bool served; /* a request came: the kernel took the entry */
	struct uring_entry ent;
};

/* Interrupts a worker's wait when the daemon stops (see gfs_uring_stop). */
#define STOP_SIGNAL SIGUSR2

/* The entry whose request this thread is serving, for the reply hook. */
static __thread struct uring_entry *serving;

static int ring_enter(int fd, unsigned submit, unsigned wait)
{
	return (int)syscall(__NR_io_uring_enter, fd, submit, wait,
			    wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
}

static int ring_setup(struct gfs_uring_worker *w)
{
	struct io_uring_params p;
	char *sq;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQE128;
	w->ring_fd = (int)syscall(__NR_io_uring_setup, 2, &p);
	if (w->ring_fd < 0)
		return -errno;
	w->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	w->cq_map_len =
		p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	w->sqe_map_len = (size_t)p.sq_entries * SQE_SIZE;
	w->sq_map =
		mmap(NULL, w->sq_map_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, w->ring_fd, IORING_OFF_SQ_RING);
	w->cq_map =
		mmap(NULL, w->cq_map_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, w->ring_fd, IORING_OFF_CQ_RING);
	w->sqe_map =
		mmap(NULL, w->sqe_map_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, w->ring_fd, IORING_OFF_SQES);
	if (w->sq_map == MAP_FAILED || w->cq_map == MAP_FAILED ||
	    w->sqe_map == MAP_FAILED)
		return -ENOMEM;
	sq = w->sq_map;
	w->sq_head = (unsigned *)(void *)(sq + p.sq_off.head);
	w->sq_tail = (unsigned *)(void *)(sq + p.sq_off.tail);
	w->sq_mask = (unsigned *)(void *)(sq + p.sq_off.ring_mask);
	w->sq_array = (unsigned *)(void *)(sq + p.sq_off.array);
	w->cq_head = (unsigned *)(void *)((char *)w->cq_map + p.cq_off.head);
	w->cq_tail = (unsigned *)(void *)((char *)w->cq_map + p.cq_off.tail);
	w->cq_mask =
		(unsigned *)(void *)((char *)w->cq_map + p.cq_off.ring_mask);
	w->cqes = (struct io_uring_cqe *)(void *)((char *)w->cq_map +
						  p.cq_off.cqes);
	return 0;
}

/* Queues one FUSE command for the entry; sent by the next enter. */
static void queue_cmd(struct gfs_uring_worker *w, uint32_t cmd,
		      uint64_t commit_id)
{
	unsigned tail = *w->sq_tail;
	unsigned slot = tail & *w->sq_mask;
	struct io_uring_sqe *sqe =
		(struct io_uring_sqe *)(void *)((char *)w->sqe_map +
						(size_t)slot * SQE_SIZE);
	struct uring_cmd_req req = {.commit_id = commit_id,
				    .qid = (uint16_t)w->qid};

	memset(sqe, 0, SQE_SIZE);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = w->fs->pt.dev_fd;
	sqe->cmd_op = cmd;
	if (cmd == URING_CMD_REGISTER) {
		sqe->addr = (uint64_t)(uintptr_t)w->ent.iov;
		sqe->len = 2;
	}
	memcpy(sqe->cmd, &req, sizeof(req));
	w->sq_array[slot] = slot;
	__atomic_store_n(w->sq_tail, tail + 1, __ATOMIC_RELEASE);
	w->to_submit++;
}

/* Serves the request that arrived in the entry and queues its commit. */
static void serve(struct gfs_uring_worker *w)
{
	struct uring_entry *e = &w->ent;
	struct fuse_in_header in;
	struct fuse_out_header *out = (void *)e->hdr.in_out;
	uint32_t payload = e->hdr.ent.payload_sz;
	uint64_t commit_id = e->hdr.ent.commit_id;
	size_t op_len;
	char *start;

	memcpy(&in, e->hdr.in_out, sizeof(in));
	e->unique = in.unique;
	e->replied = false;
	if (in.len < sizeof(in) + payload ||
	    in.len - sizeof(in) - payload > URING_OP_IN_SZ)
		goto broken;
	op_len = in.len - sizeof(in) - payload;
	start = e->buf + HEAD_ROOM - op_len - sizeof(in);
	memcpy(start, &in, sizeof(in));
	memcpy(start + sizeof(in), e->hdr.op_in, op_len);
	serving = e;
	fuse_session_process_buf(
		w->fs->session,
		&(struct fuse_buf){.mem = start, .size = in.len});
	serving = NULL;
	if (e->replied) {
		memcpy(e->buf + HEAD_ROOM, e->reply, e->reply_len);
		goto commit;
	}
broken:
	/* Every ring request wants an answer; never leave the caller hang. */
	memset(out, 0, sizeof(*out));
	out->unique = in.unique;
	out->error = -EIO;
	out->len = sizeof(*out);
	e->hdr.ent.payload_sz = 0;
commit:
	queue_cmd(w, URING_CMD_COMMIT_AND_FETCH, commit_id);
}

bool gfs_uring_capture(const struct iovec *iov, int count, ssize_t *written)
{
	struct uring_entry *e = serving;
	const struct fuse_out_header *oh = iov[0].iov_base;
	struct fuse_out_header *out;
	size_t max = PAYLOAD_SIZE, len = 0;
	int k;

	if (!e || iov[0].iov_len < sizeof(*oh) || oh->unique != e->unique)
		return false;
	out = (void *)e->hdr.in_out;
	*out = *oh;
	for (k = 1; k < count; k++) {
		if (iov[k].iov_len > max - len) {
			out->error = -EIO;
			len = 0;
			break;
		}
		memcpy(e->reply + len, iov[k].iov_base, iov[k].iov_len);
		len += iov[k].iov_len;
	}
	out->len = (uint32_t)(sizeof(*out) + len);
	e->hdr.ent.payload_sz = (uint32_t)len;
	e->reply_len = len;
	e->replied = true;
	*written = (ssize_t)(sizeof(*out) + len);
	return true;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* An offline CPU's queue is still served, from wherever we run. */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *worker_main(void *arg)
{
	struct gfs_uring_worker *w = arg;
	unsigned head, tail;
	sigset_t mask;
	int rc;

	/*
	 * SIGTERM and friends go to libfuse's threads, whose loop notices
	 * the exit; only the stop signal may interrupt a worker.
	 */
	sigfillset(&mask);
	sigdelset(&mask, STOP_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	pin_to_cpu(w->qid);
	queue_cmd(w, URING_CMD_REGISTER, 0);
	for (;;) {
		/*
		 * Sends the registration or the last reply, and waits for a
		 * request. A wait the stop signal ends returns what was sent
		 * (or EINTR): whatever was not sent goes with the next call.
		 */
		rc = ring_enter(w->ring_fd, w->to_submit, 1);
		if (rc > 0)
			w->to_submit -= (unsigned)rc > w->to_submit
						? w->to_submit
						: (unsigned)rc;
		if (atomic_load(&w->fs->uring.stop) ||
		    (rc < 0 && errno != EINTR))
			break;
		head = *w->cq_head;
		tail = __atomic_load_n(w->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			const struct io_uring_cqe *c =
				&w->cqes[head & *w->cq_mask];

			/*
			 * Unmounted (ENOTCONN) or cancelled: the worker ends.
			 * Refused before any request (the kernel would not
			 * register the entry): requests stay on /dev/fuse.
			 */
			if (c->res < 0) {
				if (!w->served)
					atomic_store(&w->fs->uring.refused,
						     true);
				goto out;
			}
			w->served = true;
			serve(w);
		}
		__atomic_store_n(w->cq_head, head, __ATOMIC_RELEASE);
	}
out:
	return NULL;
}

static int possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	int lo, hi, n = 0;
	char sep;

	if (!f)
		return 0;
	/* "0-3" or "0-3,8-11" or "0" */
	while (fscanf(f, "%d", &lo) == 1) {
		hi = lo;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &hi) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		n += hi - lo + 1;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

static void worker_free(struct gfs_uring_worker *w)
{
	if (w->sqe_map && w->sqe_map != MAP_FAILED)
		munmap(w->sqe_map, w->sqe_map_len);
	if (w->cq_map && w->cq_map != MAP_FAILED)
		munmap(w->cq_map, w->cq_map_len);
	if (w->sq_map && w->sq_map != MAP_FAILED)
		munmap(w->sq_map, w->sq_map_len);
	if (w->ring_fd >= 0)
		close(w->ring_fd);
	free(w->ent.buf);
	free(w->ent.reply);
}

bool gfs_uring_active(const struct gfs_fs *fs)
{
	return fs->uring.enabled && !atomic_load(&fs->uring.refused);
}

static void on_stop_signal(int sig)
{
	(void)sig; /* only there to interrupt io_uring_enter */
}

void gfs_uring_start(struct gfs_fs *fs)
{
	struct gfs_uring *u = &fs->uring;
	int queues = possible_cpus(), n, k;

	if (queues <= 0 || queues > 4096)
		return;
	n = queues * WORKERS_PER_QUEUE;
	/* No SA_RESTART: the interrupted wait must return. */
	sigaction(STOP_SIGNAL,
		  &(struct sigaction){.sa_handler = on_stop_signal}, NULL);
	u->workers = calloc((size_t)n, sizeof(*u->workers));
	if (!u->workers)
		return;
	u->nworkers = n;
	for (k = 0; k < n; k++) {
		struct gfs_uring_worker *w = &u->workers[k];
		struct uring_entry *e = &w->ent;

		w->fs = fs;
		w->qid = k / WORKERS_PER_QUEUE;
		w->ring_fd = -1;
		if (ring_setup(w))
			goto fail;
		e->buf = malloc(HEAD_ROOM + PAYLOAD_SIZE);
		e->reply = malloc(PAYLOAD_SIZE);
		if (!e->buf || !e->reply)
			goto fail;
		e->iov[0] = (struct iovec){&e->hdr, sizeof(e->hdr)};
		e->iov[1] = (struct iovec){e->buf + HEAD_ROOM, PAYLOAD_SIZE};
	}
	for (k = 0; k < n; k++) {
		if (pthread_create(&u->workers[k].thread, NULL, worker_main,
				   &u->workers[k]))
			break;
		u->workers[k].started = true;
	}
	/*
	 * Until every queue has registered, the kernel keeps sending through
	 * /dev/fuse; a queue that failed to start leaves it that way.
	 */
	u->enabled = k == n;
	return;
fail:
	for (k = 0; k < n; k++)
		worker_free(&u->workers[k]);
	free(u->workers);
	u->workers = NULL;
	u->nworkers = 0;
}

void gfs_uring_stop(struct gfs_fs *fs)
{
	struct gfs_uring *u = &fs->uring;
	struct timespec deadline;
	bool all_joined = true;
	int k;

	/*
	 * The unmount ended the connection, and with it every waiting
	 * command, unless something still holds the mount; the signal
	 * ends a worker's wait in any case.
	 */
	atomic_store(&u->stop, true);
	for (k = 0; k < u->nworkers; k++)
		if (u->workers[k].started)
			pthread_kill(u->workers[k].thread, STOP_SIGNAL);
	for (k = 0; k < u->nworkers; k++) {
		struct gfs_uring_worker *w = &u->workers[k];

		if (!w->started) {
			worker_free(w);
			continue;
		}
		/* One still serving a request gets a moment, then the exit. */
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 2;
		if (pthread_timedjoin_np(w->thread, NULL, &deadline)) {
			pthread_detach(w->thread);
			all_joined = false;
			continue;
		}
		worker_free(w);
	}
	if (!all_joined)
		return; /* still in use: the process's exit frees it */
	free(u->workers);
	u->workers = NULL;
	u->nworkers = 0;
}
