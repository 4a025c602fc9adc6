/*
 * Unit tests of the content scanner, the verdict cache and gfs_scan_fd.
 *
 * Every credential below is fake: random characters in the right format
 * (with a valid checksum where the format has one), never a real key.
 *
 * "test_scan --bench DIR [MiB]" instead measures throughput: it loads the
 * regular files under DIR (up to MiB, default 64) and scans them on one
 * core, printing MB/s of thread CPU time. "test_scan --scan FILE..."
 * prints the finding of each file that holds a secret.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardfs/buf.h"
#include "guardfs/scan.h"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

static struct gfs_scanner *scanner;

/* Scans text; returns the rule id found or "" when clean. */
static const char *scan_text(const char *text, unsigned *line)
{
	static struct gfs_scan_finding f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = gfs_scanner_scan(scanner, text, strlen(text), &f);
	if (rc < 0)
		return "<error>";
	if (line)
		*line = f.line;
	return rc == 1 ? f.rule_id : "";
}

static void expect_secret_at(const char *file, int lineno, const char *text,
			     const char *rule, unsigned want_line)
{
	unsigned line = 0;
	const char *got = scan_text(text, &line);

	if (strcmp(got, rule) || (want_line && line != want_line)) {
		fprintf(stderr,
			"%s:%d: expected %s (line %u), got '%s' (line %u) in:\n"
			"%s\n",
			file, lineno, rule, want_line, got, line, text);
		failures++;
	}
}

static void expect_clean_at(const char *file, int lineno, const char *text)
{
	unsigned line = 0;
	const char *got = scan_text(text, &line);

	if (*got) {
		fprintf(stderr,
			"%s:%d: expected clean, got %s at line %u in:\n"
			"%s\n",
			file, lineno, got, line, text);
		failures++;
	}
}

#define SECRET(text, rule) expect_secret_at(__FILE__, __LINE__, text, rule, 0)
#define SECRET_LINE(text, rule, line)                                          \
	expect_secret_at(__FILE__, __LINE__, text, rule, line)
#define CLEAN(text) expect_clean_at(__FILE__, __LINE__, text)

static void test_rules_format(void)
{
	struct gfs_scanner *s;
	char err[256];
	unsigned line = 0;
	const char good[] = "# mine\n"
			    "[acme-token]\n"
			    "keywords = acme_\n"
			    "regex = (acme_[a-z0-9]{20})\n"
			    "entropy = 3\n"
			    "[allow]\n"
			    "value = acme_0{20}\n";
	const char bad_key[] = "[x]\nkeywords = abc\nregex = abc\nfoo = 1\n";
	const char no_kw[] = "[x]\n\nregex = abc\n";
	const char short_kw[] = "[x]\nkeywords = abc\nregex = ab\n";
	const char bad_re[] = "[x]\nkeywords = abc\nregex = (abc\n";
	const char cont[] = "[long-one]\nkeywords = zzq[0-9]\nregex = zzq\n"
			    "    [0-9]{4}\n";
	struct gfs_scan_finding f;

	CHECK(gfs_scanner_new(&s) == 0);
	CHECK(gfs_scanner_rule_count(s) > 50);
	CHECK(gfs_scanner_add_rules(s, good, sizeof(good) - 1, "mine.rules",
				    &line, err, sizeof(err)) == 0);
	CHECK(gfs_scanner_scan(s, "x acme_k3j4h5g6f7d8s9a0q1w2 y", 28, &f) ==
	      1);
	CHECK(!strcmp(f.rule_id, "acme-token"));
	CHECK(gfs_scanner_scan(s, "x acme_00000000000000000000 y", 28, &f) ==
	      0);
	CHECK(gfs_scanner_add_rules(s, cont, sizeof(cont) - 1, "c", &line, err,
				    sizeof(err)) == 0);
	CHECK(gfs_scanner_scan(s, "zzq1234", 7, &f) == 1);
	CHECK(gfs_scanner_scan(s, "zzq12", 5, &f) == 0);

	CHECK(gfs_scanner_add_rules(s, bad_key, sizeof(bad_key) - 1, "b.rules",
				    &line, err, sizeof(err)) == -EINVAL);
	CHECK(line == 4);
	CHECK(strstr(err, "b.rules:4: unknown key 'foo'") != NULL);
	CHECK(gfs_scanner_add_rules(s, no_kw, sizeof(no_kw) - 1, "n", &line,
				    err, sizeof(err)) == -EINVAL);
	CHECK(line == 1 && strstr(err, "no keywords"));
	CHECK(gfs_scanner_add_rules(s, short_kw, sizeof(short_kw) - 1, "n",
				    &line, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "4 to 64 bytes") != NULL);
	CHECK(gfs_scanner_add_rules(s, bad_re, sizeof(bad_re) - 1, "n", &line,
				    err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "bad regex") != NULL);
	CHECK(gfs_scanner_add_rules(s, good, sizeof(good) - 1, "again", &line,
				    err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "duplicate rule 'acme-token'") != NULL);

	CHECK(gfs_scanner_allow_value(s, "(", err, sizeof(err)) == -EINVAL);
	CHECK(gfs_scanner_allow_value(s, "^acme_k3j4", err, sizeof(err)) == 0);
	CHECK(gfs_scanner_scan(s, "x acme_k3j4h5g6f7d8s9a0q1w2 y", 28, &f) ==
	      0);
	gfs_scanner_free(s);
	gfs_scanner_free(NULL);
}

struct bench_file {
	char *data;
	size_t len;
};

struct bench_set {
	struct bench_file *files;
	size_t n, cap, bytes, limit;
};

static void bench_load(struct bench_set *b, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && b->bytes < b->limit) {
		struct gfs_buf path = GFS_BUF_INIT;
		struct stat st;
		FILE *f;

		if (e->d_name[0] == '.' ||
		    gfs_buf_addf(&path, "%s/%s", dir, e->d_name))
			goto next;
		if (lstat(path.data, &st))
			goto next;
		if (S_ISDIR(st.st_mode)) {
			bench_load(b, path.data);
			goto next;
		}
		if (!S_ISREG(st.st_mode) || !st.st_size)
			goto next;
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 256;
			b->files =
				realloc(b->files, b->cap * sizeof(*b->files));
			if (!b->files)
				abort();
		}
		f = fopen(path.data, "rb");
		if (!f)
			goto next;
		b->files[b->n].data = malloc((size_t)st.st_size);
		b->files[b->n].len =
			fread(b->files[b->n].data, 1, (size_t)st.st_size, f);
		b->bytes += b->files[b->n].len;
		b->n++;
		fclose(f);
	next:
		gfs_buf_release(&path);
	}
	closedir(d);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Throughput on one core over the files below dir, read into memory first. */
static int bench(const char *dir, size_t mib)
{
	struct bench_set b = {.limit = mib << 20};
	struct gfs_scan_finding f;
	size_t i, flagged = 0, round, rounds;
	double t0, t;

	bench_load(&b, dir);
	if (!b.bytes) {
		fprintf(stderr, "no files under %s\n", dir);
		return 1;
	}
	/* at least ~256 MiB scanned in total so the timing is stable */
	rounds = ((size_t)256 << 20) / b.bytes + 1;
	t0 = now_s();
	for (round = 0; round < rounds; round++)
		for (i = 0; i < b.n; i++)
			if (gfs_scanner_scan(scanner, b.files[i].data,
					     b.files[i].len, &f) == 1 &&
			    round == 0)
				flagged++;
	t = now_s() - t0;
	printf("scanned %zu files, %.1f MiB x %zu rounds in %.3f s: %.0f MB/s "
	       "(%zu files flagged)\n",
	       b.n, (double)b.bytes / (1 << 20), rounds, t,
	       (double)b.bytes * (double)rounds / t / 1e6, flagged);
	for (i = 0; i < b.n; i++)
		free(b.files[i].data);
	free(b.files);
	return 0;
}

/* Prints "PATH:LINE: rule" for a file holding a secret. */
static int scan_one(const char *path)
{
	struct gfs_verdict v;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = gfs_scan_fd(scanner, NULL, fd, UINT64_MAX, &v);
	close(fd);
	if (rc == 1)
		printf("%s:%u: %s\n", path, v.finding.line, v.finding.rule_id);
	return rc < 0;
}

int main(int argc, char **argv)
{
	if (gfs_scanner_new(&scanner)) {
		fprintf(stderr, "cannot build the scanner\n");
		return 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "--scan")) {
		int i, rc = 0;

		for (i = 2; i < argc; i++)
			rc |= scan_one(argv[i]);
		gfs_scanner_free(scanner);
		return rc;
	}
	if (argc >= 3 && !strcmp(argv[1], "--bench")) {
		int rc = bench(argv[2],
			       argc >= 4 ? strtoul(argv[3], NULL, 10) : 64);

		gfs_scanner_free(scanner);
		return rc;
	}
	test_rules_format();
	SECRET("x = \"AKIAQWERTZUIOPASDF23\"\n", "aws-access-key-id");
	CLEAN("nothing here\n");
	gfs_scanner_free(scanner);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
