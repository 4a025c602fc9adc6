#ifndef GUARDFS_CLI_OPTIONS_H
#define GUARDFS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Each command declares its options once, in a table, and its usage and
 * --help are made from that table; no command writes a getopt loop or a
 * help text of its own.
 */
enum gfs_option_kind {
	GFS_OPT_FLAG,	/* bool *, set to true */
	GFS_OPT_STRING, /* const char **, the argument */
	GFS_OPT_NUMBER, /* long *, a whole number >= 0 */
};

struct gfs_option {
	int short_name;	       /* a letter, or 0 for a long name alone */
	const char *long_name; /* without the dashes */
	const char *arg_name;  /* shown in the help, e.g. "FILE"; flags: NULL */
	const char *help;      /* one sentence, wrapped by the help */
	enum gfs_option_kind kind;
	void *value;
};

/* Table entries, in declaration order; the table ends with GFS_OPT_END. */
#define GFS_OPT_BOOL(s, l, h, v)                                               \
	{                                                                      \
		(s), (l), NULL, (h), GFS_OPT_FLAG, (v)                         \
	}
#define GFS_OPT_STR(s, l, a, h, v)                                             \
	{                                                                      \
		(s), (l), (a), (h), GFS_OPT_STRING, (v)                        \
	}
#define GFS_OPT_NUM(s, l, a, h, v)                                             \
	{                                                                      \
		(s), (l), (a), (h), GFS_OPT_NUMBER, (v)                        \
	}
#define GFS_OPT_END                                                            \
	{                                                                      \
		0, NULL, NULL, NULL, GFS_OPT_FLAG, NULL                        \
	}

struct gfs_command_spec {
	/* usage lines without "usage: ", one per form, '\n' between */
	const char *usage;
	/* what the command does, for --help: one line a paragraph */
	const char *about;
	const struct gfs_option *options;
	/*
	 * Options end at the first operand, which with what follows is the
	 * command's own (mount's ROOT, run's CMD...).
	 */
	bool options_first;
};

/*
 * Parses argv (argv[0] is the command) against spec. Returns the index
 * of the first operand (>= 1); or -1 after printing the help to stdout
 * (--help: the command exits 0); or -2 after printing what is wrong and
 * the usage to stderr (the command exits 2).
 */
int gfs_options_parse(const struct gfs_command_spec *spec, int argc,
		      char **argv);

/* Exit status for a negative gfs_options_parse result: 0 or 2. */
static inline int gfs_options_exit(int parsed)
{
	return parsed == -1 ? 0 : 2;
}

/* Prints the usage lines and the hint to see --help; returns 2. */
int gfs_options_usage(const struct gfs_command_spec *spec);

/* Prints the whole help: usage, about, and every option. */
void gfs_options_help(const struct gfs_command_spec *spec, FILE *out);

#endif
