/*
 * The places the sandbox of `guardfs run` and `guardfs exec` never shows:
 * the credential places of the home and the files of guardfs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "guardfs/control.h"
#include "guardfs/util.h"
#include "mounts.h"
#include "sandbox_forbidden.h"

/*
 * The places of a home that hold credentials, never shown in the sandbox
 * whatever [run] ro/rw say: keys, cloud and cluster logins, registry and
 * package tokens, keyrings, password stores and browser profiles (which
 * hold cookies and saved passwords).
 */
static const char *const credential_places[] = {
	".ssh",
	".gnupg",
	".aws",
	".azure",
	".config/gcloud",
	".oci",
	".kube",
	".docker",
	".netrc",
	".git-credentials",
	".config/git/credentials",
	".config/gh",
	".config/hub",
	".config/glab-cli",
	".npmrc",
	".yarnrc",
	".pypirc",
	".gem/credentials",
	".cargo/credentials",
	".cargo/credentials.toml",
	".m2/settings.xml",
	".gradle/gradle.properties",
	".terraform.d",
	".vault-token",
	".config/doctl",
	".config/rclone",
	".s3cfg",
	".boto",
	".pki",
	".local/share/keyrings",
	".local/share/kwalletd",
	".password-store",
	".config/op",
	".mozilla",
	".thunderbird",
	".config/google-chrome",
	".config/chromium",
	".config/BraveSoftware",
	".config/microsoft-edge",
	".config/vivaldi",
	".config/Code/User/globalStorage",
};

static void forbid(struct gfs_forbidden *f, const char *path, const char *what)
{
	struct gfs_buf resolved = GFS_BUF_INIT;
	char **p, **w;

	if (!path || !path[0] || gfs_mounts_resolve_future(&resolved, path))
		goto out;
	p = realloc(f->paths, (f->len + 1) * sizeof(*p));
	if (!p)
		goto out;
	f->paths = p;
	w = realloc(f->whats, (f->len + 1) * sizeof(*w));
	if (!w)
		goto out;
	f->whats = w;
	f->whats[f->len] = strdup(what);
	f->paths[f->len] = gfs_buf_detach(&resolved);
	if (!f->whats[f->len] || !f->paths[f->len]) {
		free(f->whats[f->len]);
		free(f->paths[f->len]);
		goto out;
	}
	f->len++;
out:
	gfs_buf_release(&resolved);
}

void gfs_forbidden_release(struct gfs_forbidden *f)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		free(f->paths[i]);
		free(f->whats[i]);
	}
	free(f->paths);
	free(f->whats);
}

/* The store, trail and config of every running mount of this user. */
static void forbid_running(void *arg, pid_t pid, const char *reply)
{
	static const char *const keys[] = {"store", "audit", "config"};
	struct gfs_forbidden *f = arg;
	struct gfs_buf v = GFS_BUF_INIT;
	size_t i;

	(void)pid;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		gfs_buf_reset(&v);
		if (!gfs_control_reply_get(reply, keys[i], &v) && v.len)
			forbid(f, v.data, "a file of guardfs");
	}
	gfs_buf_release(&v);
}

static void forbid_xdg(struct gfs_forbidden *f, const char *var,
		       const char *fallback)
{
	struct gfs_buf dir = GFS_BUF_INIT;

	if (!gfs_xdg_dir(&dir, var, fallback) &&
	    !gfs_buf_adds(&dir, "/guardfs"))
		forbid(f, dir.data, "a directory of guardfs");
	gfs_buf_release(&dir);
}

void gfs_forbidden_collect(struct gfs_forbidden *f,
			   const struct gfs_config *cfg, const char *home,
			   const char *mount)
{
	struct gfs_buf b = GFS_BUF_INIT;
	size_t i;

	for (i = 0; home && i < sizeof(credential_places) /
					    sizeof(credential_places[0]);
	     i++) {
		gfs_buf_reset(&b);
		gfs_buf_addf(&b, "%s/%s", home, credential_places[i]);
		forbid(f, b.data, "a credential place of the home");
	}
	forbid_xdg(f, "XDG_CONFIG_HOME", ".config");
	forbid_xdg(f, "XDG_DATA_HOME", ".local/share");
	forbid_xdg(f, "XDG_STATE_HOME", ".local/state");
	gfs_buf_reset(&b);
	if (!gfs_control_runtime_dir(&b))
		forbid(f, b.data, "the runtime directory of guardfs");
	forbid(f, cfg->path, "the config of guardfs");
	forbid(f, cfg->store, "the snapshot store");
	forbid(f, cfg->audit_path, "the audit trail");
	/* Mounted elsewhere, the root itself is the unguarded folder. */
	if (strcmp(cfg->root, mount))
		forbid(f, cfg->root, "the unguarded folder");
	gfs_control_query_all("status", forbid_running, f);
	gfs_buf_release(&b);
}

int gfs_forbidden_check(const struct gfs_forbidden *f, const char *written,
			const char *resolved, const char *origin, char *err,
			size_t err_size)
{
	const char *forms[2] = {written, resolved};
	size_t i;
	int k;

	for (i = 0; i < f->len; i++) {
		for (k = 0; k < 2; k++) {
			const char *p = forms[k];

			if (!gfs_path_is_within(p, f->paths[i]) &&
			    !gfs_path_is_within(f->paths[i], p))
				continue;
			snprintf(err, err_size,
				 "%s: cannot share '%s' with the sandbox: "
				 "%s '%s' %s",
				 origin, written, f->whats[i], f->paths[i],
				 !strcmp(p, f->paths[i]) ? "is never shown"
				 : gfs_path_is_within(p, f->paths[i])
					 ? "holds it"
					 : "lies inside it");
			return -1;
		}
	}
	return 0;
}
