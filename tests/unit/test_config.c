/*
 * The INI loader (config/config.c): defaults, every kind of value, and
 * the exact message a bad line gets, naming its file and line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "guardfs/config.h"

#define PATH "/projects/app/.guardfs.ini"

/* Loads text as PATH into a fresh cfg; the loader's result. */
static int load(struct gfs_config *cfg, const char *text, char *err,
		size_t err_size)
{
	gfs_config_init(cfg);
	err[0] = '\0';
	return gfs_config_load_text(cfg, PATH, text, strlen(text), err,
				    err_size);
}

/* The message for text, which must be refused. */
static void check_refused(const char *text, const char *want)
{
	struct gfs_config cfg;
	char err[512];

	CHECK(load(&cfg, text, err, sizeof(err)) == -1);
	CHECK_STR(err, want);
	gfs_config_release(&cfg);
}

static void test_defaults(void)
{
	struct gfs_config cfg;
	char err[512];

	CHECK(load(&cfg, "", err, sizeof(err)) == 0);
	CHECK(cfg.root == NULL);
	CHECK(cfg.passthrough && cfg.io_uring && !cfg.xattrs);
	CHECK(cfg.deny_builtin && !cfg.case_sensitive);
	CHECK(cfg.snapshot_enabled && cfg.snapshot_exclude_defaults);
	CHECK(cfg.max_file_size == 256ULL << 20);
	CHECK(cfg.on_failure == GFS_ON_FAILURE_DENY);
	CHECK(cfg.scan && cfg.scan_max_size == 8ULL << 20);
	CHECK(cfg.deletes_per_minute == GFS_DEFAULT_DELETES_PER_MINUTE);
	CHECK(cfg.renames_per_minute == GFS_DEFAULT_RENAMES_PER_MINUTE);
	CHECK(cfg.bytes_written_per_minute == GFS_DEFAULT_BYTES_PER_MINUTE);
	CHECK(cfg.delete_percent == GFS_DEFAULT_DELETE_PERCENT);
	CHECK(cfg.ask_timeout == 30);
	CHECK(cfg.run_network == GFS_RUN_NETWORK_OWN);
	gfs_config_release(&cfg);
}

static void test_values(void)
{
	static const char text[] = "; a comment\n"
				   "[guard]\n"
				   "root = src\n"
				   "mountpoint = ~/mnt/app/\n"
				   "passthrough = no\n"
				   "[deny]\n"
				   "pattern = *.pem\n"
				   "pattern = secrets/\n"
				   "[audit]\n"
				   "level = denied\n"
				   "[snapshot]\n"
				   "max_file_size = 1G\n"
				   "on_failure = allow\n"
				   "[secrets]\n"
				   "max_size = 512K\n"
				   "[limits]\n"
				   "deletes_per_minute = 0\n"
				   "delete_fraction = 25%\n"
				   "[ask]\n"
				   "timeout = 5\n"
				   "[run]\n"
				   "network = host\n";
	struct gfs_config cfg;
	char err[512];
	char *home = getenv("HOME");

	setenv("HOME", "/home/ann", 1);
	CHECK(load(&cfg, text, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	/* relative to the file's directory; "~/" from HOME; no trailing / */
	CHECK_STR(cfg.root ? cfg.root : "", "/projects/app/src");
	CHECK_STR(cfg.mountpoint ? cfg.mountpoint : "", "/home/ann/mnt/app");
	CHECK(!cfg.passthrough);
	CHECK(cfg.deny_patterns.len == 2);
	if (cfg.deny_patterns.len == 2) {
		CHECK_STR(cfg.deny_patterns.items[1], "secrets/");
		CHECK_STR(cfg.deny_patterns.origins[1], PATH ":8");
	}
	CHECK(cfg.audit_level == GFS_AUDIT_DENIED);
	CHECK(cfg.max_file_size == 1ULL << 30);
	CHECK(cfg.on_failure == GFS_ON_FAILURE_ALLOW);
	CHECK(cfg.scan_max_size == 512ULL << 10);
	CHECK(cfg.deletes_per_minute == 0);
	CHECK(cfg.delete_percent == 25);
	CHECK(cfg.ask_timeout == 5);
	CHECK(cfg.run_network == GFS_RUN_NETWORK_HOST);
	gfs_config_release(&cfg);
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
}

static void test_fractions(void)
{
	static const struct {
		const char *value;
		int percent; /* -1: refused */
	} cases[] = {
		{"0", 0},     {"0.5", 50},  {"50%", 50},   {"1", 100},
		{"0.01", 1},  {"1.5", -1},  {"0.001", -1}, {"-0.5", -1},
		{"50 %", -1}, {"half", -1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gfs_config cfg;
		char text[128], err[512];
		int rc;

		snprintf(text, sizeof(text), "[limits]\ndelete_fraction = %s\n",
			 cases[i].value);
		rc = load(&cfg, text, err, sizeof(err));
		if (cases[i].percent < 0) {
			if (rc != -1)
				fprintf(stderr, "accepted: %s\n",
					cases[i].value);
			CHECK(rc == -1);
		} else {
			CHECK(rc == 0);
			CHECK(cfg.delete_percent == (unsigned)cases[i].percent);
		}
		gfs_config_release(&cfg);
	}
}

static void test_refusals(void)
{
	check_refused("root = /x\n", PATH ":1: key 'root' outside any section");
	check_refused("[guard]\nroots = /x\n",
		      PATH ":2: unknown key 'roots' in section [guard]");
	/* an empty unknown section too: inih alone would not say */
	check_refused("[guard]\n[gaurd]\n", PATH ":2: unknown section 'gaurd'");
	check_refused("[guard]\npassthrough = maybe\n",
		      PATH ":2: bad value 'maybe' for 'passthrough' (expected "
			   "yes or no)");
	check_refused("[snapshot]\nmax_file_size = lots\n",
		      PATH ":2: bad value 'lots' for 'max_file_size' "
			   "(expected a size such as 8M)");
	check_refused("[limits]\ndeletes_per_minute = -1\n",
		      PATH ":2: bad value '-1' for 'deletes_per_minute' "
			   "(expected a whole number)");
	check_refused("[audit]\nlevel = some\n",
		      PATH ":2: bad value 'some' for 'level' (expected all, "
			   "mutations or denied)");
	check_refused("[run]\nnetwork = lan\n",
		      PATH ":2: bad value 'lan' for 'network' (expected yes, "
			   "no or host)");
	check_refused("[deny]\npattern =\n",
		      PATH ":2: bad value '' for 'pattern' (expected a "
			   "non-empty value)");
}

static void test_network_parse(void)
{
	enum gfs_run_network n = GFS_RUN_NETWORK_HOST;

	CHECK(gfs_config_network_parse("yes", &n) == 0 &&
	      n == GFS_RUN_NETWORK_OWN);
	CHECK(gfs_config_network_parse("no", &n) == 0 &&
	      n == GFS_RUN_NETWORK_NONE);
	CHECK(gfs_config_network_parse("host", &n) == 0 &&
	      n == GFS_RUN_NETWORK_HOST);
	CHECK(gfs_config_network_parse("Host", &n) == -EINVAL);
	CHECK(gfs_config_network_parse("", &n) == -EINVAL);
}

int main(void)
{
	test_defaults();
	test_values();
	test_fractions();
	test_refusals();
	test_network_parse();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
