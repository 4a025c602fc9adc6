#ifndef GUARDFS_TESTS_SHELL_H
#define GUARDFS_TESTS_SHELL_H

#include <stdarg.h>
#include <stdio.h>

#include "check.h"
#include "guardfs/buf.h"

/*
 * Runs a shell command (git, to read a store as users would) and returns
 * its standard output without trailing newlines. The text lives in a
 * static buffer until the next call.
 */
static const char *sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static const char *sh(const char *fmt, ...)
{
	static struct gfs_buf out = GFS_BUF_INIT;
	char cmd[8192], chunk[4096];
	va_list ap;
	size_t n;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	gfs_buf_reset(&out);
	gfs_buf_adds(&out, "");
	p = popen(cmd, "r");
	if (!p)
		return "";
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		gfs_buf_add(&out, chunk, n);
	pclose(p);
	while (out.len && out.data[out.len - 1] == '\n')
		out.data[--out.len] = '\0';
	return out.data;
}

/*
 * The end of a test that worked in the scratch directory dir: removes
 * it when every check passed, else leaves it to read; prints the
 * verdict and returns main's exit status.
 */
static int finish_scratch(const char *dir)
{
	if (!failures)
		sh("rm -rf '%s'", dir);
	else
		fprintf(stderr, "left %s for inspection\n", dir);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

#endif
