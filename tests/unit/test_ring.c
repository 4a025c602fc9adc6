/* common/ring.c: the watchers' bounded queue. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "guardfs/ring.h"

static void test_order_and_drops(void)
{
	struct gfs_ring r;
	uintptr_t i;

	CHECK(gfs_ring_init(&r, 5) == 0);
	CHECK(r.mask == 7); /* rounded up to a power of two */
	CHECK(gfs_ring_pop(&r) == NULL);
	CHECK(!gfs_ring_ready(&r));
	for (i = 1; i <= 8; i++)
		CHECK(gfs_ring_push(&r, (void *)i));
	/* full: refused and counted, never overwriting */
	CHECK(gfs_ring_full(&r));
	CHECK(!gfs_ring_push(&r, (void *)99));
	CHECK(!gfs_ring_push(&r, (void *)99));
	CHECK(gfs_ring_take_dropped(&r) == 2);
	CHECK(gfs_ring_take_dropped(&r) == 0);
	CHECK(gfs_ring_pop(&r) == (void *)1);
	CHECK(!gfs_ring_full(&r));
	CHECK(gfs_ring_push(&r, (void *)9)); /* one slot freed */
	CHECK(!gfs_ring_push(&r, (void *)10));
	for (i = 2; i <= 9; i++)
		CHECK(gfs_ring_pop(&r) == (void *)i);
	CHECK(gfs_ring_pop(&r) == NULL);
	/* many laps around */
	for (i = 1; i < 1000; i++) {
		CHECK(gfs_ring_push(&r, (void *)i));
		CHECK(gfs_ring_pop(&r) == (void *)i);
	}
	gfs_ring_drop(&r);
	CHECK(gfs_ring_take_dropped(&r) == 2);
	gfs_ring_release(&r);
}

#define PRODUCERS    4
#define PER_PRODUCER 200000

struct shared {
	struct gfs_ring ring;
	atomic_int running;
};

static void *produce(void *arg)
{
	struct shared *s = arg;
	static atomic_uint next_id;
	uintptr_t id = atomic_fetch_add(&next_id, 1), n;

	for (n = 0; n < PER_PRODUCER; n++)
		/* producer id in the high bits, a count in the low */
		gfs_ring_push(&s->ring, (void *)((id << 32) | (n + 1)));
	atomic_fetch_sub(&s->running, 1);
	return NULL;
}

/*
 * Several producers against one consumer: every item comes out once,
 * each producer's in the order it pushed them, and what did not come
 * out was counted as dropped.
 */
static void test_concurrent(void)
{
	struct shared s;
	pthread_t threads[PRODUCERS];
	uintptr_t last[PRODUCERS] = {0};
	uint64_t popped = 0, dropped;
	bool in_order = true;
	int i;

	CHECK(gfs_ring_init(&s.ring, 256) == 0);
	atomic_init(&s.running, PRODUCERS);
	for (i = 0; i < PRODUCERS; i++)
		pthread_create(&threads[i], NULL, produce, &s);
	for (;;) {
		bool done = atomic_load(&s.running) == 0;
		void *item;

		while ((item = gfs_ring_pop(&s.ring))) {
			uintptr_t v = (uintptr_t)item;
			uintptr_t id = v >> 32, n = v & 0xffffffffu;

			if (id >= PRODUCERS || n <= last[id])
				in_order = false;
			else
				last[id] = n;
			popped++;
		}
		if (done)
			break;
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(threads[i], NULL);
	dropped = gfs_ring_take_dropped(&s.ring);
	CHECK(in_order);
	CHECK(popped + dropped == (uint64_t)PRODUCERS * PER_PRODUCER);
	CHECK(popped > 0);
	gfs_ring_release(&s.ring);
}

int main(void)
{
	test_order_and_drops();
	test_concurrent();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
