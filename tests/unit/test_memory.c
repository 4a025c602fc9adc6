/*
 * The daemon's malloc settings (gfs_memory_setup): a large block freed
 * goes back to the system, and the next one like it is mapped again
 * rather than carved from a heap grown to hold it.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "guardfs/util.h"

#include "check.h"

int main(void)
{
	size_t big = (size_t)4 << 20;
	struct mallinfo2 mi;
	size_t held;
	char *p;

#ifdef __SANITIZE_ADDRESS__
	/* its allocator is its own: glibc's settings and counts mean nothing */
	printf("skipped under AddressSanitizer\n");
	return 0;
#endif
	gfs_memory_setup();
	/*
	 * glibc's own rule would now raise its mapping threshold to 4 MiB
	 * and serve the next block of that size from the heap, which then
	 * keeps those pages: the first mount's 16 MiB file reads left up to
	 * 25 MiB of free heap in the daemon (bench/README.md, session 10).
	 */
	p = malloc(big);
	CHECK(p != NULL);
	memset(p, 1, big);
	free(p);
	p = malloc(big);
	CHECK(p != NULL);
	mi = mallinfo2();
	CHECK(mi.hblkhd >= big);
	free(p);
	/*
	 * A block under the threshold still comes from the heap, and the
	 * heap keeps it once freed: with glibc's 128 KiB trim threshold it
	 * was given back and faulted in again for every file the worker read.
	 */
	p = malloc(GFS_MMAP_THRESHOLD - 8192);
	CHECK(p != NULL);
	memset(p, 1, GFS_MMAP_THRESHOLD - 8192);
	mi = mallinfo2();
	CHECK(mi.hblkhd < GFS_MMAP_THRESHOLD);
	held = mi.arena;
	free(p);
	mi = mallinfo2();
	CHECK(mi.arena == held);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
