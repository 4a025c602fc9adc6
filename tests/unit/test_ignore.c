/*
 * Unit tests for the gitignore matcher (policy/ignore.c).
 *
 * The match table below was checked against git 2.39's
 * "git check-ignore --no-index -v" (core.ignorecase set as in the table):
 * run with GFS_DUMP_CASES=1 to print it in a form a script can replay
 * through git. Cases marked GIT_DIFFERS are deliberate departures.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardfs/ignore.h"

#include "check.h"

enum {
	OWN = 0,  /* gfs_ignore_match: the path's own name only */
	TREE = 1, /* gfs_ignore_match_tree */
	FOLD = 2, /* GFS_IGNORE_CASEFOLD */
	DIR = 4,  /* the path is a directory */
	NEG = 8,  /* the deciding rule is a '!' rule */
	GIT_DIFFERS = 16,
};

struct match_case {
	int src_line;
	const char *rules; /* newline separated, as in a file */
	const char *path;
	unsigned flags;
	unsigned want; /* line of the deciding rule, 0 for none */
};

#define M(rules, path, flags, want)                                            \
	{                                                                      \
		__LINE__, rules, path, flags, want                             \
	}

static const struct match_case cases[] = {
	/* plain names match the basename at any depth */
	M("foo", "foo", OWN, 1),
	M("foo", "a/b/foo", OWN, 1),
	M("foo", "foobar", OWN, 0),
	M("foo", "xfoo", OWN, 0),
	M("foo", "foo/bar", OWN, 0),
	M("foo", "foo/bar", TREE, 1),
	M("foo", "foo", DIR, 1),
	/* comments, blank lines, escapes of '#' and '!' */
	M("# comment\n\nfoo", "foo", OWN, 3),
	M("#foo", "#foo", OWN, 0),
	M("\\#foo", "#foo", OWN, 1),
	M("\\!imp", "!imp", OWN, 1),
	M("\\!imp", "imp", OWN, 0),
	M(" #x", " #x", OWN, 1),
	/* negation: the last matching rule decides */
	M("*.log\n!keep.log", "keep.log", NEG, 2),
	M("*.log\n!keep.log", "a/keep.log", NEG, 2),
	M("*.log\n!keep.log", "a.log", OWN, 1),
	M("!keep.log\n*.log", "keep.log", OWN, 2),
	M("foo\n!foo\nfoo", "foo", OWN, 3),
	M("!", "x", OWN, 0),
	/* anchoring by a leading or middle slash */
	M("/foo", "foo", OWN, 1),
	M("/foo", "a/foo", OWN, 0),
	M("a/b", "a/b", OWN, 1),
	M("a/b", "x/a/b", OWN, 0),
	M("doc/*.txt", "doc/n.txt", OWN, 1),
	M("doc/*.txt", "doc/x/n.txt", TREE, 0),
	M("doc/*.txt", "x/doc/n.txt", TREE, 0),
	M("/a/b/", "a/b", DIR, 1),
	/* a trailing slash: directories only */
	M("build/", "build", DIR, 1),
	M("build/", "build", OWN, 0),
	M("build/", "src/build", DIR, 1),
	M("build/", "build/x.o", TREE, 1),
	M("a/b/", "a/b", OWN, 0),
	M("*.d/", "x.d", DIR, 1),
	M("*.d/", "x.d", OWN, 0),
	/* '*' never crosses '/' */
	M("a*b", "axyb", OWN, 1),
	M("a*b", "d/ab", OWN, 1),
	M("a/*b", "a/xb", OWN, 1),
	M("a/*b", "a/x/yb", TREE, 0),
	M("a/*", "a/x", OWN, 1),
	M("a/*", "a/x/y", OWN, 0),
	M("*", "anything", OWN, 1),
	M("*", "a/b", OWN, 1),
	M("*/x", "a/x", OWN, 1),
	M("*/x", "a/b/x", TREE, 0),
	/* '?' is one byte, never '/' */
	M("?.c", "a.c", OWN, 1),
	M("?.c", "ab.c", OWN, 0),
	M("?.c", ".c", OWN, 0),
	M("x/a?b", "x/a/b", TREE, 0),
	M("x/a?b", "x/acb", OWN, 1),
	/* character classes */
	M("[a-c].txt", "b.txt", OWN, 1),
	M("[a-c].txt", "d.txt", OWN, 0),
	M("[!a].txt", "a.txt", OWN, 0),
	M("[!a].txt", "b.txt", OWN, 1),
	M("[^a].txt", "a.txt", OWN, 0),
	M("[^a].txt", "c.txt", OWN, 1),
	M("[]x].y", "].y", OWN, 1),
	M("[]x].y", "x.y", OWN, 1),
	M("[!]x].y", "].y", OWN, 0),
	M("[a-].z", "-.z", OWN, 1),
	M("[a-c-e].z", "-.z", OWN, 1),
	M("[a-c-e].z", "d.z", OWN, 0),
	M("[[:digit:]]x", "5x", OWN, 1),
	M("[[:digit:]]x", "ax", OWN, 0),
	M("[[:alpha:][:digit:]]", "q", OWN, 1),
	M("[[:space:]]", " ", OWN, 1),
	M("[\\]]", "]", OWN, 1),
	M("[[]", "[", OWN, 1),
	M("a[[:x]", "a:", OWN, 1),
	M("a[[:x]", "ax", OWN, 1),
	M("a[[:x]", "a[", OWN, 1),
	M("a[[:x]", "a]", OWN, 0),
	M("x[/]y", "x/y", TREE, 0),
	M("a/[!b]", "a/c", OWN, 1),
	/* "**" */
	M("**/foo", "foo", OWN, 1),
	M("**/foo", "a/b/foo", OWN, 1),
	M("**/foo", "a/xfoo", OWN, 0),
	M("**/foo/bar", "foo/bar", OWN, 1),
	M("**/foo/bar", "x/y/foo/bar", OWN, 1),
	M("**/foo/bar", "x/foo/x/bar", TREE, 0),
	M("abc/**", "abc/x", OWN, 1),
	M("abc/**", "abc/x/y", OWN, 1),
	M("abc/**", "abc", DIR, 0),
	M("abc/**", "xabc/x", TREE, 0),
	M("a/**/b", "a/b", OWN, 1),
	M("a/**/b", "a/x/b", OWN, 1),
	M("a/**/b", "a/x/y/b", OWN, 1),
	M("a/**/b", "a/xb", TREE, 0),
	M("a/**/b", "x/a/b", TREE, 0),
	M("**", "a/b/c", OWN, 1),
	M("/**", "a/b/c", OWN, 1),
	M("a/**b", "a/xb", OWN, 1),
	M("a/**b", "a/x/b", TREE, 0),
	M("**.c", "d/x.c", OWN, 1),
	M("**/*.c", "d/e/x.c", OWN, 1),
	M("**/d/**/*.c", "d/e/f/x.c", OWN, 1),
	M("***/x", "a/b/x", OWN, 1),
	/* git's quirk: a leading fixed prefix, then "**": as if at the start */
	M("b**/x", "b/x", OWN, 1),
	M("b**/x", "bc/d/x", OWN, 1),
	M("a/b**", "a/bc/d", OWN, 1),
	/* backslash escapes */
	M("\\*", "*", OWN, 1),
	M("\\*", "a", OWN, 0),
	M("a\\?", "a?", OWN, 1),
	M("a\\?", "ab", OWN, 0),
	M("\\[x]", "[x]", OWN, 1),
	M("\\[x]", "x", OWN, 0),
	M("\\a\\b", "ab", OWN, 1),
	/* trailing spaces dropped unless escaped; tabs kept */
	M("foo  ", "foo", OWN, 1),
	M("foo\\ ", "foo ", OWN, 1),
	M("foo\\ ", "foo", OWN, 0),
	M("foo\\  ", "foo ", OWN, 1),
	M("foo\t", "foo\t", OWN, 1),
	M("foo\t", "foo", OWN, 0),
	M("a b", "a b", OWN, 1),
	/* CRLF files */
	M("foo\r\nbar\r\n", "foo", OWN, 1),
	M("foo\r\nbar\r\n", "bar", OWN, 2),
	/* case: exact unless folding */
	M("Foo", "foo", OWN, 0),
	M("Foo", "foo", FOLD, 1),
	M("foo", "FOO", FOLD, 1),
	M("*.PEM", "a.pem", FOLD, 1),
	M("*.pem", "A.PeM", FOLD, 1),
	M("*.pem", "A.PeM", OWN, 0),
	M("[a-c]x", "BX", FOLD, 1),
	M("[!a]x", "AX", FOLD, 0),
	M("[[:upper:]]x", "ax", FOLD, 1),
	M("[[:upper:]]x", "ax", OWN, 0),
	M("A/**/B", "a/x/b", FOLD, 1),
	M("**/.Aws/Creds", "p/.aws/creds", FOLD, 1),
	M("ID_*", "id_rsa", FOLD, 1),
	M("x?Y", "XzY", FOLD, 1),
	/* indexes: suffixes, extensions, literals, heads */
	M("*.tar.gz", "x.tar.gz", OWN, 1),
	M("*.tar.gz", "x.gz", OWN, 0),
	M("*.pem", ".pem", OWN, 1),
	M("*.", "a.", OWN, 1),
	M("*rc", ".bashrc", OWN, 1),
	M("*rc", "rc", OWN, 1),
	M("**/conf/*.json", "a/conf/x.json", OWN, 1),
	M("**/conf/*.json", "conf/x.json", OWN, 1),
	M("**/a/b", "x/a/b", OWN, 1),
	M("**/a/b", "xa/b", OWN, 0),
	M("a/b/c.d", "a/b/c.d", OWN, 1),
	M("a/b/c.d", "x/a/b/c.d", OWN, 0),
	M("x*.json", "xy.json", OWN, 1),
	M("x*.json", "y.json", OWN, 0),
	M(".a*", ".abc", OWN, 1),
	M("*.tfstate.*", "t.tfstate.1.backup", OWN, 1),
	/* last rule wins across literal, suffix, extension and glob rules */
	M("*.pem\n!a*.pem\nsecret.pem\n!**/x/secret.pem", "a1.pem", NEG, 2),
	M("*.pem\n!a*.pem\nsecret.pem\n!**/x/secret.pem", "secret.pem", OWN, 3),
	M("*.pem\n!a*.pem\nsecret.pem\n!**/x/secret.pem", "x/secret.pem", NEG,
	  4),
	M("*.pem\n!a*.pem\nsecret.pem\n!**/x/secret.pem", "y/ab.pem", NEG, 2),
	M("*.pem\n!a*.pem\nsecret.pem\n!**/x/secret.pem", "b.pem", OWN, 1),
	M("a*\nabc", "abc", OWN, 2),
	M("abc\na*", "abc", OWN, 2),
	M("abc\n!a*", "abc", NEG, 2),
	M("*\n!*.c", "x.c", NEG, 2),
	M("*.c\n!x*\n*c", "xc.c", OWN, 3),
	M("!*.c\nx.c\n?.c", "x.c", OWN, 3),
	M("a/b\n!**/b", "a/b", NEG, 2),
	M("**/b\n!a/b\n*", "a/b", OWN, 3),
	M("x.d/\n!*.d", "x.d", DIR | NEG, 2),
	M("!*.d\nx.d/", "x.d", NEG, 1),
	/* match_tree: no rule can re-include below an excluded directory */
	M("secret/\n!secret/keep", "secret/keep", TREE, 1),
	M("secret/\n!secret/keep", "secret/keep", NEG | GIT_DIFFERS, 2),
	M("x/*\n!x/y", "x/y/z", TREE, 0),
	M("x/*\n!x/y", "x/y", DIR | NEG, 2),
	M("x/*\n!x/y", "x/w/z", TREE, 1),
	M("a\n!a/", "a/b", TREE, 0),
	M("a\n!a/", "a", DIR | NEG, 2),
	M("a\n!a/", "a", OWN, 1),
	M("b/\n!b", "a/b/c", TREE, 0),
	M("c", "a/b/c", TREE | DIR, 1),
	M("b", "a/b/c/d", TREE, 1),
	M("a/b/", "a/b/c/d", TREE | FOLD, 1),
	/* "**∕name∕**": everything below a directory of that name, indexed
	 * by the name and looked up per directory component */
	M("**/foo/**", "foo/x", OWN, 1),
	M("**/foo/**", "a/b/foo/c/d", OWN, 1),
	M("**/foo/**", "foo", OWN, 0),
	M("**/foo/**", "foo", DIR, 0),
	M("**/foo/**", "a/foo", OWN, 0),
	M("**/foo/**", "xfoo/a", OWN, 0),
	M("**/foo/**", "foox/a", OWN, 0),
	M("**/foo/**", "a/foo/b", DIR, 1),
	M("**/foo/**", "a/foo/b/c", TREE, 1),
	M("**/Foo/**", "a/FOO/b", FOLD, 1),
	M("**/Foo/**", "a/FOO/b", OWN, 0),
	M("**/foo/**/", "a/foo/b", OWN, 0),
	M("**/foo/**/", "a/foo/b", DIR, 1),
	M("**/f\\*o/**", "f*o/x", OWN, 1),
	M("**/f\\*o/**", "fxo/x", OWN, 0),
	M("**/foo/**\n!**/bar/**", "bar/foo/x", NEG, 2),
	M("**/bar/**\n**/foo/**", "foo/bar/x", OWN, 2),
	M("**/foo/**\n!*.c", "a/foo/x.c", NEG, 2),
	M("**/foo/**\n!*.c", "a/foo/x.h", OWN, 1),
	M("*.c\n!**/foo/**", "foo/x.c", NEG, 2),
	M("!*.c\n**/foo/**", "foo/x.c", OWN, 2),
	M("**/foo/**\n**/bar/**\n!*/", "foo/bar", DIR | NEG, 3),
	/* suffixes without an extension, indexed by their last two bytes */
	M("*_rsa", "deploy_rsa", OWN, 1),
	M("*_rsa", "x/deploy_RSA", FOLD, 1),
	M("*_rsa", "deploy_rsa.pub", OWN, 0),
	M("*_rsa", "_rsa", OWN, 1),
	M("*_rsa", "rsa", OWN, 0),
	M("*_rsa", "x_rsa/y", OWN, 0),
	M("*ab", "b", OWN, 0),
	M("*ab\n!*xab", "yxab", NEG, 2),
	M("*ab\n!*xab", "yab", OWN, 1),
	M("*a", "a", OWN, 1),
};

static void dump_cases(void)
{
	size_t i;
	const char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];

		/* fields split by RS, rule lines by US: paths hold tabs */
		printf("%d\x1e%u\x1e%u\x1e%s\x1e", c->src_line, c->flags,
		       c->want, c->path);
		for (s = c->rules; *s; s++)
			putchar(*s == '\n' ? '\x1f' : *s);
		putchar('\n');
	}
}

static void run_match_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		struct gfs_ignore *ig;
		enum gfs_ignore_verdict v, want_v;
		const char *rule = "unset";
		unsigned bad = 0;
		char want_rule[32];
		bool dir = c->flags & DIR;
		int rc;

		if (gfs_ignore_new(&ig,
				   c->flags & FOLD ? GFS_IGNORE_CASEFOLD : 0)) {
			failures++;
			return;
		}
		rc = gfs_ignore_add_text(ig, c->rules, strlen(c->rules), "t",
					 &bad);
		v = c->flags & TREE
			    ? gfs_ignore_match_tree(ig, c->path, dir, &rule)
			    : gfs_ignore_match(ig, c->path, dir, &rule);
		want_v = !c->want	  ? GFS_IGNORE_NONE
			 : c->flags & NEG ? GFS_IGNORE_NEGATED
					  : GFS_IGNORE_MATCH;
		snprintf(want_rule, sizeof(want_rule), "t:%u", c->want);
		if (rc || v != want_v ||
		    (c->want ? !rule || strcmp(rule, want_rule)
			     : rule != NULL)) {
			fprintf(stderr,
				"%s:%d: rules \"%s\" path \"%s\": rc %d "
				"verdict %d rule %s, want verdict %d rule %s\n",
				__FILE__, c->src_line, c->rules, c->path, rc,
				(int)v, rule ? rule : "(none)", (int)want_v,
				c->want ? want_rule : "(none)");
			failures++;
		}
		gfs_ignore_free(ig);
	}
}

static void test_errors_and_counts(void)
{
	struct gfs_ignore *ig;
	unsigned bad = 0;
	const char *text = "a\n# c\n\n   \nb\n!c\n";

	CHECK(gfs_ignore_new(&ig, 0) == 0);
	CHECK(gfs_ignore_add(ig, "[abc", "x") == -EINVAL);
	CHECK(gfs_ignore_add(ig, "a[", "x") == -EINVAL);
	CHECK(gfs_ignore_add(ig, "[!", "x") == -EINVAL);
	CHECK(gfs_ignore_add(ig, "[[:bogus:]]", "x") == -EINVAL);
	CHECK(gfs_ignore_add(ig, "[[:alpha:]", "x") == -EINVAL);
	CHECK(gfs_ignore_add(ig, "foo\\", "x") == -EINVAL);
	/* "x\/" loses its '/' to the dir-only rule and ends in a backslash */
	CHECK(gfs_ignore_add(ig, "x\\/", "x") == -EINVAL);
	CHECK(gfs_ignore_count(ig) == 0);
	CHECK(gfs_ignore_add(ig, "", "x") == 0);
	CHECK(gfs_ignore_add(ig, "# only a comment", "x") == 0);
	CHECK(gfs_ignore_count(ig) == 0);
	CHECK(gfs_ignore_add_text(ig, text, strlen(text), "t", &bad) == 0);
	CHECK(gfs_ignore_count(ig) == 3);
	CHECK(gfs_ignore_add_text(ig, "ok\nbad[\nnever", 13, "u", &bad) ==
	      -EINVAL);
	CHECK(bad == 2);
	/* the good line before the bad one stays, the one after never came */
	CHECK(gfs_ignore_count(ig) == 4);
	CHECK(gfs_ignore_match(ig, "never", false, NULL) == GFS_IGNORE_NONE);
	CHECK(gfs_ignore_match(ig, "ok", false, NULL) == GFS_IGNORE_MATCH);
	/* the length bounds the text: the rule after it is not read */
	CHECK(gfs_ignore_add_text(ig, "p1\nzzz", 1, "v", &bad) == 0);
	CHECK(gfs_ignore_match(ig, "zzz", false, NULL) == GFS_IGNORE_NONE);
	CHECK(gfs_ignore_match(ig, "p1", false, NULL) == GFS_IGNORE_NONE);
	CHECK(gfs_ignore_match(ig, "p", false, NULL) == GFS_IGNORE_MATCH);
	CHECK(gfs_ignore_match(ig, "", false, NULL) == GFS_IGNORE_NONE);
	gfs_ignore_free(ig);
	gfs_ignore_free(NULL);
}

static void test_origins(void)
{
	struct gfs_ignore *ig;
	const char *rule = NULL;
	char origin[] = "conf/x.ini:7";

	CHECK(gfs_ignore_new(&ig, GFS_IGNORE_CASEFOLD) == 0);
	CHECK(gfs_ignore_add(ig, "*.sqlite", origin) == 0);
	origin[0] = 'X'; /* the list keeps its own copy */
	CHECK(gfs_ignore_match(ig, "db/A.SQLITE", false, &rule) ==
	      GFS_IGNORE_MATCH);
	CHECK(rule && strcmp(rule, "conf/x.ini:7") == 0);
	CHECK(gfs_ignore_match(ig, "db/a.sql", false, &rule) ==
	      GFS_IGNORE_NONE);
	CHECK(rule == NULL);
	CHECK(gfs_ignore_match(ig, "x.sqlite", false, NULL) ==
	      GFS_IGNORE_MATCH);
	gfs_ignore_free(ig);
}

/*
 * Many rules sharing hash buckets and lists, added in an order that makes
 * the tables grow and rehash: every path must still get its last rule.
 */
static void test_many_rules(void)
{
	struct gfs_ignore *ig;
	char line[64], path[64], want[32];
	const char *rule;
	int i;

	CHECK(gfs_ignore_new(&ig, GFS_IGNORE_CASEFOLD) == 0);
	for (i = 0; i < 2000; i++) {
		switch (i % 5) {
		case 0:
			snprintf(line, sizeof(line), "name%d", i);
			break;
		case 1:
			snprintf(line, sizeof(line), "*.ext%d", i);
			break;
		case 2:
			snprintf(line, sizeof(line), "!**/d/name%d", i - 2);
			break;
		case 3:
			snprintf(line, sizeof(line), "G%d*.Ext%d", i, i - 2);
			break;
		case 4:
			snprintf(line, sizeof(line), "/top/%d/**", i);
			break;
		}
		snprintf(want, sizeof(want), "r:%d", i);
		CHECK(gfs_ignore_add(ig, line, want) == 0);
	}
	CHECK(gfs_ignore_count(ig) == 2000);
	for (i = 0; i < 2000; i += 5) {
		snprintf(path, sizeof(path), "x/NAME%d", i);
		snprintf(want, sizeof(want), "r:%d", i);
		CHECK(gfs_ignore_match(ig, path, false, &rule) ==
			      GFS_IGNORE_MATCH &&
		      strcmp(rule, want) == 0);
		snprintf(path, sizeof(path), "d/name%d", i);
		snprintf(want, sizeof(want), "r:%d", i + 2);
		CHECK(gfs_ignore_match(ig, path, false, &rule) ==
			      GFS_IGNORE_NEGATED &&
		      strcmp(rule, want) == 0);
		snprintf(path, sizeof(path), "f.ext%d", i + 1);
		snprintf(want, sizeof(want), "r:%d", i + 1);
		CHECK(gfs_ignore_match(ig, path, false, &rule) ==
			      GFS_IGNORE_MATCH &&
		      strcmp(rule, want) == 0);
		/* g<n>x.ext<n-2> matches rule n-2's suffix and rule n's glob */
		snprintf(path, sizeof(path), "g%dx.ext%d", i + 3, i + 1);
		snprintf(want, sizeof(want), "r:%d", i + 3);
		CHECK(gfs_ignore_match(ig, path, false, &rule) ==
			      GFS_IGNORE_MATCH &&
		      strcmp(rule, want) == 0);
		snprintf(path, sizeof(path), "top/%d/a/b", i + 4);
		snprintf(want, sizeof(want), "r:%d", i + 4);
		CHECK(gfs_ignore_match(ig, path, false, &rule) ==
			      GFS_IGNORE_MATCH &&
		      strcmp(rule, want) == 0);
	}
	CHECK(gfs_ignore_match(ig, "name", false, NULL) == GFS_IGNORE_NONE);
	gfs_ignore_free(ig);
}

/* A pathological pattern must not take exponential time. */
static void test_backtracking_bound(void)
{
	struct gfs_ignore *ig;
	char path[300];
	struct timespec t0, t1;
	double ms;

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	CHECK(gfs_ignore_new(&ig, 0) == 0);
	CHECK(gfs_ignore_add(ig, "*a*a*a*a*a*a*a*a*a*a*b", "x") == 0);
	CHECK(gfs_ignore_add(ig, "**/a**/**a/**/*a*a*a*a*b", "y") == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(gfs_ignore_match(ig, path, false, NULL) == GFS_IGNORE_NONE);
	path[100] = '/';
	path[200] = '/';
	CHECK(gfs_ignore_match(ig, path, false, NULL) == GFS_IGNORE_NONE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(ms < 1000);
	gfs_ignore_free(ig);
}

/*
 * gfs_ignore_moves_matter: when it answers false, every path below the
 * moved directory keeps its verdict (checked against the matcher itself
 * over many relative paths); and it answers true for the moves that do
 * expose something, so that the walk it saves is only skipped when safe.
 */
static void test_moves_matter(void)
{
	static const char *const rules[] = {
		"**/.m2/settings.xml",
		"**/.config/gh/hosts.yml",
		"**/.config/gcloud",
		"**/.ipython/profile_*/history.sqlite",
		"/locked/*.txt",
		"docs/secret",
		"*.pem",
		".env",
		"id_*",
		"!id_*.pub",
		"private/",
		"a/**/deep.key",
	};
	static const char *const dirs[] = {
		".m2",	  "m2",		"x/.m2",     "x/m2",	 ".config",
		"config", ".config/gh", "config/gh", ".ipython", "ipython",
		"locked", "open",	"docs",	     "doc",	 "src",
		"lib",	  "a",		"b",	     "x/a",	 "src/deep",
		"ab",	  "x/.ipython",
	};
	static const char *const rels[] = {
		"settings.xml",
		"gh/hosts.yml",
		"hosts.yml",
		"gcloud",
		"gcloud/creds.json",
		"profile_default/history.sqlite",
		"a.txt",
		"secret",
		"k.pem",
		".env",
		"id_rsa",
		"id_rsa.pub",
		"private",
		"deep.key",
		"b/deep.key",
		"anywhere.txt",
		".m2/settings.xml",
		".config/gh/hosts.yml",
	};
	static const struct {
		const char *from, *to;
		bool want;
	} expect[] = {
		{".m2", "m2", true},
		{"x/.m2", "x/m2", true},
		{".config", "config", true},
		{".config/gh", "config/gh", true},
		{".ipython", "ipython", true},
		{"open", "locked", true},
		{"docs", "doc", true},
		{"a", "b", true},
		{"src", "lib", false},
		{"src/deep", "lib", false},
		{"ab", "src", false},
	};
	struct gfs_ignore *ig = NULL;
	size_t i, j, k, f;

	CHECK(gfs_ignore_new(&ig, GFS_IGNORE_CASEFOLD) == 0);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		CHECK(gfs_ignore_add(ig, rules[i], rules[i]) == 0);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		bool got = gfs_ignore_moves_matter(ig, expect[i].from,
						   expect[i].to);

		if (got != expect[i].want) {
			fprintf(stderr, "moves_matter(%s, %s) = %d\n",
				expect[i].from, expect[i].to, got);
			failures++;
		}
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		for (j = 0; j < sizeof(dirs) / sizeof(dirs[0]); j++) {
			if (gfs_ignore_moves_matter(ig, dirs[i], dirs[j]))
				continue;
			for (k = 0; k < sizeof(rels) / sizeof(rels[0]); k++) {
				char a[256], b[256];

				snprintf(a, sizeof(a), "%s/%s", dirs[i],
					 rels[k]);
				snprintf(b, sizeof(b), "%s/%s", dirs[j],
					 rels[k]);
				for (f = 0; f < 2; f++) {
					if (gfs_ignore_match(ig, a, f, NULL) ==
					    gfs_ignore_match(ig, b, f, NULL))
						continue;
					fprintf(stderr,
						"moves_matter(%s, %s) missed "
						"%s\n",
						dirs[i], dirs[j], rels[k]);
					failures++;
				}
			}
		}
	}
	CHECK(!gfs_ignore_moves_matter(NULL, "a", "b"));
	/* a rule whose head is a wildcard could be anywhere: always */
	CHECK(gfs_ignore_add(ig, "*/anywhere.txt", "any") == 0);
	CHECK(gfs_ignore_moves_matter(ig, "src", "lib"));
	gfs_ignore_free(ig);
}

int main(void)
{
	if (getenv("GFS_DUMP_CASES")) {
		dump_cases();
		return 0;
	}
	run_match_cases();
	test_errors_and_counts();
	test_origins();
	test_many_rules();
	test_backtracking_bound();
	test_moves_matter();
	if (failures) {
		fprintf(stderr, "test_ignore: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_ignore: %zu match cases, all passed\n",
	       sizeof(cases) / sizeof(cases[0]));
	return 0;
}
