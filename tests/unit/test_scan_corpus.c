/*
 * Scans the corpus in tests/corpus/secrets/ (made by generate.py): every
 * file under positive/<category>/ must be reported, every file under
 * negative/<category>/ must stay clean. Prints recall and false positives
 * per category as a Markdown table, and fails on any miss or false alarm.
 *
 * "test_scan_corpus DIR" scans DIR instead (laid out the same way), for a
 * held-out corpus.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/scan.h"

#include "check.h"

#define MAX_CATEGORIES 64
/* a directory path plus one name (at most 255 bytes) and a slash */
#define PATH_SIZE    4096
#define SUBPATH_SIZE (PATH_SIZE + 260)

struct category {
	char name[64];
	unsigned files;
	unsigned flagged;
};

struct tally {
	struct category cats[MAX_CATEGORIES];
	unsigned n;
};

static struct category *category_get(struct tally *t, const char *name)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->cats[i].name, name))
			return &t->cats[i];
	if (t->n == MAX_CATEGORIES)
		return NULL;
	snprintf(t->cats[t->n].name, sizeof(t->cats[t->n].name), "%.63s", name);
	return &t->cats[t->n++];
}

static const struct gfs_scanner *scanner;

/* Scans every regular file below dir into category c. */
static void scan_tree(const char *dir, const char *rel, bool positive,
		      struct category *c)
{
	struct dirent **names;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
		failures++;
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[SUBPATH_SIZE], sub[SUBPATH_SIZE];
		struct gfs_verdict v;
		struct stat st;
		int fd, rc;

		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(sub, sizeof(sub), "%s/%s", rel, name);
		free(names[i]);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_tree(path, sub, positive, c);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "cannot open %s\n", path);
			failures++;
			continue;
		}
		rc = gfs_scan_fd(scanner, NULL, fd, 8u << 20, &v);
		close(fd);
		if (rc < 0) {
			fprintf(stderr, "cannot scan %s: %s\n", path,
				strerror(-rc));
			failures++;
			continue;
		}
		c->files++;
		if (rc == 1)
			c->flagged++;
		if (positive && rc == 0) {
			fprintf(stderr, "MISSED  %s\n", sub);
			failures++;
		} else if (!positive && rc == 1) {
			fprintf(stderr, "FALSE+  %s:%u (%s)\n", sub,
				v.finding.line, v.finding.rule_id);
			failures++;
		}
	}
	free(names);
}

static void scan_side(const char *root, const char *side, bool positive,
		      struct tally *t)
{
	char dir[PATH_SIZE], path[SUBPATH_SIZE];
	struct dirent **names;
	int n, i;

	snprintf(dir, sizeof(dir), "%s/%s", root, side);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
		failures++;
		return;
	}
	for (i = 0; i < n; i++) {
		struct category *c;

		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			c = category_get(t, names[i]->d_name);
			if (c)
				scan_tree(path, names[i]->d_name, positive, c);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct tally pos = {0}, neg = {0};
	struct gfs_scanner *s;
	const char *root = GFS_SOURCE_DIR "/tests/corpus/secrets";
	unsigned i, files = 0, hits = 0;

	if (argc > 1)
		root = argv[1];
	if (gfs_scanner_new(&s)) {
		fprintf(stderr, "cannot build the scanner\n");
		return 1;
	}
	scanner = s;
	scan_side(root, "positive", true, &pos);
	scan_side(root, "negative", false, &neg);

	printf("| positive category | files | found | recall |\n"
	       "|---|---:|---:|---:|\n");
	for (i = 0; i < pos.n; i++) {
		struct category *c = &pos.cats[i];

		printf("| %s | %u | %u | %.1f%% |\n", c->name, c->files,
		       c->flagged,
		       c->files ? 100.0 * c->flagged / c->files : 0);
		files += c->files;
		hits += c->flagged;
	}
	printf("| **all** | %u | %u | %.1f%% |\n\n", files, hits,
	       files ? 100.0 * hits / files : 0);
	files = hits = 0;
	printf("| negative category | files | false positives |\n"
	       "|---|---:|---:|\n");
	for (i = 0; i < neg.n; i++) {
		struct category *c = &neg.cats[i];

		printf("| %s | %u | %u |\n", c->name, c->files, c->flagged);
		files += c->files;
		hits += c->flagged;
	}
	printf("| **all** | %u | %u |\n", files, hits);
	gfs_scanner_free(s);
	return failures ? 1 : 0;
}
