/*
 * Unit tests for the name policy (policy/policy.c) and the built-in list
 * (conf/deny.builtin), plus a micro-benchmark of gfs_policy_hides on
 * realistic paths (printed, not asserted).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardfs/ignore.h"
#include "guardfs/policy.h"

#include "check.h"

struct name_case {
	const char *path;
	bool is_dir;
};

/* Credentials the built-in list must hide, judged by their own name. */
static const struct name_case must_hide[] = {
	/* dotenv */
	{".env", false},
	{"app/.env", false},
	{".env.local", false},
	{".env.production", false},
	{".env.development.local", false},
	{".env.test", false},
	{".env.keys", false},
	{".ENV", false},
	{".Env.Local", false},
	{"production.env", false},
	{"deploy/docker.env", false},
	{".dev.vars", false},
	{".secrets", false},
	/* SSH and private keys */
	{".ssh", true},
	{"home/u/.ssh", true},
	{"id_rsa", false},
	{"id_dsa", false},
	{"id_ecdsa", false},
	{"id_ed25519", false},
	{"id_ed25519_sk", false},
	{"keys/id_rsa_work", false},
	{"ID_RSA", false},
	{"docker/ssh_host_ed25519_key", false},
	{".vagrant/machines/default/virtualbox/private_key", false},
	{"server.key", false},
	{"config/master.key", false},
	{"cert.p12", false},
	{"cert.PFX", false},
	{"android/app/release.jks", false},
	{"debug.keystore", false},
	{"putty.ppk", false},
	{"AuthKey_ABC123DEF4.p8", false},
	{"android/key.properties", false},
	{"privkey.pem", false},
	{"etc/letsencrypt/archive/x/privkey1.pem", false},
	{"key.pem", false},
	{"server-key.pem", false},
	{"tls.key.pem", false},
	{"private.pem", false},
	{"rsa_private_2048.pem", false},
	{".gnupg", true},
	{"private-keys-v1.d", true},
	{"secring.gpg", false},
	{"vpn/client.ovpn", false},
	/* cloud */
	{".aws", true},
	{".azure", true},
	{".config/gcloud", true},
	{"home/u/.config/gcloud", true},
	{".oci", true},
	{"application_default_credentials.json", false},
	{"my-project-service-account.json", false},
	{"service_account.json", false},
	{"serviceAccountKey.json", false},
	{"acme-firebase-adminsdk-x1y2z.json", false},
	{"client_secret_123-abc.apps.googleusercontent.com.json", false},
	{"credentials", false},
	{".gem/credentials", false},
	{"credentials.json", false},
	{".cargo/credentials.toml", false},
	{".s3cfg", false},
	{".boto", false},
	{"rclone.conf", false},
	{".cloudflared", true},
	{".pulumi/credentials.json", false},
	/* containers and clusters */
	{".docker/config.json", false},
	{"home/u/.docker/config.json", false},
	{".dockercfg", false},
	{".kube", true},
	{"kubeconfig", false},
	{"kubeconfig.yaml", false},
	{"prod.kubeconfig", false},
	/* registries and VCS */
	{".npmrc", false},
	{".pypirc", false},
	{".git-credentials", false},
	{".gitcookies", false},
	{".netrc", false},
	{"_netrc", false},
	{".authinfo.gpg", false},
	{".composer/auth.json", false},
	{".m2/settings.xml", false},
	{".gradle/gradle.properties", false},
	/* CLI tokens */
	{".config/gh/hosts.yml", false},
	{".config/hub", false},
	{".vault-token", false},
	{".terraformrc", false},
	{"terraform.rc", false},
	{".terraform.d/credentials.tfrc.json", false},
	{".pgpass", false},
	{".my.cnf", false},
	/* password stores, browsers */
	{".password-store", true},
	{"vault.kdbx", false},
	{"old.kdb", false},
	{"export.1pux", false},
	{"x.agilekeychain", true},
	{".htpasswd", false},
	{"Chrome Passwords.csv", false},
	{"passwords.csv", false},
	{"bitwarden_export_20240101.json", false},
	{"Login Data", false},
	{"key4.db", false},
	{"logins.json", false},
	{"cookies.sqlite", false},
	/* wallets */
	{"wallet.dat", false},
	{"savings.wallet", false},
	{"keystore/UTC--2017-01-01T00-00-00.000Z--0123abcd", false},
	{".electrum", true},
	/* histories */
	{".bash_history", false},
	{".zsh_history", false},
	{".python_history", false},
	{".psql_history", false},
	{".mysql_history", false},
	{".node_repl_history", false},
	{".sqlite_history", false},
	{".irb_history", false},
	{".lesshst", false},
	{".viminfo", false},
	{".local/share/fish/fish_history", false},
	{".Rhistory", false},
	{".ipython/profile_default/history.sqlite", false},
	/* infrastructure state and secrets files */
	{"terraform.tfstate", false},
	{"infra/terraform.tfstate.backup", false},
	{"terraform.tfstate.1700000000.backup", false},
	{"terraform.tfstate.d", true},
	{".terraform/terraform.tfstate", false},
	{"prod.tfvars", false},
	{"terraform.tfvars", false},
	{"terraform.tfvars.json", false},
	{".vault_pass", false},
	{".vault_pass.txt", false},
	{"config/secrets.yml", false},
	{".streamlit/secrets.toml", false},
	{"chart/secrets.yaml", false},
};

/* Ordinary files, and the visible siblings of hidden credentials. */
static const struct name_case must_show[] = {
	{"README.md", false},
	{"src/env.c", false},
	{"src/environment.ts", false},
	{"environment.ts", false},
	{"env", true},
	{"src/env", true},
	{".env", true}, /* a virtualenv directory */
	{".env.example", false},
	{".env.sample", false},
	{".env.template", false},
	{".env.dist", false},
	{".ENV.EXAMPLE", false},
	{".env.production.example", false},
	{"example.env", false},
	{"docker.example.env", false},
	{".flaskenv", false},
	{"id_rsa.pub", false},
	{"keys/id_ed25519.pub", false},
	{"id_rsa-cert.pub", false},
	{"ssh_host_rsa_key.pub", false},
	{"authorized_keys", false},
	{"known_hosts", false},
	{"server.crt", false},
	{"ca.cer", false},
	{"server.csr", false},
	{"cert.pem", false},
	{"fullchain.pem", false},
	{"chain.pem", false},
	{"cacert.pem", false},
	{"pubkey.pem", false},
	{"public_key.pem", false},
	{"server.pem", false},
	{"KEYS.asc", false},
	{"release.tar.gz.asc", false},
	{"backup.tar.gpg", false},
	{"pubring.kbx", false},
	{"game.p8", false},
	{"key.go", false},
	{"src/keys.rs", false},
	{"src/private_key.rs", false},
	{"keystore", true},
	{"src/main/java/com/acme/keystore", true},
	{"src/credentials", true},
	{"src/auth/credentials.go", false},
	{"credentials.py", false},
	{"config/credentials.yml.enc", false},
	{"src/secrets.py", false},
	{"secrets.yaml.enc", false},
	{"pkg/kubeconfig", true},
	{"pkg/kubeconfig/kubeconfig.go", false},
	{".git", true},
	{".git/config", false},
	{".gitignore", false},
	{".gitattributes", false},
	{".terraform", true},
	{".terraform/providers/registry.terraform.io", true},
	{".terraform.lock.hcl", false},
	{"main.tf", false},
	{"terraform.tfvars.example", false},
	{".yarnrc.yml", false},
	{".npmignore", false},
	{"package.json", false},
	{"package-lock.json", false},
	{"Cargo.toml", false},
	{"google-services.json", false},
	{"GoogleService-Info.plist", false},
	{".sops.yaml", false},
	{"history.md", false},
	{"src/history.ts", false},
	{".bashrc", false},
	{".zshrc", false},
	{".profile", false},
	{"Makefile", false},
	{"Dockerfile", false},
	{"docker-compose.yml", false},
	{".github/workflows/ci.yml", false},
	{".vscode/settings.json", false},
	{"tsconfig.json", false},
	{"src/components/App.tsx", false},
	{"monkey.png", false},
	{"token.ts", false},
	{"src/wallet.ts", false},
	{"docs/ssh.md", false},
};

static void check_names(const struct gfs_policy *p)
{
	const char *rule;
	size_t i;

	for (i = 0; i < sizeof(must_hide) / sizeof(must_hide[0]); i++) {
		rule = NULL;
		if (!gfs_policy_hides(p, must_hide[i].path, must_hide[i].is_dir,
				      &rule) ||
		    !rule || strncmp(rule, "builtin:", 8) != 0) {
			fprintf(stderr, "%s: not hidden but should be: %s\n",
				__FILE__, must_hide[i].path);
			failures++;
		}
	}
	for (i = 0; i < sizeof(must_show) / sizeof(must_show[0]); i++) {
		rule = "unset";
		if (gfs_policy_hides(p, must_show[i].path, must_show[i].is_dir,
				     &rule) ||
		    rule != NULL) {
			fprintf(stderr,
				"%s: hidden but should not be: %s (%s)\n",
				__FILE__, must_show[i].path,
				rule ? rule : "no rule");
			failures++;
		}
	}
}

/* The text of line n of the built-in list, copied into buf. */
static const char *builtin_line(unsigned n, char *buf, size_t size)
{
	const char *s = gfs_builtin_deny_rules;
	size_t len;

	while (--n && (s = strchr(s, '\n')))
		s++;
	if (!s)
		return "";
	len = strcspn(s, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* The built-in rule deciding path names the right line of the list. */
static bool decided_by(const struct gfs_policy *p, const char *path,
		       bool is_dir, const char *want_line)
{
	const char *rule = NULL;
	char buf[128];

	if (!gfs_policy_hides(p, path, is_dir, &rule) || !rule ||
	    strncmp(rule, "builtin:", 8) != 0)
		return false;
	return strcmp(builtin_line((unsigned)atoi(rule + 8), buf, sizeof(buf)),
		      want_line) == 0;
}

static void test_builtin(void)
{
	struct gfs_policy_opts opts = {.builtin = true};
	struct gfs_ignore *ig;
	struct gfs_policy *p;
	unsigned bad = 0;

	/* The shipped list parses; every line is a rule or a comment. */
	CHECK(gfs_builtin_deny_rules_len == strlen(gfs_builtin_deny_rules));
	CHECK(gfs_ignore_new(&ig, GFS_IGNORE_CASEFOLD) == 0);
	CHECK(gfs_ignore_add_text(ig, gfs_builtin_deny_rules,
				  gfs_builtin_deny_rules_len, "builtin",
				  &bad) == 0);
	CHECK(gfs_ignore_count(ig) >= 100);
	gfs_ignore_free(ig);

	CHECK(gfs_policy_new(&p, &opts) == 0);
	check_names(p);
	CHECK(decided_by(p, ".env", false, ".env"));
	CHECK(decided_by(p, "a/.env.local", false, ".env.*"));
	CHECK(decided_by(p, "privkey.pem", false, "privkey*.pem"));
	CHECK(decided_by(p, ".ssh", true, ".ssh"));
	CHECK(decided_by(p, ".bash_history", false, ".bash_history"));
	CHECK(decided_by(p, ".irb_history", false, ".*_history"));
	CHECK(decided_by(p, "a/secrets/x.txt", false, "**/secrets/**"));
	CHECK(decided_by(p, "deploy_rsa", false, "*_rsa"));
	/* ancestors: hides() looks at the own name, hides_tree() at all */
	CHECK(!gfs_policy_hides(p, ".ssh/id_rsa.pub", false, NULL));
	CHECK(gfs_policy_hides_tree(p, ".ssh/id_rsa.pub", false, NULL));
	CHECK(!gfs_policy_hides(p, ".aws/config", false, NULL));
	CHECK(gfs_policy_hides_tree(p, ".aws/config", false, NULL));
	CHECK(gfs_policy_hides_tree(p, "a/.kube/cache/x", false, NULL));
	CHECK(!gfs_policy_hides_tree(p, ".env/lib/python3/site.py", false,
				     NULL));
	CHECK(!gfs_policy_hides_tree(p, "src/credentials/store.go", false,
				     NULL));
	CHECK(gfs_policy_hides(p, "node_modules/pkg/.env", false, NULL));
	CHECK(!gfs_policy_hides(p, "", true, NULL));
	gfs_policy_free(p);

	/* NULL options mean the defaults: built-in list, no case. */
	CHECK(gfs_policy_new(&p, NULL) == 0);
	CHECK(gfs_policy_hides(p, "ID_RSA", false, NULL));
	gfs_policy_free(p);

	opts.case_sensitive = true;
	CHECK(gfs_policy_new(&p, &opts) == 0);
	CHECK(gfs_policy_hides(p, ".env", false, NULL));
	CHECK(!gfs_policy_hides(p, ".ENV", false, NULL));
	gfs_policy_free(p);

	opts.builtin = false;
	CHECK(gfs_policy_new(&p, &opts) == 0);
	CHECK(!gfs_policy_hides(p, ".env", false, NULL));
	CHECK(!gfs_policy_hides(p, "id_rsa", false, NULL));
	gfs_policy_free(p);
	gfs_policy_free(NULL);
}

static void test_user_patterns(void)
{
	struct gfs_policy_opts opts = {.builtin = true};
	struct gfs_policy *p;
	const char *rule = NULL;

	CHECK(gfs_policy_new(&p, &opts) == 0);
	CHECK(gfs_policy_add_pattern(p, "*.sqlite", "p.ini:3") == 0);
	CHECK(gfs_policy_add_pattern(p, "private/", "p.ini:4") == 0);
	CHECK(gfs_policy_add_pattern(p, "!.npmrc", "p.ini:5") == 0);
	CHECK(gfs_policy_add_pattern(p, "!.env.*", "p.ini:6") == 0);
	CHECK(gfs_policy_add_pattern(p, "[oops", "p.ini:7") == -EINVAL);
	CHECK(gfs_policy_hides(p, "db/app.SQLITE", false, &rule));
	CHECK(rule && strcmp(rule, "p.ini:3") == 0);
	CHECK(gfs_policy_hides(p, "x/private", true, &rule));
	CHECK(!gfs_policy_hides(p, "x/private", false, NULL));
	/* a user "!" re-exposes a built-in entry ... */
	CHECK(!gfs_policy_hides(p, ".npmrc", false, &rule));
	CHECK(rule == NULL);
	CHECK(!gfs_policy_hides(p, ".env.local", false, NULL));
	CHECK(gfs_policy_hides(p, ".env", false, NULL));
	/* ... but not a file inside a hidden directory */
	CHECK(gfs_policy_add_pattern(p, "!.ssh/known_hosts", "p.ini:8") == 0);
	CHECK(gfs_policy_hides_tree(p, ".ssh/known_hosts", false, NULL));
	gfs_policy_free(p);
}

static void test_hide_exact(void)
{
	struct gfs_policy_opts opts = {.builtin = true};
	struct gfs_policy *p;
	const char *rule = NULL;

	CHECK(gfs_policy_new(&p, &opts) == 0);
	CHECK(gfs_policy_hide_exact(p, "./.guardfs//store/", "store") == 0);
	CHECK(gfs_policy_hide_exact(p, "guardfs.ini", "config") == 0);
	CHECK(gfs_policy_hide_exact(p, "../x", "bad") == -EINVAL);
	CHECK(gfs_policy_hide_exact(p, "a/../b", "bad") == -EINVAL);
	CHECK(gfs_policy_hide_exact(p, "", "bad") == -EINVAL);
	CHECK(gfs_policy_hide_exact(p, "./", "bad") == -EINVAL);
	CHECK(gfs_policy_hide_exact(p, "/abs", "bad") == -EINVAL);
	/* negations, even of exactly that name, do not re-expose it */
	CHECK(gfs_policy_add_pattern(p, "!guardfs.ini", "u:1") == 0);
	CHECK(gfs_policy_add_pattern(p, "!.guardfs/", "u:2") == 0);
	CHECK(gfs_policy_add_pattern(p, "!**", "u:3") == 0);
	CHECK(gfs_policy_hides(p, "guardfs.ini", false, &rule));
	CHECK(rule && strcmp(rule, "config") == 0);
	CHECK(gfs_policy_hides(p, "GuardFS.INI", false, NULL));
	CHECK(gfs_policy_hides(p, ".guardfs/store", true, &rule));
	CHECK(rule && strcmp(rule, "store") == 0);
	CHECK(gfs_policy_hides(p, ".guardfs/store/objects/ab/cd", false, NULL));
	CHECK(gfs_policy_hides_tree(p, ".guardfs/store/HEAD", false, NULL));
	CHECK(!gfs_policy_hides(p, ".guardfs", true, NULL));
	CHECK(!gfs_policy_hides(p, ".guardfs/storage", false, NULL));
	CHECK(!gfs_policy_hides(p, "guardfs.ini.bak", false, NULL));
	CHECK(!gfs_policy_hides(p, "sub/guardfs.ini", false, NULL));
	/* "!**" (last) re-exposed every built-in entry */
	CHECK(!gfs_policy_hides(p, ".env", false, NULL));
	gfs_policy_free(p);
}

static void test_hide_name(void)
{
	struct gfs_policy *p;
	const char *rule = NULL;

	CHECK(gfs_policy_new(&p, NULL) == 0);
	CHECK(gfs_policy_hide_name(p, ".guardfs.ini", "config") == 0);
	CHECK(gfs_policy_hide_name(p, "a/b", "bad") == -EINVAL);
	CHECK(gfs_policy_hide_name(p, "", "bad") == -EINVAL);
	CHECK(gfs_policy_hide_name(p, "..", "bad") == -EINVAL);
	CHECK(gfs_policy_add_pattern(p, "!**", "u:1") == 0);
	/* at any depth, any ASCII case, and everything below it */
	CHECK(gfs_policy_hides(p, ".guardfs.ini", false, &rule));
	CHECK(rule && strcmp(rule, "config") == 0);
	CHECK(gfs_policy_hides(p, "a/b/.GUARDFS.ini", false, NULL));
	CHECK(gfs_policy_hides(p, ".guardfs.ini/x", false, NULL));
	CHECK(gfs_policy_hides_tree(p, "a/.guardfs.ini/y", false, NULL));
	CHECK(!gfs_policy_hides(p, ".guardfs.ini.bak", false, NULL));
	CHECK(!gfs_policy_hides(p, "a/x.guardfs.ini", false, NULL));
	gfs_policy_free(p);
}

/* guardfs's own files below a directory make its moves matter. */
static void test_moves_matter(void)
{
	struct gfs_policy_opts opts = {.builtin = true};
	struct gfs_policy *p;

	CHECK(gfs_policy_new(&p, &opts) == 0);
	CHECK(gfs_policy_hide_exact(p, "state/guardfs/audit.jsonl", "a") == 0);
	CHECK(gfs_policy_moves_matter(p, "state", "st"));
	CHECK(gfs_policy_moves_matter(p, "STATE/guardfs", "x"));
	CHECK(gfs_policy_moves_matter(p, "x", "state/guardfs"));
	CHECK(!gfs_policy_moves_matter(p, "state/guardfs/audit.jsonl", "x"));
	CHECK(!gfs_policy_moves_matter(p, "src", "lib"));
	/* the built-in anchored rules */
	CHECK(gfs_policy_moves_matter(p, ".m2", "m2"));
	CHECK(gfs_policy_moves_matter(p, "home/.docker", "home/docker"));
	CHECK(gfs_policy_moves_matter(p, ".config", "config"));
	CHECK(!gfs_policy_moves_matter(p, "a/b", "c"));
	/* "**∕secrets∕**": only where a secrets component is in the move */
	CHECK(gfs_policy_moves_matter(p, "x/secrets", "x/s"));
	CHECK(gfs_policy_moves_matter(p, "secrets/sub", "other"));
	CHECK(gfs_policy_moves_matter(p, "other", "a/secrets/sub"));
	CHECK(!gfs_policy_moves_matter(p, "app/src", "app/lib"));
	gfs_policy_free(p);
}

/* Absolute targets: below the mount, into system trees, or out. */
static void test_link_targets(void)
{
	struct gfs_policy *p;

	CHECK(gfs_policy_new(&p, NULL) == 0);
	/* relative targets keep the lexical rule, with or without a mount */
	CHECK(gfs_policy_link_target(p, "a/l", "../x") == GFS_LINK_INSIDE);
	CHECK(gfs_policy_link_target(p, "a/l", "../../x") == GFS_LINK_OUT);
	/* no mount known: an absolute target is never inside */
	CHECK(gfs_policy_link_target(p, "l", "/m/p/x") == GFS_LINK_OUT);
	CHECK(gfs_policy_set_mount(p, "/m/p/") == 0);
	CHECK(gfs_policy_link_target(p, "l", "/m/p/x") == GFS_LINK_INSIDE);
	CHECK(gfs_policy_link_target(p, "l", "/m/p") == GFS_LINK_INSIDE);
	CHECK(gfs_policy_link_target(p, "l", "/m/p/x/") == GFS_LINK_INSIDE);
	/* a doubled '/' is not compared with the mount: refused */
	CHECK(gfs_policy_link_target(p, "l", "//m/p/x") == GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/m/p//x") == GFS_LINK_OUT);
	CHECK_STR(gfs_policy_link_inside(p, "/m/p/a/b"), "a/b");
	CHECK_STR(gfs_policy_link_inside(p, "/m/p"), "");
	CHECK(gfs_policy_link_inside(p, "/m/px") == NULL);
	CHECK(gfs_policy_link_inside(p, "x") == NULL);
	CHECK(gfs_policy_link_target(p, "l", "/m/px/y") == GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/m/p/../q") == GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/m/p/./x") == GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/m") == GFS_LINK_OUT);
	/* read-only system trees */
	CHECK(gfs_policy_link_target(p, "l", "/usr/bin/python3") ==
	      GFS_LINK_SYSTEM);
	CHECK(gfs_policy_link_target(p, "l", "/usr") == GFS_LINK_SYSTEM);
	CHECK(gfs_policy_link_target(p, "l", "/etc/alternatives/cc") ==
	      GFS_LINK_SYSTEM);
	CHECK(gfs_policy_link_target(p, "l", "/lib64/ld.so") ==
	      GFS_LINK_SYSTEM);
	CHECK(gfs_policy_link_target(p, "l", "/usr/local/bin/x") ==
	      GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/usr/../etc/shadow") ==
	      GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/usrx/y") == GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/etc/passwd") == GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/etc/alternativesx") ==
	      GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "l", "/root/.ssh/id_rsa") ==
	      GFS_LINK_OUT);
	CHECK(gfs_policy_link_target(p, "", "/usr/bin/x") == GFS_LINK_OUT);
	gfs_policy_free(p);
}

/* Editors' swap, backup and undo copies of a hidden name are hidden. */
static void test_edited_copies(void)
{
	static const char *const hidden[] = {
		".env~",
		".env.swp",
		".env.swo",
		".env.swp~",
		"#.env#",
		".#.env",
		".env.un~",
		".netrc~",
		".netrc.swp",
		"#.netrc#",
		".netrc.un~",
		"home/.netrc.bak",
		".netrc.~12~",
		".netrc.orig",
		".netrc.kate-swp",
		".id_rsa.swp",
		"sub/.id_rsa.swo",
		"#id_rsa#",
		"private_key.old",
		"#private_key#",
		"a/.private_key.swp",
		".netrc.tmp",
		".netrc___jb_old___",
		".NETRC.SWP",
	};
	static const char *const visible[] = {
		"main.c~", ".main.c.swp", "#notes.txt#", "notes.bak",
		"~",	   "#",		  "##",		 ".swp",
		".#",	   "netrc~",	  "a/~",	 ".netrcx~",
		"x.swp",   ".netrc.swpx",
	};
	struct gfs_policy *p;
	const char *rule;
	size_t i;

	CHECK(gfs_policy_new(&p, NULL) == 0);
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		rule = NULL;
		if (!gfs_policy_hides(p, hidden[i], false, &rule) || !rule) {
			fprintf(stderr, "not hidden: %s\n", hidden[i]);
			failures++;
		}
	}
	for (i = 0; i < sizeof(visible) / sizeof(visible[0]); i++) {
		if (gfs_policy_hides(p, visible[i], false, NULL)) {
			fprintf(stderr, "hidden: %s\n", visible[i]);
			failures++;
		}
	}
	/* the base's own exception holds for its copies too */
	CHECK(gfs_policy_add_pattern(p, "!.netrc", "u:1") == 0);
	CHECK(!gfs_policy_hides(p, ".netrc.swp", false, NULL));
	gfs_policy_free(p);
}

static void test_symlinks(void)
{
	CHECK(gfs_policy_symlink_escapes("a/link", "../../etc/passwd"));
	CHECK(!gfs_policy_symlink_escapes("a/link", "../x"));
	CHECK(gfs_policy_symlink_escapes("a/link", "/etc/passwd"));
	CHECK(gfs_policy_symlink_escapes("link", "a/../../x"));
	CHECK(!gfs_policy_symlink_escapes("link", "./x"));
	CHECK(!gfs_policy_symlink_escapes("link", "x"));
	CHECK(!gfs_policy_symlink_escapes("link", "."));
	CHECK(gfs_policy_symlink_escapes("link", ".."));
	CHECK(gfs_policy_symlink_escapes("link", "../x"));
	CHECK(!gfs_policy_symlink_escapes("a/b/c/link", "../../../x"));
	CHECK(gfs_policy_symlink_escapes("a/b/c/link", "../../../../x"));
	CHECK(!gfs_policy_symlink_escapes("a/b/link", "./.././../y//z/"));
	CHECK(!gfs_policy_symlink_escapes("./a//b/link", "../../x"));
	CHECK(gfs_policy_symlink_escapes("./a//b/link", "../../../x"));
	/* empty and absolute targets, bad link paths */
	CHECK(gfs_policy_symlink_escapes("link", ""));
	CHECK(gfs_policy_symlink_escapes("link", "//x"));
	CHECK(gfs_policy_symlink_escapes("", "x"));
	CHECK(gfs_policy_symlink_escapes("a/../link", "x"));
	CHECK(gfs_policy_symlink_escapes("/a/link", "x"));
	/* a ".." after a name: that name could be a symlink ("d" -> ".") */
	CHECK(gfs_policy_symlink_escapes("a/link", "d/../x"));
	CHECK(gfs_policy_symlink_escapes("link", "d/.."));
	CHECK(!gfs_policy_symlink_escapes("a/link", "../d/x/./y"));
	/* names that merely look like dots */
	CHECK(!gfs_policy_symlink_escapes("link", "...")); /* a name */
	CHECK(!gfs_policy_symlink_escapes("link", "..x"));
}

static size_t builtin_rule_count(void)
{
	struct gfs_ignore *ig;
	size_t n = 0;

	if (gfs_ignore_new(&ig, GFS_IGNORE_CASEFOLD))
		return 0;
	if (!gfs_ignore_add_text(ig, gfs_builtin_deny_rules,
				 gfs_builtin_deny_rules_len, "builtin", NULL))
		n = gfs_ignore_count(ig);
	gfs_ignore_free(ig);
	return n;
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_nsec - a->tv_nsec);
}

/*
 * The best of BATCHES timings of ROUNDS passes over paths, in ns per call.
 * Thread CPU time and the minimum keep other work on the machine (a
 * parallel build, other tests) out of the number.
 */
static double time_hides(const struct gfs_policy *p, char (*paths)[96],
			 size_t npaths, unsigned long *hidden)
{
	enum { BATCHES = 15, ROUNDS = 20 };
	struct timespec t0, t1;
	double best = 1e300, ns;
	size_t b, r, i;

	for (b = 0; b < BATCHES; b++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		for (r = 0; r < ROUNDS; r++)
			for (i = 0; i < npaths; i++)
				*hidden += gfs_policy_hides(p, paths[i], false,
							    NULL);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		ns = elapsed_ns(&t0, &t1) / (ROUNDS * npaths);
		if (ns < best)
			best = ns;
	}
	return best;
}

/*
 * Not asserted: prints the cost of one gfs_policy_hides call over paths
 * like those an agent touches in a source tree (plus a few credentials).
 */
static void benchmark(void)
{
	static const char *const dirs[] = {
		"",
		"src/",
		"src/components/",
		"src/lib/utils/",
		"tests/unit/",
		"node_modules/react/cjs/",
		"node_modules/@babel/core/lib/",
		".github/workflows/",
		"build/out/obj/",
		"docs/",
		"include/guardfs/",
		"app/models/",
		"config/",
		"target/debug/deps/",
		"vendor/github.com/x/y/",
		"infra/terraform/",
	};
	static const char *const files[] = {
		"index.ts",	"main.c",	  "README.md",
		"package.json", "Cargo.toml",	  ".gitignore",
		"utils.py",	"App.tsx",	  "server.crt",
		".env.example", "Makefile",	  "config.yaml",
		"style.css",	"id_rsa.pub",	  "test_main.go",
		"lib.rs",	"index.d.ts",	  "LICENSE",
		"setup.py",	"yarn.lock",	  "fixtures.json",
		"Dockerfile",	"schema.graphql", "build.gradle",
		"main.tf",	"user_model.rb",  "a.out",
		"mod.rs",	"CHANGELOG",	  "jest.config.js",
		".env",		"id_ed25519",	  "terraform.tfstate",
		"secrets.yml",	"cert.pem",	  "service.key",
	};
	enum {
		NDIRS = sizeof(dirs) / sizeof(dirs[0]),
		NFILES = sizeof(files) / sizeof(files[0]),
		NPATHS = NDIRS * NFILES
	};
	static char paths[NPATHS][96];
	struct gfs_policy_opts opts = {.builtin = true};
	struct gfs_policy *p;
	unsigned long hidden = 0;
	double ns_builtin, ns_user;
	char line[32];
	size_t i;

	for (i = 0; i < NPATHS; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s%s", dirs[i / NFILES],
			 files[i % NFILES]);
	CHECK(gfs_policy_new(&p, &opts) == 0);
	ns_builtin = time_hides(p, paths, NPATHS, &hidden);

	/* a project with a long [deny] section and guardfs's own files */
	for (i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), i % 2 ? "*.dat%zu" : "cache%zu/",
			 i);
		CHECK(gfs_policy_add_pattern(p, line, "bench") == 0);
	}
	CHECK(gfs_policy_add_pattern(p, "/private/**/*.csv", "bench") == 0);
	CHECK(gfs_policy_add_pattern(p, "**/tmp*/", "bench") == 0);
	CHECK(gfs_policy_hide_exact(p, ".guardfs.ini", "bench") == 0);
	ns_user = time_hides(p, paths, NPATHS, &hidden);
	gfs_policy_free(p);

	printf("bench: gfs_policy_hides, %d realistic paths, best of 15 "
	       "batches (thread CPU time): %.0f ns/call with the built-in "
	       "list (%zu rules), %.0f ns/call with 42 user patterns and an "
	       "exact hide added\n",
	       (int)NPATHS, ns_builtin, builtin_rule_count(), ns_user);
	CHECK(hidden > 0);
}

int main(void)
{
	test_builtin();
	test_user_patterns();
	test_hide_exact();
	test_hide_name();
	test_moves_matter();
	test_edited_copies();
	test_symlinks();
	test_link_targets();
	benchmark();
	if (failures) {
		fprintf(stderr, "test_policy: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_policy: all passed\n");
	return 0;
}
