#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/buf.h"

int gfs_buf_grow(struct gfs_buf *b, size_t extra)
{
	size_t need, cap;
	char *data;

	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	data = realloc(b->data, cap);
	if (!data)
		return -ENOMEM;
	if (!b->data)
		data[0] = '\0';
	b->data = data;
	b->cap = cap;
	return 0;
}

int gfs_buf_add(struct gfs_buf *b, const void *data, size_t len)
{
	int rc = gfs_buf_grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int gfs_buf_adds(struct gfs_buf *b, const char *s)
{
	return gfs_buf_add(b, s, strlen(s));
}

int gfs_buf_addch(struct gfs_buf *b, char c)
{
	return gfs_buf_add(b, &c, 1);
}

int gfs_buf_vaddf(struct gfs_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n, rc = 0;

	/* Try in the room we have first; most lines fit. */
	if (gfs_buf_grow(b, 64))
		return -ENOMEM;
	va_copy(again, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	if (n < 0) {
		rc = -EINVAL;
	} else if ((size_t)n >= b->cap - b->len) {
		rc = gfs_buf_grow(b, (size_t)n);
		if (!rc)
			vsnprintf(b->data + b->len, b->cap - b->len, fmt,
				  again);
	}
	va_end(again);
	if (rc) {
		b->data[b->len] = '\0';
		return rc;
	}
	b->len += (size_t)n;
	return 0;
}

int gfs_buf_addf(struct gfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gfs_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_sequence_length(const unsigned char *s, size_t len)
{
	size_t need, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

int gfs_buf_add_json(struct gfs_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t old_len = b->len, i = 0, n;
	int rc = gfs_buf_addch(b, '"');

	while (!rc && i < len) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			rc = gfs_buf_add(b, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			rc = gfs_buf_addf(b, "\\u%04x", c);
			i++;
		} else if ((n = utf8_sequence_length(p + i, len - i)) == 0) {
			/*
			 * Not UTF-8: write the byte's value as an escape so the
			 * line stays valid JSON and the name stays traceable.
			 */
			rc = gfs_buf_addf(b, "\\u00%02x", c);
			i++;
		} else {
			rc = gfs_buf_add(b, p + i, n);
			i += n;
		}
	}
	if (!rc)
		rc = gfs_buf_addch(b, '"');
	if (rc) {
		b->len = old_len;
		if (b->data)
			b->data[b->len] = '\0';
	}
	return rc;
}

int gfs_buf_add_markup(struct gfs_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t old_len = b->len, len = strlen(s), i = 0, n;
	int rc = 0;

	while (!rc && i < len) {
		unsigned char c = p[i];

		if (c == '&')
			rc = gfs_buf_adds(b, "&amp;");
		else if (c == '<')
			rc = gfs_buf_adds(b, "&lt;");
		else if (c == '>')
			rc = gfs_buf_adds(b, "&gt;");
		else if (c < 0x20 || c == 0x7f ||
			 !(n = utf8_sequence_length(p + i, len - i)))
			rc = gfs_buf_addf(b, "\\x%02x", c);
		else {
			rc = gfs_buf_add(b, p + i, n);
			i += n;
			continue;
		}
		i++;
	}
	if (rc) {
		b->len = old_len;
		if (b->data)
			b->data[b->len] = '\0';
	}
	return rc;
}

int gfs_buf_read_fd(struct gfs_buf *b, int fd)
{
	ssize_t n;
	int rc;

	for (;;) {
		rc = gfs_buf_grow(b, 65536);
		if (rc)
			return rc;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
}

void gfs_buf_reset(struct gfs_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void gfs_buf_release(struct gfs_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *gfs_buf_detach(struct gfs_buf *b)
{
	char *data = b->data;

	if (!data)
		data = strdup("");
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return data;
}

int gfs_buf_add_hex(struct gfs_buf *b, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;
	int rc;

	if (len > (SIZE_MAX - 1) / 2)
		return -ENOMEM;
	rc = gfs_buf_grow(b, 2 * len);
	if (rc)
		return rc;
	for (i = 0; i < len; i++) {
		b->data[b->len++] = digits[p[i] >> 4];
		b->data[b->len++] = digits[p[i] & 15];
	}
	b->data[b->len] = '\0';
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gfs_buf_add_unhex(struct gfs_buf *b, const char *hex, size_t len)
{
	size_t i, start = b->len;
	int rc;

	if (len % 2)
		return -EINVAL;
	rc = gfs_buf_grow(b, len / 2);
	if (rc)
		return rc;
	for (i = 0; i < len; i += 2) {
		int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0) {
			b->len = start;
			b->data[b->len] = '\0';
			return -EINVAL;
		}
		b->data[b->len++] = (char)(hi << 4 | lo);
	}
	b->data[b->len] = '\0';
	return 0;
}
