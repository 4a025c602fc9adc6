#ifndef GUARDFS_DESKTOP_H
#define GUARDFS_DESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The user's desktop, where the daemon has one: notifications shown by
 * notify-send (Debian's libnotify-bin). A desktop is known when DISPLAY,
 * WAYLAND_DISPLAY or DBUS_SESSION_BUS_ADDRESS is set in the daemon's
 * environment, which is the user's who mounted (a sandboxed agent's is
 * scrubbed of all three), and notify-send is on its PATH.
 */

/* The absolute path of notify-send into out when a desktop is known. */
bool gfs_desktop_notifier(char *out, size_t size);

/*
 * A one-way notification (urgency critical), from a grandchild that
 * nobody waits for, so a hung notifier never holds the caller. Nothing
 * happens without a desktop.
 */
void gfs_desktop_notify(const char *title, const char *body);

/* One button of a prompt: notify-send prints key when it is pressed. */
struct gfs_desktop_action {
	const char *key;
	const char *label;
};

/* A notification that waits for one of its actions. */
struct gfs_desktop_prompt {
	pid_t pid; /* notify-send, the caller's child to reap */
	int fd;	   /* its stdout (O_CLOEXEC): the key, then end of file */
};

/*
 * Shows title and body (body text as gfs_buf_add_markup makes it) with
 * n actions, for timeout_ms at most (urgency critical). notify-send runs
 * in a session of its own with stdin and stderr on /dev/null. 0, -ENOENT
 * without a desktop, or -errno; on success the caller reads p->fd to its
 * end, closes it and reaps p->pid. SIGINT has notify-send close its
 * notification and exit.
 */
int gfs_desktop_prompt_start(struct gfs_desktop_prompt *p, const char *title,
			     const char *body,
			     const struct gfs_desktop_action *actions, size_t n,
			     unsigned timeout_ms);

#endif
