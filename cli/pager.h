#ifndef GUARDFS_CLI_PAGER_H
#define GUARDFS_CLI_PAGER_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Colour and paging for commands with long output (log, diff), as git
 * does them.
 */

/*
 * Whether to colour stdout for --color=WHEN (NULL: auto): "always",
 * "never", or "auto" (stdout a terminal, NO_COLOR unset or empty, TERM
 * not "dumb"). -1 after saying what is wrong when WHEN is none of them.
 * Decide before gfs_pager_open(), which turns stdout into a pipe.
 */
int gfs_color_wanted(const char *when);

/*
 * Where to write: a pager when stdout is a terminal and not disabled
 * ($GUARDFS_PAGER, else $PAGER, else "less -FRX"; "" or "cat": none),
 * else stdout.
 */
FILE *gfs_pager_open(bool disabled);

/* Flushes out and waits for the pager, if out is one. */
void gfs_pager_close(FILE *out);

#endif
