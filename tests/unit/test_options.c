/* cli/options.c: one option table gives parsing, errors and --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "options.c"

static const char *config;
static bool json;
static long max = -1;
static char *kept[128];
static size_t nkept;

static const struct gfs_option options[] = {
	GFS_OPT_STR('c', "config", "FILE", "the project's config", &config),
	GFS_OPT_BOOL(0, "json", "one JSON array", &json),
	GFS_OPT_NUM('n', NULL, "N", "at most N", &max),
	GFS_OPT_END,
};

static const struct gfs_command_spec spec = {
	.usage = "guardfs demo [-c FILE] [--json] [-n N] [PATH...]\n"
		 "guardfs demo --other",
	.about = "A first paragraph that is long enough to be wrapped at "
		 "seventy-eight columns by the help printer, word by word.\n"
		 "A second paragraph.",
	.options = options,
};

/* Runs parse on a NULL-terminated argv, stderr and stdout captured. */
static int parse(char *out, size_t size, const char *const *args)
{
	char *argv[16];
	int argc = 0, rc, saved_out = dup(1), saved_err = dup(2);
	FILE *cap = tmpfile();
	size_t n;

	while (args[argc]) {
		/* kept until the end: parsed values point into them */
		argv[argc] = kept[nkept++] = strdup(args[argc]);
		argc++;
	}
	argv[argc] = NULL;
	config = NULL;
	json = false;
	max = -1;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(cap), 1);
	dup2(fileno(cap), 2);
	rc = gfs_options_parse(&spec, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	rewind(cap);
	n = fread(out, 1, size - 1, cap);
	out[n] = '\0';
	fclose(cap);
	return rc;
}

int main(void)
{
	char out[4096];

	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "-c", "x.ini", "--json", "a",
				     NULL}) == 4);
	CHECK_STR(config, "x.ini");
	CHECK(json);
	CHECK_STR(out, "");

	/* long forms, = syntax, options after operands (no options_first) */
	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "p", "--config=y.ini", "-n", "7",
				     NULL}) == 4);
	CHECK_STR(config, "y.ini");
	CHECK(max == 7);

	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "-n", "x", NULL}) == -2);
	CHECK_STR(out, "guardfs: -n takes a whole number, not 'x'\n"
		       "usage: guardfs demo [-c FILE] [--json] [-n N] "
		       "[PATH...]\n"
		       "       guardfs demo --other\n(see --help)\n");
	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "-n", "-3", NULL}) == -2);
	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "--bogus", NULL}) == -2);
	CHECK(!strncmp(out, "guardfs: unknown option '--bogus'\n", 34));
	CHECK(parse(out, sizeof(out), (const char *[]){"demo", "-x", NULL}) ==
	      -2);
	CHECK(!strncmp(out, "guardfs: unknown option -x\n", 27));
	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "--config", NULL}) == -2);
	CHECK(!strncmp(out, "guardfs: --config needs a value\n", 32));
	CHECK(parse(out, sizeof(out), (const char *[]){"demo", "-c", NULL}) ==
	      -2);
	CHECK(!strncmp(out, "guardfs: -c needs a value\n", 26));

	CHECK(parse(out, sizeof(out),
		    (const char *[]){"demo", "--help", NULL}) == -1);
	CHECK_STR(out,
		  "usage: guardfs demo [-c FILE] [--json] [-n N] [PATH...]\n"
		  "       guardfs demo --other\n"
		  "\n"
		  "A first paragraph that is long enough to be wrapped at "
		  "seventy-eight columns\n"
		  "by the help printer, word by word.\n"
		  "\n"
		  "A second paragraph.\n"
		  "\n"
		  "options:\n"
		  "  -c, --config FILE     the project's config\n"
		  "      --json            one JSON array\n"
		  "  -n N                  at most N\n"
		  "  -h, --help            show this help\n");
	CHECK(gfs_options_exit(-1) == 0 && gfs_options_exit(-2) == 2);
	while (nkept)
		free(kept[--nkept]);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
