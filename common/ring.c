/* The watchers' bounded queue: see ring.h. */

#include <errno.h>
#include <stdlib.h>

#include "guardfs/ring.h"

int gfs_ring_init(struct gfs_ring *r, size_t capacity)
{
	size_t n = 2, i;

	while (n < capacity)
		n <<= 1;
	r->slots = calloc(n, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	/* slot i is free for the push whose position is i */
	for (i = 0; i < n; i++)
		atomic_init(&r->slots[i].seq, i);
	r->mask = n - 1;
	atomic_init(&r->tail, 0);
	r->head = 0;
	atomic_init(&r->dropped, 0);
	return 0;
}

void gfs_ring_release(struct gfs_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

bool gfs_ring_push(struct gfs_ring *r, void *item)
{
	size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct gfs_ring_slot *slot;

	for (;;) {
		size_t seq;
		intptr_t turn;

		slot = &r->slots[pos & r->mask];
		seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
		turn = (intptr_t)(seq - pos);
		if (turn == 0) {
			/* free and ours if no other producer took it first */
			if (atomic_compare_exchange_weak_explicit(
				    &r->tail, &pos, pos + 1,
				    memory_order_relaxed, memory_order_relaxed))
				break;
		} else if (turn < 0) {
			/* the consumer has not freed it: a lap behind */
			atomic_fetch_add_explicit(&r->dropped, 1,
						  memory_order_relaxed);
			return false;
		} else {
			pos = atomic_load_explicit(&r->tail,
						   memory_order_relaxed);
		}
	}
	slot->item = item;
	/* publishes item to the consumer */
	atomic_store_explicit(&slot->seq, pos + 1, memory_order_release);
	return true;
}

bool gfs_ring_full(struct gfs_ring *r)
{
	size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t seq = atomic_load_explicit(&r->slots[pos & r->mask].seq,
					  memory_order_acquire);

	return (intptr_t)(seq - pos) < 0;
}

void gfs_ring_drop(struct gfs_ring *r)
{
	atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
}

bool gfs_ring_ready(struct gfs_ring *r)
{
	struct gfs_ring_slot *slot = &r->slots[r->head & r->mask];

	return atomic_load_explicit(&slot->seq, memory_order_acquire) ==
	       r->head + 1;
}

void *gfs_ring_pop(struct gfs_ring *r)
{
	struct gfs_ring_slot *slot = &r->slots[r->head & r->mask];
	void *item;

	if (!gfs_ring_ready(r))
		return NULL;
	item = slot->item;
	/* free for the push one lap later */
	atomic_store_explicit(&slot->seq, r->head + r->mask + 1,
			      memory_order_release);
	r->head++;
	return item;
}

uint64_t gfs_ring_take_dropped(struct gfs_ring *r)
{
	return atomic_exchange_explicit(&r->dropped, 0, memory_order_relaxed);
}
