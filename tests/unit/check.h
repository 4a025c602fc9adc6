#ifndef GUARDFS_TESTS_CHECK_H
#define GUARDFS_TESTS_CHECK_H

/*
 * The assertions every unit test uses. A failed check prints where and
 * what, and the test goes on so that one run shows every failure; main()
 * returns non-zero when failures is not 0.
 */

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (strcmp(g_, w_)) {                                          \
			fprintf(stderr,                                        \
				"%s:%d: got\n---\n%s\n---\nwant\n---\n%s\n"    \
				"---\n",                                       \
				__FILE__, __LINE__, g_, w_);                   \
			failures++;                                            \
		}                                                              \
	} while (0)

#endif
