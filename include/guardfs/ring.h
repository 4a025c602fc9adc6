#ifndef GUARDFS_RING_H
#define GUARDFS_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounded queue of pointers that many threads may push to at once and
 * one thread pops from, without locks (after Dmitry Vyukov's bounded
 * queue: each slot carries a sequence number saying whose turn it is).
 *
 * A push never waits: when the ring is full the item is not taken and
 * the drop is counted, so a slow consumer costs its producers nothing.
 * Used by the live view (fs/watch.c): one ring per watcher.
 */
struct gfs_ring_slot {
	atomic_size_t seq;
	void *item;
};

struct gfs_ring {
	struct gfs_ring_slot *slots;
	size_t mask; /* capacity - 1; the capacity is a power of two */
	/* producers and the consumer on separate cache lines */
	alignas(64) atomic_size_t tail; /* the next slot to push to */
	alignas(64) size_t head;	/* the next slot to pop: consumer's */
	atomic_uint_fast64_t dropped;	/* pushes refused since last taken */
};

/* Makes r hold up to capacity items (rounded up to a power of two, >= 2). */
int gfs_ring_init(struct gfs_ring *r, size_t capacity);

/* Frees the slots; the items left in them are the caller's to free first. */
void gfs_ring_release(struct gfs_ring *r);

/* Queues item (not NULL); false, counted as dropped, when full. */
bool gfs_ring_push(struct gfs_ring *r, void *item);

/*
 * Whether a push would be refused now (a hint: other producers move on),
 * so that a producer may skip making an item nobody has room for; then
 * gfs_ring_drop counts it.
 */
bool gfs_ring_full(struct gfs_ring *r);
void gfs_ring_drop(struct gfs_ring *r);

/* The oldest item, or NULL when empty. One consumer thread only. */
void *gfs_ring_pop(struct gfs_ring *r);

/* Whether an item waits (the consumer's view). */
bool gfs_ring_ready(struct gfs_ring *r);

/* The pushes refused since the last call, and resets the count. */
uint64_t gfs_ring_take_dropped(struct gfs_ring *r);

#endif
