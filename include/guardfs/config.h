#ifndef GUARDFS_CONFIG_H
#define GUARDFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "guardfs/buf.h"

/*
 * A project's configuration: one INI file (or the safe defaults).
 *
 * Sections and keys are declared in one table in config/config.c; a new
 * capability adds its rows there and its fields here. Paths are stored
 * absolute: "~/" is expanded and relative paths are taken relative to the
 * config file's directory.
 */

/* A list of strings, each with the "FILE:LINE" it came from. */
struct gfs_strlist {
	char **items;
	char **origins;
	size_t len;
};

enum gfs_audit_level {
	GFS_AUDIT_ALL = 0,   /* every operation */
	GFS_AUDIT_MUTATIONS, /* changes and refusals */
	GFS_AUDIT_DENIED,    /* refusals only */
};

enum gfs_on_failure {
	GFS_ON_FAILURE_DENY = 0, /* refuse the mutation with EIO (P5) */
	GFS_ON_FAILURE_ALLOW,	 /* perform it unrecorded, and audit that */
};

/* [run] network: what network the sandbox of run and exec gets. */
enum gfs_run_network {
	GFS_RUN_NETWORK_OWN = 0, /* yes: a namespace of its own, slirp4netns */
	GFS_RUN_NETWORK_NONE,	 /* no: a namespace with the loopback alone */
	GFS_RUN_NETWORK_HOST,	 /* host: the host's namespace, shared */
};

struct gfs_config {
	char *path; /* the file that was read, or NULL for defaults */
	/*
	 * The bytes that were parsed and the file's identity when it was
	 * read (both empty for defaults): a running mount hands the text to
	 * the CLI, and the trust check of the next mount compares both.
	 */
	struct gfs_buf text;
	struct stat file_stat;

	/* [guard] */
	char *root;	  /* absolute; NULL until given */
	char *mountpoint; /* NULL: mount in place over root */
	char *name;	  /* NULL: the root's basename */
	bool xattrs;	  /* serve extended attributes; default no */
	bool passthrough; /* kernel passthrough of file data; default yes */
	bool io_uring;	  /* FUSE over io_uring where allowed; default yes */

	/* [deny] */
	struct gfs_strlist deny_patterns;
	bool deny_builtin;   /* default yes */
	bool case_sensitive; /* default no */

	/* [audit] */
	char *audit_path; /* NULL: $XDG_STATE_HOME/guardfs/<id>.log */
	enum gfs_audit_level audit_level;

	/* [snapshot] */
	bool snapshot_enabled; /* "enabled", default yes */
	char *store;	       /* NULL: $XDG_DATA_HOME/guardfs/<id>.git */
	struct gfs_strlist snapshot_exclude;
	bool snapshot_exclude_defaults; /* default yes */
	uint64_t max_file_size;		/* default 256 MiB */
	enum gfs_on_failure on_failure;

	/* [secrets] */
	bool scan;		/* default yes */
	uint64_t scan_max_size; /* data scanned per file; default 8 MiB */
	struct gfs_strlist secret_rule_files;
	struct gfs_strlist secret_allow_paths;
	struct gfs_strlist secret_allow_values;

	/* [limits]: the breaker (fs/breaker.c); 0 turns a rule off */
	unsigned deletes_per_minute;	   /* unlink and rmdir */
	unsigned renames_per_minute;	   /* rename and exchange */
	uint64_t bytes_written_per_minute; /* bytes into files */
	unsigned delete_percent;	   /* delete_fraction, in percent */
	bool limits_ask; /* ask the user instead of freezing; default no */

	/* [ask]: the user decides at the first access (see guardfs/ask.h) */
	struct gfs_strlist ask_patterns; /* gitignore syntax, as [deny] */
	unsigned ask_timeout;		 /* seconds; default 30 */
	char *ask_answers; /* NULL: $XDG_STATE_HOME/guardfs/<id>.answers */
	bool ask_desktop;  /* a desktop prompt too, where there is one */

	/* [run]: the sandbox of `guardfs run` and `guardfs exec` */
	struct gfs_strlist run_ro;  /* paths shown read-only, "~/" expanded */
	struct gfs_strlist run_rw;  /* paths shown read-write */
	struct gfs_strlist run_env; /* variable names let through */
	enum gfs_run_network run_network; /* default yes (its own) */
};

/* The breaker's defaults ([limits]), measured: see the README. */
#define GFS_DEFAULT_DELETES_PER_MINUTE 1000
#define GFS_DEFAULT_RENAMES_PER_MINUTE 1000
#define GFS_DEFAULT_BYTES_PER_MINUTE   (4ULL << 30)
#define GFS_DEFAULT_DELETE_PERCENT     75

/* Fills cfg with the defaults (no root). */
void gfs_config_init(struct gfs_config *cfg);

/* Frees everything cfg owns and re-initializes it. */
void gfs_config_release(struct gfs_config *cfg);

/*
 * Reads path into cfg (which must hold defaults). On error returns -1 and
 * writes "FILE:LINE: what" (or "FILE: what") into err. A file that group
 * or others may write is refused, as is one that is not a regular file.
 */
int gfs_config_load(struct gfs_config *cfg, const char *path, char *err,
		    size_t err_size);

/*
 * Parses text (len bytes) as the config file at path: errors name path,
 * relative paths are taken from its directory. The file itself is not
 * read; cfg->file_stat stays zero. 0 or -1 with a message in err.
 */
int gfs_config_load_text(struct gfs_config *cfg, const char *path,
			 const char *text, size_t len, char *err,
			 size_t err_size);

/*
 * Finds and loads the configuration for a command: explicit_path if not
 * NULL; else ROOT/.guardfs.ini when root_hint is given and it exists; else
 * $XDG_CONFIG_HOME/guardfs/config.ini if it exists; else the defaults.
 * root_hint, if given, then overrides [guard] root. Finally fills the
 * derived fields (name, audit path, store) and checks them. 0 or -1 with
 * a message in err.
 */
int gfs_config_resolve(struct gfs_config *cfg, const char *explicit_path,
		       const char *root_hint, char *err, size_t err_size);

/*
 * Like gfs_config_resolve, for a config a running mount sent: text (len
 * bytes) is parsed as the file at path, or the defaults are used when
 * path is NULL. Nothing is read from the folder, where the config is
 * hidden while mounted.
 */
int gfs_config_resolve_text(struct gfs_config *cfg, const char *path,
			    const char *text, size_t len, const char *root_hint,
			    char *err, size_t err_size);

/*
 * The project id used to name the store and the audit trail:
 * "<name>-<8 hex digits of the root's hash>". Appended to out.
 */
int gfs_config_project_id(const struct gfs_config *cfg, struct gfs_buf *out);

/*
 * Parses a value of [run] network or --network: yes (and the other
 * spellings of a boolean), no, or host. 0 or -EINVAL.
 */
int gfs_config_network_parse(const char *text, enum gfs_run_network *out);

/* The commented starter config that `guardfs init` writes. */
extern const char gfs_config_starter[];

#endif
