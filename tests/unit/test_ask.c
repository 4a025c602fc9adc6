/* fs/ask.c, fs/ask_rules.c: asking, answering, timing out, remembering. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "guardfs/ask.h"

static char dir[] = "/tmp/gfs-test-ask.XXXXXX";
static char answers[128];

static struct gfs_ask *new_ask(const char *const *patterns, size_t n,
			       unsigned timeout)
{
	struct gfs_strlist list = {(char **)patterns, (char **)patterns, n};
	struct gfs_ask_opts o = {
		.patterns = &list,
		.casefold = true,
		.timeout_s = timeout,
		.answers_path = answers,
	};
	struct gfs_ask *a = NULL;
	char err[256] = "";

	if (gfs_ask_new(&a, &o, err, sizeof(err)))
		fprintf(stderr, "gfs_ask_new: %s\n", err);
	return a;
}

struct asker {
	struct gfs_ask *a;
	const char *path;
	int rc;
	const char *rule;
	pthread_t thread;
};

static void *ask_main(void *arg)
{
	struct asker *k = arg;
	struct gfs_ask_request r = {
		.op = "open", .path = k->path, .pid = getpid()};

	k->rc = gfs_ask_check(k->a, &r, &k->rule);
	return NULL;
}

static void start(struct asker *k, struct gfs_ask *a, const char *path)
{
	memset(k, 0, sizeof(*k));
	k->a = a;
	k->path = path;
	pthread_create(&k->thread, NULL, ask_main, k);
}

/* The id of the ask waiting on path (5 s at most), or 0. */
static unsigned long long waiting_id(struct gfs_ask *a, const char *path)
{
	int i;

	for (i = 0; i < 500; i++) {
		struct gfs_buf list = GFS_BUF_INIT, hex = GFS_BUF_INIT;
		unsigned long long id = 0;
		const char *line;

		gfs_ask_list(a, &list);
		gfs_buf_add_hex(&hex, path, strlen(path));
		for (line = list.data; line && *line;) {
			unsigned long long n;
			int at = 0;

			if (sscanf(line, "ask\t%llu\t%*s\t%*d\t%n", &n, &at) ==
				    1 &&
			    at && !strncmp(line + at, hex.data, hex.len) &&
			    line[at + hex.len] == '\n')
				id = n;
			line = strchr(line, '\n');
			line = line ? line + 1 : NULL;
		}
		gfs_buf_release(&list);
		gfs_buf_release(&hex);
		if (id)
			return id;
		usleep(10000);
	}
	return 0;
}

static int check_now(struct gfs_ask *a, const char *path, const char **rule)
{
	struct gfs_ask_request r = {
		.op = "open", .path = path, .pid = getpid()};

	return gfs_ask_check(a, &r, rule);
}

static void test_answers(void)
{
	static const char *const patterns[] = {"private/", "*.key"};
	struct gfs_ask *a = new_ask(patterns, 2, 10);
	struct asker k[5];
	const char *rule;
	unsigned long long id;
	int i;

	CHECK(a && gfs_ask_enabled(a));
	CHECK(check_now(a, "public/x", &rule) == 0 && !rule);
	CHECK(check_now(a, "", &rule) == 0);

	/* allow once: through, and this process not asked again below */
	start(&k[0], a, "private/a");
	id = waiting_id(a, "private/a");
	CHECK(id != 0);
	CHECK(gfs_ask_answer(a, id, GFS_ASK_ONCE) == 0);
	pthread_join(k[0].thread, NULL);
	CHECK(k[0].rc == 1);
	CHECK(check_now(a, "private/a", &rule) == 1);
	CHECK(gfs_ask_answer(a, id, GFS_ASK_ONCE) == -ENOENT);

	/* deny: refused with its rule; asked through a directory above */
	start(&k[0], a, "private/b/deep");
	id = waiting_id(a, "private/b/deep");
	CHECK(gfs_ask_answer(a, id, GFS_ASK_DENY) == 0);
	pthread_join(k[0].thread, NULL);
	CHECK(k[0].rc == -EACCES && k[0].rule &&
	      !strcmp(k[0].rule, "ask:deny"));

	/* at most GFS_ASK_MAX_WAITING wait; the next is refused at once */
	for (i = 0; i < GFS_ASK_MAX_WAITING; i++) {
		static const char *const paths[] = {"x/1.key", "x/2.key",
						    "x/3.key", "x/4.key"};

		start(&k[i], a, paths[i]);
		CHECK(waiting_id(a, paths[i]) != 0);
	}
	CHECK(check_now(a, "x/5.key", &rule) == -EACCES);
	CHECK(rule && !strcmp(rule, "ask:busy"));
	for (i = 0; i < GFS_ASK_MAX_WAITING; i++) {
		CHECK(gfs_ask_answer(a, waiting_id(a, k[i].path),
				     GFS_ASK_DENY) == 0);
		pthread_join(k[i].thread, NULL);
		CHECK(k[i].rc == -EACCES);
	}

	/* always and never: written to the answers file, in force at once */
	start(&k[0], a, "private/al*ways");
	CHECK(gfs_ask_answer(a, waiting_id(a, "private/al*ways"),
			     GFS_ASK_ALWAYS) == 0);
	pthread_join(k[0].thread, NULL);
	CHECK(k[0].rc == 1);
	start(&k[0], a, "private/never");
	CHECK(gfs_ask_answer(a, waiting_id(a, "private/never"),
			     GFS_ASK_NEVER) == 0);
	pthread_join(k[0].thread, NULL);
	CHECK(k[0].rc == -EACCES);
	CHECK(gfs_ask_answer(a, 999, GFS_ASK_ONCE) == -ENOENT);
	CHECK(gfs_ask_answer(a, 1, GFS_ASK_TIMEOUT) == -EINVAL);
	gfs_ask_free(a);
}

static void test_remembered(void)
{
	static const char *const patterns[] = {"private/"};
	struct gfs_ask *a;
	struct asker k;
	char text[256] = "", want[256];
	const char *rule;
	FILE *f = fopen(answers, "r");

	CHECK(f && fread(text, 1, sizeof(text) - 1, f) > 0);
	if (f)
		fclose(f);
	/* the exact path, its glob characters escaped */
	CHECK_STR(text, "allow /private/al\\*ways\ndeny /private/never\n");

	/* a new mount: no asking about either */
	a = new_ask(patterns, 1, 1);
	CHECK(a && check_now(a, "private/al*ways", &rule) == 0);
	CHECK(check_now(a, "PRIVATE/AL*WAYS/below", &rule) == 0);
	CHECK(check_now(a, "private/never", &rule) == -EACCES);
	snprintf(want, sizeof(want), "%s:2", answers);
	CHECK(rule && !strcmp(rule, want));
	/* the escape keeps it to that name: "alXways" is still asked */
	start(&k, a, "private/alXways");
	CHECK(gfs_ask_answer(a, waiting_id(a, "private/alXways"),
			     GFS_ASK_DENY) == 0);
	pthread_join(k.thread, NULL);
	CHECK(k.rc == -EACCES);

	/* no answer: denied after the timeout */
	{
		struct timespec t0, t1;
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		start(&k, a, "private/slow");
		pthread_join(k.thread, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		CHECK(k.rc == -EACCES && !strcmp(k.rule, "ask:timeout"));
		CHECK(ms >= 900 && ms < 3000);
	}
	gfs_ask_free(a);

	/* an answers file others may write is refused */
	chmod(answers, 0666);
	{
		struct gfs_strlist list = {(char **)patterns, (char **)patterns,
					   1};
		struct gfs_ask_opts o = {.patterns = &list,
					 .answers_path = answers};
		char err[256] = "";

		a = NULL;
		CHECK(gfs_ask_new(&a, &o, err, sizeof(err)) == -EPERM);
		CHECK(a == NULL && strstr(err, "only its owner"));
	}
}

struct waiter {
	struct gfs_ask *a;
	enum gfs_ask_answer answer;
	bool cancelled;
	pthread_t thread;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	struct gfs_ask_request r = {.op = "unlink",
				    .path = "src/a.c",
				    .pid = getpid(),
				    .detail = "would trip deletes_per_minute",
				    .cancelled = &w->cancelled};

	w->answer = gfs_ask_wait(w->a, &r);
	return NULL;
}

/* The breaker's ask: any path, and an "always" is not written down. */
static void test_wait(void)
{
	struct waiter w = {0};
	struct stat before, after;

	w.a = new_ask(NULL, 0, 5);
	CHECK(w.a != NULL);
	stat(answers, &before);
	pthread_create(&w.thread, NULL, wait_main, &w);
	CHECK(gfs_ask_answer(w.a, waiting_id(w.a, "src/a.c"), GFS_ASK_ALWAYS) ==
	      0);
	pthread_join(w.thread, NULL);
	CHECK(w.answer == GFS_ASK_ALWAYS);
	CHECK(stat(answers, &after) == 0 && after.st_size == before.st_size);
	gfs_ask_free(w.a);
}

/* An interrupted asker: its wait ends at once and its ask is gone. */
static void test_cancel(void)
{
	struct waiter w = {0};
	struct gfs_buf list = GFS_BUF_INIT;

	w.a = new_ask(NULL, 0, 30);
	CHECK(w.a != NULL);
	pthread_create(&w.thread, NULL, wait_main, &w);
	CHECK(waiting_id(w.a, "src/a.c") != 0);
	gfs_ask_cancel(w.a, &w.cancelled);
	pthread_join(w.thread, NULL);
	CHECK(w.answer == GFS_ASK_CANCELLED);
	CHECK(gfs_ask_list(w.a, &list) == 0);
	CHECK(!list.data || !strstr(list.data, "ask\t"));
	gfs_buf_release(&list);
	gfs_ask_free(w.a);
}

static void test_no_patterns(void)
{
	struct gfs_ask_opts o = {0};
	struct gfs_ask *a = NULL;
	const char *rule;
	char err[64];

	CHECK(gfs_ask_new(&a, &o, err, sizeof(err)) == 0);
	CHECK(!gfs_ask_enabled(a));
	CHECK(check_now(a, "anything", &rule) == 0);
	CHECK(check_now(NULL, "anything", &rule) == 0);
	gfs_ask_free(a);
}

int main(void)
{
	enum gfs_ask_answer w;

	if (!mkdtemp(dir))
		return 1;
	snprintf(answers, sizeof(answers), "%s/p.answers", dir);
	CHECK(gfs_ask_parse("always", &w) == 0 && w == GFS_ASK_ALWAYS);
	CHECK(gfs_ask_parse("yes", &w) == -EINVAL);
	test_no_patterns();
	test_answers();
	test_wait();
	test_cancel();
	test_remembered();
	unlink(answers);
	rmdir(dir);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
