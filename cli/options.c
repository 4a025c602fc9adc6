/* Option tables: one declaration per command gives parsing and help. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define HELP_COLUMN 24
#define HELP_WIDTH  78

static const struct gfs_option help_option =
	GFS_OPT_BOOL('h', "help", "show this help", NULL);

static size_t count_options(const struct gfs_option *o)
{
	size_t n = 0;

	while (o[n].long_name || o[n].short_name)
		n++;
	return n;
}

static void print_usage_lines(const struct gfs_command_spec *spec, FILE *out)
{
	const char *line = spec->usage;
	bool first = true;

	while (*line) {
		size_t len = strcspn(line, "\n");

		fprintf(out, "%s%.*s\n", first ? "usage: " : "       ",
			(int)len, line);
		first = false;
		line += len;
		if (*line == '\n')
			line++;
	}
}

int gfs_options_usage(const struct gfs_command_spec *spec)
{
	print_usage_lines(spec, stderr);
	fputs("(see --help)\n", stderr);
	return 2;
}

/* Writes words from text, wrapped to HELP_WIDTH, each line at indent. */
static void print_wrapped(FILE *out, const char *text, int column, int indent)
{
	while (*text) {
		size_t word = strcspn(text, " ");

		if (column > indent && column + 1 + (int)word > HELP_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			column = indent;
		} else if (column > indent) {
			fputc(' ', out);
			column++;
		}
		fprintf(out, "%.*s", (int)word, text);
		column += (int)word;
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

static void print_option(FILE *out, const struct gfs_option *o)
{
	char flag[8] = "    ", head[96];
	int len;

	/* "-c, " or four spaces, so that long names line up */
	if (o->short_name)
		snprintf(flag, sizeof(flag), "-%c%s", o->short_name,
			 o->long_name ? ", " : "");
	len = snprintf(head, sizeof(head), "  %s%s%s%s%s", flag,
		       o->long_name ? "--" : "",
		       o->long_name ? o->long_name : "", o->arg_name ? " " : "",
		       o->arg_name ? o->arg_name : "");
	fputs(head, out);
	if (len + 2 > HELP_COLUMN)
		fprintf(out, "\n%*s", HELP_COLUMN, "");
	else
		fprintf(out, "%*s", HELP_COLUMN - len, "");
	print_wrapped(out, o->help, HELP_COLUMN, HELP_COLUMN);
}

void gfs_options_help(const struct gfs_command_spec *spec, FILE *out)
{
	size_t i, n = count_options(spec->options);

	print_usage_lines(spec, out);
	if (spec->about) {
		const char *para = spec->about;

		/* each line of about is a paragraph, wrapped here */
		fputc('\n', out);
		while (*para) {
			size_t len = strcspn(para, "\n");
			char *copy = strndup(para, len);

			if (copy)
				print_wrapped(out, copy, 0, 0);
			free(copy);
			para += len;
			if (*para == '\n')
				para++;
			if (*para)
				fputc('\n', out);
		}
	}
	fputs("\noptions:\n", out);
	for (i = 0; i < n; i++)
		print_option(out, &spec->options[i]);
	print_option(out, &help_option);
}

/* How the user wrote option o, for messages: "-n" or "--since". */
static const char *spelled(const struct gfs_option *o, char *buf, size_t size)
{
	if (o->long_name)
		snprintf(buf, size, "--%s", o->long_name);
	else
		snprintf(buf, size, "-%c", o->short_name);
	return buf;
}

static int take_value(const struct gfs_option *o, const char *arg)
{
	char name[64], *end;
	long n;

	switch (o->kind) {
	case GFS_OPT_FLAG:
		*(bool *)o->value = true;
		return 0;
	case GFS_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case GFS_OPT_NUMBER:
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || end == arg || *end || n < 0) {
			fprintf(stderr,
				"guardfs: %s takes a whole number, not '%s'\n",
				spelled(o, name, sizeof(name)), arg);
			return -1;
		}
		*(long *)o->value = n;
		return 0;
	}
	return -1;
}

int gfs_options_parse(const struct gfs_command_spec *spec, int argc,
		      char **argv)
{
	size_t i, n = count_options(spec->options);
	struct option *longopts = calloc(n + 2, sizeof(*longopts));
	char *shortopts = malloc(2 * n + 4);
	size_t s = 0, l = 0;
	int c, index, rc = -2;

	if (!longopts || !shortopts) {
		fputs("guardfs: out of memory\n", stderr);
		goto out;
	}
	if (spec->options_first)
		shortopts[s++] = '+';
	shortopts[s++] = ':'; /* a missing argument is told apart */
	for (i = 0; i < n; i++) {
		const struct gfs_option *o = &spec->options[i];

		/* a long name's getopt value is 256 + its index */
		if (o->long_name)
			longopts[l++] = (struct option){
				o->long_name,
				o->kind == GFS_OPT_FLAG ? no_argument
							: required_argument,
				NULL, 256 + (int)i};
		if (o->short_name) {
			shortopts[s++] = (char)o->short_name;
			if (o->kind != GFS_OPT_FLAG)
				shortopts[s++] = ':';
		}
	}
	longopts[l++] = (struct option){"help", no_argument, NULL, 'h'};
	shortopts[s++] = 'h';
	shortopts[s] = '\0';

	optind = 0; /* reset getopt: tests parse more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, &index)) !=
	       -1) {
		const struct gfs_option *o = NULL;

		if (c == 'h') {
			gfs_options_help(spec, stdout);
			rc = -1;
			goto out;
		}
		if (c == '?' || c == ':') {
			if (optopt && optopt < 256)
				fprintf(stderr,
					c == ':'
						? "guardfs: -%c needs a value\n"
						: "guardfs: unknown option "
						  "-%c\n",
					optopt);
			else
				fprintf(stderr,
					c == ':' ? "guardfs: %s needs a value\n"
						 : "guardfs: unknown option "
						   "'%s'\n",
					argv[optind - 1]);
			gfs_options_usage(spec);
			goto out;
		}
		if (c >= 256)
			o = &spec->options[c - 256];
		for (i = 0; !o && i < n; i++)
			if (spec->options[i].short_name == c)
				o = &spec->options[i];
		if (!o || take_value(o, optarg)) {
			gfs_options_usage(spec);
			goto out;
		}
	}
	rc = optind;
out:
	free(longopts);
	free(shortopts);
	return rc;
}
