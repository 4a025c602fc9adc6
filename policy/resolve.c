/*
 * Following a path's symlinks as the kernel does through the mount, with
 * each target judged by the policy: the second line behind the lexical
 * judgment of every link (see gfs_policy_link_target).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardfs/buf.h"
#include "guardfs/policy.h"
#include "guardfs/util.h"

/* The kernel's own limit on the links one lookup follows. */
#define MAX_LINKS 40

/* Drops the last component of a path relative to the root. */
static void pop_component(struct gfs_buf *resolved)
{
	char *slash = strrchr(resolved->data, '/');

	resolved->len = slash ? (size_t)(slash - resolved->data) : 0;
	resolved->data[resolved->len] = '\0';
}

/* todo := head + "/" + the rest of todo after position rest. */
static int splice_path(struct gfs_buf *todo, const char *head, size_t rest)
{
	struct gfs_buf next = GFS_BUF_INIT;
	int rc = gfs_buf_adds(&next, head);

	if (!rc && rest < todo->len)
		rc = gfs_buf_addch(&next, '/') ||
		     gfs_buf_adds(&next, todo->data + rest);
	if (rc) {
		gfs_buf_release(&next);
		return -ENOMEM;
	}
	gfs_buf_release(todo);
	*todo = next;
	return 0;
}

bool gfs_policy_path_leads_out(const struct gfs_policy *p, int root_fd,
			       const char *relpath)
{
	struct gfs_buf resolved = GFS_BUF_INIT, todo = GFS_BUF_INIT;
	struct gfs_buf link = GFS_BUF_INIT;
	char target[PATH_MAX + 1];
	size_t pos = 0;
	int links = 0;
	bool out = true;

	if (gfs_buf_adds(&todo, relpath) || gfs_buf_adds(&resolved, ""))
		goto done;
	while (pos < todo.len) {
		const char *name = todo.data + pos;
		size_t n = strcspn(name, "/"), next = pos + n;
		struct stat st;
		ssize_t len;
		int fd;

		while (next < todo.len && todo.data[next] == '/')
			next++;
		if (n == 0 || (n == 1 && name[0] == '.')) {
			pos = next;
			continue;
		}
		if (n == 2 && name[0] == '.' && name[1] == '.') {
			if (!resolved.len)
				goto done; /* above the root */
			pop_component(&resolved);
			pos = next;
			continue;
		}
		gfs_buf_reset(&link);
		if (gfs_buf_add(&link, resolved.data, resolved.len) ||
		    (resolved.len && gfs_buf_addch(&link, '/')) ||
		    gfs_buf_add(&link, name, n))
			goto done;
		/* resolved holds no symlink: each was replaced by its target */
		fd = gfs_open_beneath(root_fd, link.data, O_PATH | O_NOFOLLOW,
				      false);
		if (fd < 0) {
			/* a missing name: nothing beyond it to follow */
			out = fd != -ENOENT && fd != -ENOTDIR;
			goto done;
		}
		if (fstat(fd, &st) || !S_ISLNK(st.st_mode)) {
			close(fd);
			gfs_buf_reset(&resolved);
			if (gfs_buf_adds(&resolved, link.data))
				goto done;
			pos = next;
			continue;
		}
		len = readlinkat(fd, "", target, sizeof(target));
		close(fd);
		if (len < 0 || len == (ssize_t)sizeof(target))
			goto done;
		/*
		 * A loop (or a chain longer than the kernel follows): the
		 * kernel gives up on it just the same, with ELOOP, before
		 * it reaches anything. Every link on the way was judged
		 * inside; tools make such links on purpose and expect
		 * ELOOP when they use them, not a refusal to make them.
		 */
		if (++links > MAX_LINKS) {
			out = false;
			goto done;
		}
		target[len] = '\0';
		switch (gfs_policy_link_target(p, link.data, target)) {
		case GFS_LINK_OUT:
			goto done;
		case GFS_LINK_SYSTEM:
			out = false; /* leaves for a tree allowed as it is */
			goto done;
		case GFS_LINK_INSIDE:
			break;
		}
		if (target[0] == '/') {
			/* below the mount point: from the root again */
			gfs_buf_reset(&resolved);
			if (gfs_buf_adds(&resolved, "") ||
			    splice_path(&todo,
					gfs_policy_link_inside(p, target),
					next))
				goto done;
		} else if (splice_path(&todo, target, next)) {
			goto done;
		}
		pos = 0;
	}
	out = false;
done:
	gfs_buf_release(&resolved);
	gfs_buf_release(&todo);
	gfs_buf_release(&link);
	return out;
}
