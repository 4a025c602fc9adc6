/* Colour and a pager for long output, as git does them. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pager.h"

int gfs_color_wanted(const char *when)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (when && !strcmp(when, "always"))
		return 1;
	if (when && !strcmp(when, "never"))
		return 0;
	if (when && strcmp(when, "auto")) {
		gfs_cli_error("--color takes auto, always or never, not '%s'",
			      when);
		return -1;
	}
	if (no_color && *no_color)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(STDOUT_FILENO);
}

FILE *gfs_pager_open(bool disabled)
{
	const char *pager = getenv("GUARDFS_PAGER");
	FILE *out;

	if (disabled || !isatty(STDOUT_FILENO))
		return stdout;
	if (!pager)
		pager = getenv("PAGER");
	if (!pager)
		pager = "less -FRX";
	if (!*pager || !strcmp(pager, "cat"))
		return stdout;
	/* as git: less quits on one screen, keeps colours, leaves the text */
	setenv("LESS", "FRX", 0);
	setenv("LV", "-c", 0);
	fflush(stdout);
	out = popen(pager, "w");
	if (!out)
		return stdout;
	/* the user quitting the pager early is no error of ours */
	signal(SIGPIPE, SIG_IGN);
	return out;
}

void gfs_pager_close(FILE *out)
{
	if (out == stdout) {
		fflush(stdout);
		return;
	}
	pclose(out);
}
