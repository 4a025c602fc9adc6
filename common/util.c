#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xxhash.h>

#include "guardfs/util.h"

const char *gfs_errno_name(int err)
{
	static __thread char unknown[16];
	const char *name;

	if (err < 0)
		err = -err;
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(unknown, sizeof(unknown), "E%d", err);
	return unknown;
}

int64_t gfs_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

void gfs_deadline_in(struct timespec *t, clockid_t clock, int64_t ns)
{
	clock_gettime(clock, t);
	t->tv_sec += ns / 1000000000LL;
	t->tv_nsec += ns % 1000000000LL;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

int gfs_time_format(struct gfs_buf *out, const struct timespec *t)
{
	struct tm tm;
	char text[40];

	if (!gmtime_r(&t->tv_sec, &tm))
		return -EINVAL;
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	return gfs_buf_addf(out, "%s.%06ldZ", text, t->tv_nsec / 1000);
}

static int parse_duration(const char *text, time_t *seconds)
{
	char *end;
	unsigned long long n;
	time_t unit;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || end == text)
		return -EINVAL;
	if (!strcmp(end, "s"))
		unit = 1;
	else if (!strcmp(end, "m"))
		unit = 60;
	else if (!strcmp(end, "h"))
		unit = 3600;
	else if (!strcmp(end, "d"))
		unit = 86400;
	else if (!strcmp(end, "w"))
		unit = 7 * 86400;
	else
		return -EINVAL;
	if (n > (unsigned long long)(INT64_MAX / unit))
		return -ERANGE;
	*seconds = (time_t)n * unit;
	return 0;
}

/* Parses "+HH:MM", "-HHMM", "Z" into seconds east of UTC. */
static int parse_zone(const char *s, long *offset)
{
	int h, m, sign;

	if (!strcmp(s, "Z") || !strcmp(s, "z")) {
		*offset = 0;
		return 0;
	}
	if (s[0] != '+' && s[0] != '-')
		return -EINVAL;
	sign = s[0] == '-' ? -1 : 1;
	if (sscanf(s + 1, "%2d:%2d", &h, &m) == 2 && strlen(s) == 6) {
		*offset = sign * (h * 3600L + m * 60L);
		return 0;
	}
	if (sscanf(s + 1, "%2d%2d", &h, &m) == 2 && strlen(s) == 5) {
		*offset = sign * (h * 3600L + m * 60L);
		return 0;
	}
	return -EINVAL;
}

/* "HH:MM" or "HH:MM:SS" and nothing after, into tm's clock fields. */
static bool parse_clock(const char *s, struct tm *tm)
{
	unsigned h, m, sec = 0;
	int used = 0, more = 0;

	if (!isdigit((unsigned char)s[0]) ||
	    sscanf(s, "%2u:%2u%n", &h, &m, &used) != 2 ||
	    !isdigit((unsigned char)s[used - 1]))
		return false;
	if (s[used] == ':') {
		if (!isdigit((unsigned char)s[used + 1]) ||
		    sscanf(s + used, ":%2u%n", &sec, &more) != 1)
			return false;
		used += more;
	}
	if (s[used] || h > 23 || m > 59 || sec > 60)
		return false;
	tm->tm_hour = (int)h;
	tm->tm_min = (int)m;
	tm->tm_sec = (int)sec;
	return true;
}

/*
 * The natural forms, in the local zone (TZ): "today", "yesterday" (their
 * midnight), "HH:MM[:SS]" (today then, or yesterday if that is still to
 * come), "today HH:MM", "yesterday HH:MM". -EINVAL when text is none.
 */
static int parse_natural(const char *text, time_t now, time_t *out)
{
	struct tm tm;
	const char *clock = NULL;
	int days_back = 0;
	time_t t;

	if (!localtime_r(&now, &tm))
		return -EINVAL;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (!strncmp(text, "today", 5)) {
		clock = text + 5;
	} else if (!strncmp(text, "yesterday", 9)) {
		clock = text + 9;
		days_back = 1;
	}
	if (clock && *clock) {
		if (*clock != ' ')
			return -EINVAL;
		while (*clock == ' ')
			clock++;
		if (!parse_clock(clock, &tm))
			return -EINVAL;
	} else if (!clock && !parse_clock(text, &tm)) {
		return -EINVAL;
	}
	tm.tm_mday -= days_back;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	/* a bare clock time still to come today means yesterday's */
	if (!clock && t > now) {
		tm.tm_mday--;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
	}
	*out = t;
	return 0;
}

int gfs_time_parse(const char *text, time_t now, time_t *out)
{
	struct tm tm;
	const char *rest;
	time_t back;
	long offset;
	bool local = false;

	if (parse_duration(text, &back) == 0) {
		*out = now - back;
		return 0;
	}
	if (parse_natural(text, now, out) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	rest = strptime(text, "%Y-%m-%d", &tm);
	if (!rest)
		return -EINVAL;
	if (*rest == 'T' || *rest == ' ') {
		const char *after = strptime(rest + 1, "%H:%M:%S", &tm);

		if (!after)
			after = strptime(rest + 1, "%H:%M", &tm);
		if (!after)
			return -EINVAL;
		rest = after;
		/* Fractions of a second are accepted and dropped. */
		if (*rest == '.') {
			rest++;
			while (isdigit((unsigned char)*rest))
				rest++;
		}
	}
	if (*rest == '\0')
		local = true;
	else if (parse_zone(rest, &offset))
		return -EINVAL;
	if (local) {
		tm.tm_isdst = -1;
		*out = mktime(&tm);
	} else {
		*out = timegm(&tm) - offset;
	}
	return *out == (time_t)-1 ? -EINVAL : 0;
}

int gfs_size_parse(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		/* Accept "8M", "8MB", "8MiB". */
		if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && n > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)n << shift;
	return 0;
}

int gfs_bool_parse(const char *text, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(text, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int gfs_xdg_dir(struct gfs_buf *out, const char *env_name, const char *fallback)
{
	const char *dir = getenv(env_name);
	const char *home;

	/* The spec says relative values are invalid and must be ignored. */
	if (dir && dir[0] == '/')
		return gfs_buf_adds(out, dir);
	home = getenv("HOME");
	if (!home || home[0] != '/')
		return -ENOENT;
	return gfs_buf_addf(out, "%s/%s", home, fallback);
}

int gfs_mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), i;

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

int gfs_write_all(int fd, const void *data, size_t len)
{
	const char *from = data;

	while (len) {
		ssize_t n = write(fd, from, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		from += n;
		len -= (size_t)n;
	}
	return 0;
}

int gfs_realpath(struct gfs_buf *out, const char *path)
{
	char *resolved = realpath(path, NULL);
	int rc;

	if (!resolved)
		return -errno;
	rc = gfs_buf_adds(out, resolved);
	free(resolved);
	return rc;
}

bool gfs_path_is_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	if (strncmp(path, dir, n))
		return false;
	return path[n] == '\0' || path[n] == '/';
}

uint64_t gfs_hash(const void *data, size_t len)
{
	return XXH3_64bits(data, len);
}

int gfs_open_beneath(int dirfd, const char *path, int flags,
		     bool follow_symlinks)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   (follow_symlinks ? 0 : RESOLVE_NO_SYMLINKS),
	};
	long fd;

	do {
		fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how,
			     sizeof(how));
	} while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : (int)fd;
}

void gfs_memory_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, GFS_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, GFS_TRIM_THRESHOLD);
}

void gfs_trim_memory(void)
{
	malloc_trim(0);
}
