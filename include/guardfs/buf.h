#ifndef GUARDFS_BUF_H
#define GUARDFS_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer.
 *
 * Invariants: when data is not NULL it holds len bytes followed by a NUL
 * (so len < cap), and the buffer owns data. A zeroed struct (GFS_BUF_INIT)
 * is an empty buffer that owns nothing. Every add function returns 0 or
 * -ENOMEM and leaves the buffer unchanged on failure.
 */
struct gfs_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define GFS_BUF_INIT                                                           \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* Makes room for at least extra more bytes plus the terminating NUL. */
int gfs_buf_grow(struct gfs_buf *b, size_t extra);

/* Appends len bytes of data. */
int gfs_buf_add(struct gfs_buf *b, const void *data, size_t len);

/* Appends the NUL-terminated string s. */
int gfs_buf_adds(struct gfs_buf *b, const char *s);

/* Appends one character. */
int gfs_buf_addch(struct gfs_buf *b, char c);

/* Appends printf-style formatted text. */
int gfs_buf_addf(struct gfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int gfs_buf_vaddf(struct gfs_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Appends s (len bytes, any content) as a quoted JSON string: control
 * characters, quotes and backslashes escaped, and every byte that is not
 * part of valid UTF-8 written as the escape \u00XX of its value so that
 * the output is valid JSON for any input.
 */
int gfs_buf_add_json(struct gfs_buf *b, const char *s, size_t len);

/*
 * Appends s as the body text of a desktop notification (markup in many
 * servers): '&', '<' and '>' as entities, control characters and bytes
 * that are not part of valid UTF-8 as \xNN, as `guardfs watch` shows
 * them, so that a name cannot forge markup or lines.
 */
int gfs_buf_add_markup(struct gfs_buf *b, const char *s);

/* Appends the len bytes at data as lowercase hex, two digits a byte. */
int gfs_buf_add_hex(struct gfs_buf *b, const void *data, size_t len);

/*
 * Appends the bytes that the len hex digits at hex spell (either case).
 * 0, -EINVAL for an odd length or a character that is not a hex digit
 * (nothing appended then), or -ENOMEM.
 */
int gfs_buf_add_unhex(struct gfs_buf *b, const char *hex, size_t len);

/*
 * Appends everything fd reads until end of file, retrying EINTR. 0, or
 * -errno of the failing read (what came before it stays appended), or
 * -ENOMEM.
 */
int gfs_buf_read_fd(struct gfs_buf *b, int fd);

/* Empties the buffer, keeping its memory. */
void gfs_buf_reset(struct gfs_buf *b);

/* Frees the memory and returns the buffer to GFS_BUF_INIT. */
void gfs_buf_release(struct gfs_buf *b);

/* Hands the NUL-terminated data (never NULL) to the caller, who frees it. */
char *gfs_buf_detach(struct gfs_buf *b);

#endif
