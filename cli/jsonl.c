/* Reads the flat JSON objects of the watch stream: see jsonl.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static void add_utf8(struct gfs_buf *b, unsigned cp)
{
	if (cp < 0x80) {
		gfs_buf_addch(b, (char)cp);
	} else if (cp < 0x800) {
		gfs_buf_addch(b, (char)(0xc0 | (cp >> 6)));
		gfs_buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		gfs_buf_addch(b, (char)(0xe0 | (cp >> 12)));
		gfs_buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		gfs_buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Decodes the string at p (after its quote) into b, NUL included. */
static const char *parse_string(const char *p, struct gfs_buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	for (; *p && *p != '"'; p++) {
		const char *esc;

		if (*p != '\\') {
			gfs_buf_addch(b, *p);
			continue;
		}
		p++;
		if (*p == 'u') {
			char hex[5] = {0};
			char *end;
			unsigned long cp;

			memcpy(hex, p + 1, 4);
			cp = strtoul(hex, &end, 16);
			if (end != hex + 4)
				return NULL;
			/* a surrogate half stands alone: shown as '?' */
			add_utf8(b, cp >= 0xd800 && cp < 0xe000 ? '?'
								: (unsigned)cp);
			p += 4;
			continue;
		}
		esc = *p ? strchr(from, *p) : NULL;
		if (!esc)
			return NULL;
		gfs_buf_addch(b, to[esc - from]);
	}
	if (*p != '"')
		return NULL;
	gfs_buf_addch(b, '\0');
	return p + 1;
}

/* A bare value (number, true, false, null) copied as written. */
static const char *parse_bare(const char *p, struct gfs_buf *b)
{
	size_t n = strcspn(p, ",} \t\r\n");

	if (!n)
		return NULL;
	gfs_buf_add(b, p, n);
	gfs_buf_addch(b, '\0');
	return p + n;
}

int gfs_jsonl_parse(struct gfs_jsonl *o, const char *line)
{
	size_t offsets[2 * GFS_JSONL_MAX_FIELDS];
	const char *p = skip_space(line);
	int i, n = 0;

	gfs_buf_reset(&o->text);
	o->count = 0;
	if (*p++ != '{')
		return -EINVAL;
	p = skip_space(p);
	while (*p != '}') {
		if (n == GFS_JSONL_MAX_FIELDS || *p != '"')
			return -EINVAL;
		offsets[2 * n] = o->text.len;
		p = parse_string(p + 1, &o->text);
		if (!p)
			return -EINVAL;
		p = skip_space(p);
		if (*p++ != ':')
			return -EINVAL;
		p = skip_space(p);
		offsets[2 * n + 1] = o->text.len;
		p = *p == '"' ? parse_string(p + 1, &o->text)
			      : parse_bare(p, &o->text);
		if (!p)
			return -EINVAL;
		n++;
		p = skip_space(p);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p != '}')
			return -EINVAL;
	}
	if (!o->text.data && n)
		return -ENOMEM;
	/* pointers only now: the buffer moved as it grew */
	for (i = 0; i < n; i++) {
		o->keys[i] = o->text.data + offsets[2 * i];
		o->values[i] = o->text.data + offsets[2 * i + 1];
	}
	o->count = n;
	return 0;
}

const char *gfs_jsonl_get(const struct gfs_jsonl *o, const char *key)
{
	int i;

	for (i = 0; i < o->count; i++)
		if (!strcmp(o->keys[i], key))
			return o->values[i];
	return NULL;
}

void gfs_jsonl_release(struct gfs_jsonl *o)
{
	gfs_buf_release(&o->text);
	o->count = 0;
}
