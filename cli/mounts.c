#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardfs/util.h"
#include "mounts.h"

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] &&
		    s[3]) {
			*out++ = (char)(((s[1] - '0') << 6) |
					((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

bool gfs_mounts_is_guardfs(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *fields[5], *save = NULL, *sep, *fstype;
		int i;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		fstype = sep + 3;
		fields[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && fields[i - 1]; i++)
			fields[i] = strtok_r(NULL, " ", &save);
		if (i < 5 || !fields[4])
			continue;
		unescape(fields[4]);
		if (!strcmp(fields[4], path) &&
		    !strncmp(fstype, "fuse.guardfs ", 13))
			found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* Normalizes an absolute path lexically: "//", "/./" and "/x/.." go. */
static int normalize(struct gfs_buf *out, const char *abs)
{
	size_t start = out->len;
	const char *p = abs;

	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (out->len > start &&
			       out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > start)
				out->len--;
			out->data[out->len] = '\0';
		} else {
			if (gfs_buf_addch(out, '/') || gfs_buf_add(out, p, n))
				return -ENOMEM;
		}
		p = end;
	}
	if (out->len == start)
		return gfs_buf_addch(out, '/');
	return 0;
}

int gfs_mounts_abspath(struct gfs_buf *out, const char *path)
{
	struct gfs_buf joined = GFS_BUF_INIT;
	char cwd[PATH_MAX];
	int rc;

	if (gfs_realpath(out, path) == 0)
		return 0;
	if (path[0] == '/') {
		rc = gfs_buf_adds(&joined, path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		rc = gfs_buf_addf(&joined, "%s/%s", cwd, path);
	}
	if (!rc)
		rc = normalize(out, joined.data);
	gfs_buf_release(&joined);
	return rc;
}

int gfs_mounts_resolve_future(struct gfs_buf *out, const char *path)
{
	struct gfs_buf head = GFS_BUF_INIT;
	const char *tail;
	char *slash;
	int rc;

	rc = gfs_mounts_abspath(&head, path);
	if (rc)
		return rc;
	tail = "";
	/* Walk up until something exists, then resolve that part. */
	while (gfs_realpath(out, head.data)) {
		slash = strrchr(head.data, '/');
		if (!slash || slash == head.data) {
			gfs_buf_reset(out);
			rc = gfs_buf_adds(out, path);
			gfs_buf_release(&head);
			return rc;
		}
		*slash = '\0';
		head.len = (size_t)(slash - head.data);
		tail = path; /* marker: something was cut */
	}
	if (tail[0]) {
		struct gfs_buf full = GFS_BUF_INIT;

		rc = gfs_mounts_abspath(&full, path);
		if (!rc)
			rc = gfs_buf_adds(out, full.data + head.len);
		gfs_buf_release(&full);
	}
	gfs_buf_release(&head);
	return rc;
}
