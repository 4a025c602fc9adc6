/*
 * The built-in name list (conf/deny.builtin), scored on a held-out style
 * set: paths as they occur in real projects, home directories and system
 * trees, each either a credential that must be hidden or an ordinary
 * file (often the public half, template or look-alike of a credential)
 * that must stay visible.
 *
 * Every path is judged as the mount judges it, component by component
 * (gfs_policy_hides_tree), with is_dir for its last component. Besides
 * the score, the test checks that every rule line of the list decides at
 * least one path here: an entry nobody can show a use for is either dead
 * (shadowed by a later line) or untested.
 *
 * GFS_DENY_LIST=FILE scores another list instead (say the list before a
 * change: git show HEAD~1:conf/deny.builtin > old) and prints the misses
 * without failing. The test also prints the cost of gfs_policy_hides on
 * 100k paths built from these (not asserted).
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
	const char *family;
	const char *path;
	bool is_dir;
};

#define F(fam, path)                                                           \
	{                                                                      \
		fam, path, false                                               \
	}
#define D(fam, path)                                                           \
	{                                                                      \
		fam, path, true                                                \
	}

/* Credentials: each must be hidden. */
static const struct name_case sensitive[] = {
	/* AI agents and coding assistants */
	F("ai-agents", ".claude/.credentials.json"),
	F("ai-agents", "home/dev/.claude/.credentials.json"),
	F("ai-agents", ".claude.json"),
	F("ai-agents", ".claude.json.backup"),
	F("ai-agents", ".claude/backups/.claude.json.backup.1753964023458"),
	F("ai-agents", ".codex/auth.json"),
	F("ai-agents", "home/dev/.codex/auth.json"),
	F("ai-agents", ".gemini/oauth_creds.json"),
	F("ai-agents", ".qwen/oauth_creds.json"),
	F("ai-agents", ".gemini/mcp-oauth-tokens.json"),
	F("ai-agents", ".config/github-copilot/hosts.json"),
	F("ai-agents", ".config/github-copilot/apps.json"),
	F("ai-agents", "AppData/Local/github-copilot/apps.json"),
	F("ai-agents", ".config/Cursor/User/globalStorage/state.vscdb"),
	F("ai-agents", ".config/Cursor/User/globalStorage/state.vscdb.backup"),
	F("ai-agents", ".continue/config.json"),
	F("ai-agents", ".continue/config.yaml"),
	F("ai-agents", ".continue/.env"),
	F("ai-agents", ".codeium/config.json"),
	F("ai-agents", ".local/share/opencode/auth.json"),
	F("ai-agents", ".config/io.datasette.llm/keys.json"),
	F("ai-agents", ".aider/oauth-keys.env"),
	F("ai-agents", ".gemini/.env"),
	F("ai-agents", ".config/goose/secrets.yaml"),
	/* Kerberos */
	F("kerberos", "etc/krb5.keytab"),
	F("kerberos", "deploy/keytabs/http.keytab"),
	F("kerberos", "hadoop/conf/hdfs.service.keytab"),
	F("kerberos", "tmp/krb5cc_1000"),
	F("kerberos", "krb5cc"),
	/* VPN and network */
	F("vpn", "vpn/client.ovpn"),
	F("vpn", "Downloads/us-east.protonvpn.udp.ovpn"),
	F("vpn", "etc/openvpn/client.conf"),
	F("vpn", "etc/openvpn/client/office.conf"),
	F("vpn", "etc/openvpn/server/server.conf"),
	F("vpn", "etc/wireguard/wg0.conf"),
	F("vpn", "infra/wireguard/peer-laptop.conf"),
	F("vpn", "wg0.conf"),
	F("vpn", "Downloads/wg-CH-17.conf"),
	F("vpn", "vpn/wg_home.conf"),
	F("vpn",
	  "etc/NetworkManager/system-connections/Office VPN.nmconnection"),
	F("vpn", "var/lib/iwd/HomeWifi.psk"),
	F("vpn", "etc/wpa_supplicant/wpa_supplicant-wlan0.conf"),
	F("vpn", "etc/ipsec.secrets"),
	F("vpn", "var/lib/tailscale/tailscaled.state"),
	/* data science and model hubs */
	F("data-science", ".cache/huggingface/token"),
	F("data-science", ".cache/huggingface/stored_tokens"),
	F("data-science", ".huggingface/token"),
	F("data-science", ".kaggle/kaggle.json"),
	F("data-science", "notebooks/kaggle.json"),
	F("data-science", ".databrickscfg"),
	F("data-science", ".databricks/token-cache.json"),
	F("data-science", ".netrc"),
	F("data-science", "ml-pipeline/.dvc/config.local"),
	F("data-science", ".snowflake/connections.toml"),
	F("data-science", ".snowflake/config.toml"),
	F("data-science", ".snowsql/config"),
	F("data-science", ".dbt/profiles.yml"),
	F("data-science", ".modal.toml"),
	F("data-science", "clearml.conf"),
	F("data-science", ".comet.config"),
	F("data-science", ".local/share/jupyter/runtime/kernel-4f2a.json"),
	D("data-science", ".local/share/jupyter/runtime"),
	F("data-science", ".mlflow/credentials"),
	/* browsers and Electron apps */
	F("browsers", ".config/google-chrome/Default/Cookies"),
	F("browsers", ".config/google-chrome/Default/Network/Cookies"),
	F("browsers", ".config/google-chrome/Default/Login Data"),
	F("browsers", ".config/google-chrome/Default/Login Data For Account"),
	F("browsers", ".config/google-chrome/Default/Web Data"),
	F("browsers", ".config/google-chrome/Local State"),
	D("browsers", ".config/google-chrome/Default/Local Storage"),
	D("browsers", ".config/google-chrome/Default/Local Extension Settings"),
	F("browsers", ".config/Slack/Cookies"),
	D("browsers", ".config/discord/Local Storage"),
	F("browsers", ".mozilla/firefox/x1y2.default-release/key4.db"),
	F("browsers", ".mozilla/firefox/x1y2.default-release/key3.db"),
	F("browsers", ".mozilla/firefox/x1y2.default-release/logins.json"),
	F("browsers", ".mozilla/firefox/x1y2.default-release/signons.sqlite"),
	F("browsers", ".mozilla/firefox/x1y2.default-release/cookies.sqlite"),
	F("browsers",
	  ".mozilla/firefox/x1y2.default-release/sessionstore.jsonlz4"),
	D("browsers",
	  ".mozilla/firefox/x1y2.default-release/sessionstore-backups"),
	F("browsers", "Library/Cookies/Cookies.binarycookies"),
	F("browsers", "scraper/cookies.txt"),
	F("browsers", "Downloads/Chrome Passwords.csv"),
	/* dotenv and direnv */
	F("dotenv", ".env"),
	F("dotenv", "backend/.env.production"),
	F("dotenv", "docker/app.env"),
	F("dotenv", ".envrc"),
	F("dotenv", "services/api/.envrc"),
	F("dotenv", ".envrc.local"),
	F("dotenv", ".envrc.private"),
	F("dotenv", ".Renviron"),
	F("dotenv", "worker/.dev.vars"),
	F("dotenv", ".secrets"),
	/* web apps and CMS configs */
	F("cms", "wp-config.php"),
	F("cms", "public_html/wp-config.php"),
	F("cms", "wp-config.php.bak"),
	F("cms", "wp-config-local.php"),
	F("cms", "local-config.php"),
	F("cms", "web/sites/default/settings.php"),
	F("cms", "docroot/sites/example.com/settings.php"),
	F("cms", "web/sites/default/settings.local.php"),
	F("cms", "configuration.php"),
	F("cms", "public_html/configuration.php"),
	F("cms", "var/www/htdocs/configuration.php"),
	F("cms", "app/etc/env.php"),
	F("cms", "magento/app/etc/local.xml"),
	F("cms", "app/config/parameters.yml"),
	F("cms", "shop/app/config/parameters.php"),
	F("cms", "config/settings.inc.php"),
	F("cms", "w/LocalSettings.php"),
	F("cms", "public/typo3conf/LocalConfiguration.php"),
	F("cms", "config/system/settings.php"),
	F("cms", "config/app_local.php"),
	F("cms", "config/autoload/local.php"),
	F("cms", "config/autoload/doctrine.local.php"),
	F("cms", "application/config/database.php"),
	F("cms", "mysite/local_settings.py"),
	F("cms", "config/prod.secret.exs"),
	F("cms", "etc/odoo.conf"),
	F("cms", ".odoorc"),
	F("cms", "config/master.key"),
	F("cms", "config/credentials/production.key"),
	F("cms", "config/secrets.yml"),
	/* directories named for secrets */
	F("secret-dirs", "secrets/db_password.txt"),
	F("secret-dirs", "secrets/postgres_password"),
	F("secret-dirs", "docker/secrets/api_token"),
	F("secret-dirs", "k8s/secrets/db-credentials.yaml"),
	F("secret-dirs", "deploy/secrets/prod/stripe.json"),
	F("secret-dirs", "run/secrets/redis_password"),
	F("secret-dirs", "var/run/secrets/kubernetes.io/serviceaccount/token"),
	F("secret-dirs", "var/lib/jenkins/secrets/hudson.util.Secret"),
	F("secret-dirs", "var/lib/jenkins/secrets/initialAdminPassword"),
	F("secret-dirs", "config/secret/jwt_signing.txt"),
	F("secret-dirs", "creds/gcp.json"),
	F("secret-dirs", "ops/creds/smtp.ini"),
	F("secret-dirs", "ansible/secrets/vault.sh"),
	F("secret-dirs", ".secrets/github_token"),
	F("secret-dirs", "etc/davfs2/secrets"),
	F("secret-dirs", "bot/secret"),
	/* private keys under other names */
	F("keys", "deploy_rsa"),
	F("keys", "keys/github_ed25519"),
	F("keys", "ci/backup_dsa"),
	F("keys", "ci/jump_ecdsa"),
	F("keys", "yubikey/ops_ecdsa_sk"),
	F("keys", "yubikey/ops_ed25519_sk"),
	F("keys", ".travis/deploy_key"),
	F("keys", "ansible/files/deploy-key"),
	F("keys", ".vagrant/machines/default/virtualbox/private_key"),
	F("keys", ".vagrant.d/insecure_private_key"),
	F("keys", "var/lib/tor/hidden_service/hs_ed25519_secret_key"),
	F("keys", "var/lib/zerotier-one/identity.secret"),
	F("keys", ".android/adbkey"),
	F("keys", "tls/server.key"),
	F("keys", "certs/client.p12"),
	F("keys", "certs/client.pfx"),
	F("keys", "certs/bundle.pkcs12"),
	F("keys", "android/app/upload-keystore.jks"),
	F("keys", "conf/hadoop.jceks"),
	F("keys", "android/release.bks"),
	F("keys", ".android/debug.keystore"),
	F("keys", "putty/server.ppk"),
	F("keys", "signing/code.pvk"),
	F("keys", "src/MyLib/MyLib.snk"),
	F("keys", "build/target/product/security/platform.pk8"),
	F("keys", "release/signify.sec"),
	F("keys", "dnssec/Kexample.com.+013+12345.private"),
	F("keys", "ios/AuthKey_ABC123DEF4.p8"),
	F("keys", "ios/SubscriptionKey_XYZ987.p8"),
	F("keys", "push/apns-key.p8"),
	F("keys", "android/keystore.properties"),
	F("keys", "android/key.properties"),
	F("keys", "certs/server-key.pem"),
	F("keys", "certs/rsa_private_2048.pem"),
	F("keys", "etc/letsencrypt/live/example.com/privkey.pem"),
	F("keys", "myapp.2024-05-01.private-key.pem"),
	F("keys", ".chef/alice.pem"),
	F("keys", "etc/chef/client.pem"),
	F("keys", ".chef/acme-validator.pem"),
	D("keys", "etc/ssl/private"),
	D("keys", "etc/pki/tls/private"),
	F("keys", "etc/letsencrypt/accounts/acme-v02.api.letsencrypt.org/"
		  "directory/4f3e/private_key.json"),
	D("keys", "etc/letsencrypt/accounts"),
	F("keys", "backup/certbot/private_key.json"),
	F("keys", "traefik/acme.json"),
	D("keys", ".gnupg"),
	D("keys", "backup/private-keys-v1.d"),
	F("keys", "old-gnupg/secring.gpg"),
	F("keys", "backup/secret-key.asc"),
	F("keys", "keys/private.asc"),
	F("keys", "backup/secret-key-0xDEADBEEF.gpg"),
	F("keys", "backup/private_key_backup.gpg"),
	/* SSH */
	D("ssh", ".ssh"),
	F("ssh", ".ssh/id_ed25519.pub"),
	F("ssh", ".ssh/authorized_keys"),
	F("ssh", "home/dev/.ssh/config"),
	F("ssh", "id_rsa"),
	F("ssh", "keys/id_rsa_work"),
	F("ssh", "id_dsa"),
	F("ssh", "old-laptop/id_dsa.bak"),
	F("ssh", "id_ecdsa"),
	F("ssh", "id_ecdsa_sk"),
	F("ssh", "keys/id_ecdsa_2019"),
	F("ssh", "id_ed25519"),
	F("ssh", "backup/id_ed25519.old"),
	F("ssh", "id_xmss"),
	F("ssh", "docker/ssh_host_ed25519_key"),
	/* package registries and VCS */
	F("registries", ".npmrc"),
	F("registries", ".pypirc"),
	F("registries", ".gem/credentials"),
	F("registries", ".cargo/credentials.toml"),
	F("registries", ".composer/auth.json"),
	F("registries", ".config/composer/auth.json"),
	F("registries", ".nuget/NuGet/NuGet.Config"),
	F("registries", ".m2/settings.xml"),
	F("registries", ".m2/settings-security.xml"),
	F("registries", ".gradle/gradle.properties"),
	F("registries", ".config/pypoetry/auth.toml"),
	F("registries", ".config/dart/pub-credentials.json"),
	F("registries", ".config/dart/pub-tokens.json"),
	F("registries", ".sbt/1.0/credentials.sbt"),
	F("registries", ".sbt/.credentials"),
	F("registries", ".jfrog/jfrog-cli.conf"),
	F("registries", ".jfrog/jfrog-cli.conf.v5"),
	F("registries", ".jfrog/jfrog-cli.conf.v6"),
	F("registries", ".pause"),
	F("registries", ".luarocks/upload_config.lua"),
	F("registries", ".git-credentials"),
	F("registries", ".config/git/credentials"),
	F("registries", ".gitcookies"),
	F("registries", "_netrc"),
	F("registries", ".authinfo.gpg"),
	D("registries", ".subversion/auth"),
	F("registries", "actions-runner/.credentials"),
	F("registries", "actions-runner/.credentials_rsaparams"),
	D("registries", ".credentials"),
	/* cloud */
	D("cloud", ".aws"),
	F("cloud", ".aws/credentials"),
	D("cloud", ".azure"),
	D("cloud", ".config/gcloud"),
	D("cloud", "home/dev/.config/gcloud"),
	D("cloud", ".oci"),
	D("cloud", ".aliyun"),
	F("cloud", "application_default_credentials.json"),
	F("cloud", "gcp/my-project-service-account.json"),
	F("cloud", "service_account.json"),
	F("cloud", "serviceAccountKey.json"),
	F("cloud", "acme-firebase-adminsdk-x1y2z-3a4b5c6d7e.json"),
	F("cloud", "client_secret_1234-abc.apps.googleusercontent.com.json"),
	F("cloud", ".config/gspread/authorized_user.json"),
	F("cloud", "scripts/token.pickle"),
	F("cloud", "Downloads/alice_accessKeys.csv"),
	F("cloud", "Downloads/credentials.csv"),
	F("cloud", "Downloads/rootkey.csv"),
	F("cloud", "deploy/mysite.PublishSettings"),
	F("cloud", "credentials"),
	F("cloud", "credentials.json"),
	F("cloud", "credentials.yml"),
	F("cloud", "credentials.yaml"),
	F("cloud", "jenkins/credentials.xml"),
	F("cloud", ".s3cfg"),
	F("cloud", ".boto"),
	F("cloud", ".passwd-s3fs"),
	F("cloud", ".config/rclone/rclone.conf"),
	D("cloud", ".cloudflared"),
	F("cloud", ".pulumi/credentials.json"),
	F("cloud", ".config/doctl/config.yaml"),
	F("cloud", ".fly/config.yml"),
	F("cloud", ".config/solana/id.json"),
	F("cloud", ".config/hcloud/cli.toml"),
	F("cloud", ".linode-cli"),
	F("cloud", ".config/linode-cli"),
	F("cloud", ".config/scw/config.yaml"),
	F("cloud", ".vultr-cli.yaml"),
	F("cloud", ".bluemix/config.json"),
	F("cloud", "ovh.conf"),
	F("cloud", ".ovh.conf"),
	F("cloud", ".config/openstack/clouds.yaml"),
	F("cloud", "openstack/clouds.yml"),
	F("cloud", ".config/openstack/secure.yaml"),
	/* hosting and PaaS CLIs */
	F("paas", ".local/share/com.vercel.cli/auth.json"),
	F("paas", ".vercel/auth.json"),
	F("paas", ".config/netlify/config.json"),
	F("paas", ".netlify/config.json"),
	F("paas", ".config/configstore/firebase-tools.json"),
	F("paas", ".supabase/access-token"),
	F("paas", ".railway/config.json"),
	F("paas", ".wrangler/config/default.toml"),
	F("paas", ".config/.wrangler/config/default.toml"),
	F("paas", ".expo/state.json"),
	F("paas", ".doppler/.doppler.yaml"),
	/* containers and clusters */
	F("k8s", ".docker/config.json"),
	F("k8s", ".dockercfg"),
	F("k8s", ".config/containers/auth.json"),
	F("k8s", "run/user/1000/containers/auth.json"),
	F("k8s", ".config/helm/registry/config.json"),
	F("k8s", ".config/helm/repositories.yaml"),
	D("k8s", ".kube"),
	F("k8s", "kubeconfig"),
	F("k8s", "clusters/kubeconfig.yaml"),
	F("k8s", "clusters/kubeconfig.yml"),
	F("k8s", "clusters/prod.kubeconfig"),
	F("k8s", "etc/rancher/k3s/k3s.yaml"),
	F("k8s", "etc/rancher/rke2/rke2.yaml"),
	F("k8s", "etc/kubernetes/admin.conf"),
	F("k8s", "etc/kubernetes/super-admin.conf"),
	F("k8s", "var/lib/rancher/k3s/server/node-token"),
	F("k8s", ".talos/config"),
	F("k8s", ".rancher/cli2.json"),
	F("k8s", ".config/argocd/config"),
	F("k8s", ".argocd/config"),
	D("k8s", ".tsh"),
	/* CLI and service tokens */
	F("cli-tokens", ".config/gh/hosts.yml"),
	F("cli-tokens", ".config/hub"),
	F("cli-tokens", ".config/glab-cli/config.yml"),
	F("cli-tokens", ".config/tea/config.yml"),
	F("cli-tokens", ".vault-token"),
	F("cli-tokens", ".terraformrc"),
	F("cli-tokens", "AppData/Roaming/terraform.rc"),
	F("cli-tokens", ".terraform.d/credentials.tfrc.json"),
	F("cli-tokens", ".config/ngrok/ngrok.yml"),
	F("cli-tokens", ".erlang.cookie"),
	F("cli-tokens", ".wakatime.cfg"),
	F("cli-tokens", ".circleci/cli.yml"),
	F("cli-tokens", ".travis/config.yml"),
	F("cli-tokens", "etc/gitlab-runner/config.toml"),
	F("cli-tokens", ".sentryclirc"),
	F("cli-tokens", ".config/stripe/config.toml"),
	F("cli-tokens", ".twilio-cli/config.json"),
	F("cli-tokens", ".sfdx/admin@acme.com.json"),
	/* databases */
	F("databases", ".pgpass"),
	F("databases", ".my.cnf"),
	F("databases", ".mylogin.cnf"),
	F("databases", ".cassandra/cqlshrc"),
	F("databases", "oracle/wallet/cwallet.sso"),
	F("databases", "oracle/wallet/ewallet.p12"),
	F("databases", ".local/share/DBeaverData/workspace6/General/.dbeaver/"
		       "credentials-config.json"),
	/* mail, chat, remote access */
	F("mail-chat", ".msmtprc"),
	F("mail-chat", ".fetchmailrc"),
	F("mail-chat", ".smbcredentials"),
	F("mail-chat", ".vnc/passwd"),
	F("mail-chat", ".Xauthority"),
	F("mail-chat", ".ICEauthority"),
	F("mail-chat", ".config/filezilla/sitemanager.xml"),
	F("mail-chat", ".config/filezilla/recentservers.xml"),
	F("mail-chat", "PortableApps/WinSCP/WinSCP.ini"),
	F("mail-chat",
	  ".local/share/remmina/group_rdp_office_10-0-0-5.remmina"),
	D("mail-chat", ".local/share/TelegramDesktop/tdata"),
	F("mail-chat", ".config/Signal/config.json"),
	F("mail-chat", ".config/weechat/sec.conf"),
	/* password managers */
	D("password-managers", ".password-store"),
	F("password-managers", "Documents/Passwords.kdbx"),
	F("password-managers", "old/keepass.kdb"),
	F("password-managers", "export.1pux"),
	F("password-managers", "export.1pif"),
	D("password-managers", "Dropbox/1Password.agilekeychain"),
	D("password-managers", "Dropbox/1Password.opvault"),
	F("password-managers", "pwsafe.psafe3"),
	F("password-managers", "Library/Keychains/login.keychain"),
	F("password-managers", "Library/Keychains/login.keychain-db"),
	F("password-managers", ".local/share/kwalletd/kdewallet.kwl"),
	D("password-managers", ".local/share/keyrings"),
	F("password-managers", "public/.htpasswd"),
	D("password-managers", ".config/Bitwarden CLI"),
	F("password-managers", ".config/Bitwarden/data.json"),
	D("password-managers", ".config/op"),
	D("password-managers", ".op"),
	D("password-managers", ".lpass"),
	D("password-managers", ".local/share/lpass"),
	D("password-managers", ".local/share/gopass/stores"),
	F("password-managers", ".config/JetBrains/IntelliJIdea2024.1/c.pwd"),
	F("password-managers", ".config/JetBrains/IntelliJIdea2024.1/c.kdbx"),
	F("password-managers", "bitwarden_export_20240101.json"),
	/* wallets */
	F("wallets", ".bitcoin/wallets/main/wallet.dat"),
	D("wallets", ".config/Exodus/exodus.wallet"),
	F("wallets", "keystore/UTC--2017-01-01T00-00-00.000Z--0123abcd"),
	D("wallets", ".electrum"),
	D("wallets", ".near-credentials"),
	F("wallets", ".aptos/config.yaml"),
	D("wallets", ".foundry/keystores"),
	F("wallets", ".config/hardhat-nodejs/vars.json"),
	F("wallets", ".config/solana/id.json"),
	/* histories */
	F("histories", ".bash_history"),
	F("histories", ".zsh_history"),
	F("histories", ".zhistory"),
	F("histories", ".sh_history"),
	F("histories", ".history"),
	F("histories", ".irb_history"),
	F("histories", ".local/share/fish/fish_history"),
	F("histories", ".python_history"),
	F("histories", ".psql_history"),
	F("histories", ".mysql_history"),
	F("histories", ".node_repl_history"),
	F("histories", ".sqlite_history"),
	F("histories", ".rediscli_history"),
	F("histories", "project/.Rhistory"),
	F("histories", ".dbshell"),
	F("histories", ".mongodb/mongosh/mongosh_repl_history"),
	F("histories", ".julia/logs/repl_history.jl"),
	F("histories", ".ipython/profile_default/history.sqlite"),
	F("histories", ".histfile"),
	D("histories", ".zsh_sessions"),
	D("histories", ".bash_sessions"),
	F("histories", "AppData/Roaming/Microsoft/Windows/PowerShell/"
		       "PSReadLine/ConsoleHost_history.txt"),
	F("histories", ".local/share/atuin/history.db"),
	F("histories", ".lesshst"),
	F("histories", ".viminfo"),
	/* infrastructure state and secrets files */
	F("infra", "terraform.tfstate"),
	F("infra", "infra/terraform.tfstate.backup"),
	F("infra", "terraform.tfstate.1700000000.backup"),
	F("infra", "terraform.tfstate.bak"),
	F("infra", "terraform.tfstate.old"),
	D("infra", "terraform.tfstate.d"),
	F("infra", ".terraform/terraform.tfstate"),
	F("infra", "env/prod.tfvars"),
	F("infra", "terraform.tfvars.json"),
	F("infra", "packer/prod.pkrvars.hcl"),
	F("infra", "ansible/.vault_pass"),
	F("infra", ".vault-pass.txt"),
	F("infra", "ansible/.vault_password"),
	F("infra", "ansible/vault_pass.txt"),
	F("infra", "ansible/vault_password.txt"),
	F("infra", ".config/sops/age/keys.txt"),
	F("infra", "charts/app/secrets.yaml"),
	F("infra", "bin/Debug/secrets.json"),
	F("infra", ".streamlit/secrets.toml"),
	F("infra", "etc/shadow"),
	F("infra", "etc/shadow-"),
	F("infra", "rootfs/etc/gshadow"),
	F("infra", "rootfs/etc/gshadow-"),
	D("infra", ".config/borg/keys"),
};

/* Ordinary files, public halves, templates and look-alikes. */
static const struct name_case benign[] = {
	/* AI agents: project settings and instructions */
	F("ai-agents", ".claude/settings.json"),
	F("ai-agents", ".claude/settings.local.json"),
	F("ai-agents", ".claude/commands/review.md"),
	F("ai-agents", "CLAUDE.md"),
	F("ai-agents", "AGENTS.md"),
	F("ai-agents", ".mcp.json"),
	F("ai-agents", ".aider.conf.yml"),
	F("ai-agents", ".codex/config.toml"),
	F("ai-agents", ".gemini/settings.json"),
	F("ai-agents", ".cursor/rules/style.mdc"),
	F("ai-agents", ".continue/rules/python.md"),
	F("ai-agents", "src/auth.json.ts"),
	F("ai-agents", "docs/claude.json.md"),
	/* Kerberos, VPN, network */
	F("kerberos", "etc/krb5.conf"),
	F("kerberos", "docs/kerberos-setup.md"),
	F("vpn", "vpn/client.ovpn.example"),
	F("vpn", "etc/openvpn/README"),
	F("vpn", "wireguard/README.md"),
	F("vpn", "docs/wg0.conf.md"),
	F("vpn", "nginx/nginx.conf"),
	F("vpn", "deploy/kubernetes/nginx.conf"),
	F("vpn", "src/wgpu/lib.rs"),
	F("vpn", "tests/corpus/public-keys/wg-peer.pub"),
	/* data science */
	F("data-science", "notebooks/train.ipynb"),
	F("data-science", "data/train.csv"),
	F("data-science", ".dvc/config"),
	F("data-science", ".dvc/.gitignore"),
	F("data-science", "dvc.yaml"),
	F("data-science", "dbt_project.yml"),
	F("data-science", "models/tokenizer/tokenizer.json"),
	F("data-science", "src/tokenizer/token.py"),
	F("data-science", "wandb/settings"),
	F("data-science", "kaggle_utils.py"),
	/* browsers */
	D("browsers", "src/cookies"),
	F("browsers", "src/cookies/index.ts"),
	F("browsers", "lib/web/cookies/parse.js"),
	F("browsers", "docs/cookies.md"),
	F("browsers", "src/utils/localStorage.ts"),
	F("browsers", "public/cookie-banner.json"),
	/* dotenv and direnv */
	F("dotenv", ".env.example"),
	F("dotenv", ".env.sample"),
	F("dotenv", ".env.template"),
	F("dotenv", ".env.dist"),
	F("dotenv", ".env.defaults"),
	F("dotenv", ".env.schema"),
	F("dotenv", ".env.production.example"),
	F("dotenv", ".env.local.sample"),
	F("dotenv", ".env.ci.template"),
	F("dotenv", ".env.test.dist"),
	F("dotenv", "example.env"),
	F("dotenv", "sample.env"),
	F("dotenv", "template.env"),
	F("dotenv", "docker.example.env"),
	F("dotenv", "app.sample.env"),
	F("dotenv", "deploy.template.env"),
	D("dotenv", ".env"),
	F("dotenv", ".env/bin/activate"),
	F("dotenv", ".envrc.example"),
	F("dotenv", ".envrc.sample"),
	F("dotenv", ".envrc.template"),
	F("dotenv", ".envrc.dist"),
	D("dotenv", ".direnv"),
	F("dotenv", ".direnv/python-3.12/bin/python"),
	F("dotenv", ".flaskenv"),
	F("dotenv", "src/env.ts"),
	F("dotenv", "config/environment.rb"),
	/* CMS and web apps */
	F("cms", "wp-config-sample.php"),
	F("cms", "wp-config.php.sample"),
	F("cms", "wp-config.php.example"),
	F("cms", "wp-config.php.dist"),
	F("cms", "web/sites/default/default.settings.php"),
	F("cms", "web/sites/example.settings.local.php"),
	F("cms", "installation/configuration.php-dist"),
	F("cms", "src/DependencyInjection/Configuration.php"),
	F("cms", "app/config/parameters.yml.dist"),
	F("cms", "app/config/config.yml"),
	F("cms", "app/etc/config.php"),
	F("cms", "config/app.php"),
	F("cms", "config/database.yml.example"),
	F("cms", "config/database.yml"),
	F("cms", "config/credentials.yml.enc"),
	F("cms", "mysite/settings.py"),
	F("cms", "app/settings.php"),
	F("cms", "config/settings.py"),
	F("cms", "config/prod.exs"),
	F("cms", "config/runtime.exs"),
	F("cms", "api/openapi/components/parameters.yaml"),
	/* directories named for secrets: code, docs, build output */
	D("secret-dirs", "secrets"),
	D("secret-dirs", "src/secrets"),
	F("secret-dirs", "secrets/README.md"),
	F("secret-dirs", "secrets/.gitignore"),
	F("secret-dirs", "secrets/.gitkeep"),
	F("secret-dirs", "src/secrets/mod.rs"),
	F("secret-dirs", "internal/secrets/vault.go"),
	F("secret-dirs", "internal/secrets/vault_test.go"),
	F("secret-dirs", "app/secrets/__init__.py"),
	F("secret-dirs", "app/secrets/__init__.pyi"),
	F("secret-dirs", "app/secrets/__pycache__/__init__.cpython-312.pyc"),
	D("secret-dirs", "app/secrets/__pycache__"),
	F("secret-dirs", "src/secrets/index.ts"),
	F("secret-dirs", "src/secrets/SecretInput.tsx"),
	F("secret-dirs", "src/secrets/store.js"),
	F("secret-dirs", "src/secrets/loader.mjs"),
	F("secret-dirs", "src/secrets/loader.cjs"),
	F("secret-dirs", "src/secrets/Field.jsx"),
	F("secret-dirs", "dist/secrets/index.js.map"),
	F("secret-dirs", "lib/secrets/manager.rb"),
	F("secret-dirs", "src/Secrets/SecretsService.php"),
	F("secret-dirs", "src/main/java/com/acme/secrets/Vault.java"),
	F("secret-dirs", "target/classes/com/acme/secrets/Vault.class"),
	F("secret-dirs", "src/main/kotlin/acme/secrets/Vault.kt"),
	F("secret-dirs", "src/main/scala/acme/secrets/Vault.scala"),
	F("secret-dirs", "Sources/Secrets/Keychain.swift"),
	F("secret-dirs", "src/Secrets/SecretStore.cs"),
	F("secret-dirs", "src/secrets/vault.c"),
	F("secret-dirs", "src/secrets/vault.h"),
	F("secret-dirs", "src/secrets/vault.cc"),
	F("secret-dirs", "src/secrets/vault.cpp"),
	F("secret-dirs", "src/secrets/vault.hpp"),
	F("secret-dirs", "build/secrets/vault.o"),
	F("secret-dirs", "lib/my_app/secrets/store.ex"),
	F("secret-dirs", "test/secrets/store_test.exs"),
	F("secret-dirs", "lib/secrets/secret_box.dart"),
	F("secret-dirs", "lua/secrets/init.lua"),
	F("secret-dirs", "nix/secrets/secrets.nix"),
	F("secret-dirs", "docs/secrets/index.rst"),
	F("secret-dirs", "docs/secret/rotation.adoc"),
	F("secret-dirs", "creds/README"),
	F("secret-dirs", "src/secrets/Makefile"),
	F("secret-dirs", "src/secrets/CMakeLists.txt"),
	F("secret-dirs", "pkg/secrets/BUILD"),
	F("secret-dirs", "pkg/secrets/BUILD.bazel"),
	F("secret-dirs", "crates/secrets/Cargo.toml"),
	F("secret-dirs", "tools/secrets/go.mod"),
	F("secret-dirs", "packages/secrets/package.json"),
	F("secret-dirs", "packages/secrets/tsconfig.json"),
	F("secret-dirs", "libs/secrets/pyproject.toml"),
	F("secret-dirs", ".git/refs/heads/secrets/rotate-keys"),
	F("secret-dirs", ".git/logs/refs/heads/secrets/rotate-keys"),
	F("secret-dirs", "docs/secrets.md"),
	F("secret-dirs", "src/secrets.rs"),
	F("secret-dirs", "src/secret_manager.py"),
	D("secret-dirs", "src/credentials"),
	F("secret-dirs", "src/credentials/store.go"),
	F("secret-dirs", "secretsmanager/api.go"),
	F("secret-dirs", "secretsmanager/testdata/request.json"),
	/* keys: public halves, certificates, source about keys */
	F("keys", "deploy_rsa.pub"),
	F("keys", "keys/github_ed25519.pub"),
	F("keys", "deploy_key.pub"),
	F("keys", ".travis/deploy_key.enc"),
	F("keys", "src/crypto/private_key.rs"),
	F("keys", "src/private_key.py"),
	F("keys", ".android/adbkey.pub"),
	F("keys", "tls/server.crt"),
	F("keys", "tls/ca.cer"),
	F("keys", "tls/server.csr"),
	F("keys", "tls/ca.der"),
	F("keys", "tls/chain.p7b"),
	F("keys", "tls/cert.pem"),
	F("keys", "tls/fullchain.pem"),
	F("keys", "tls/cacert.pem"),
	F("keys", "tls/server.pem"),
	F("keys", "keys/public_key.pem"),
	F("keys", "keys/pubkey.pem"),
	F("keys", "build/target/product/security/platform.x509.pem"),
	F("keys", "release/signify.pub"),
	F("keys", "dnssec/Kexample.com.+013+12345.ds"),
	F("keys", "KEYS.asc"),
	F("keys", "dist/app-1.2.tar.gz.asc"),
	F("keys", "keys/signing-key.asc"),
	F("keys", "backup/documents.tar.gpg"),
	F("keys", "pubring.kbx"),
	F("keys", "cart/game.p8"),
	F("keys", "docs/keys.md"),
	F("keys", "src/keys.rs"),
	F("keys", "src/key.go"),
	D("keys", "src/main/java/com/acme/keystore"),
	F("keys", "jwks.json"),
	F("keys", "etc/ssl/certs/ca-certificates.crt"),
	D("keys", "src/ssl"),
	/* SSH */
	F("ssh", "id_rsa.pub"),
	F("ssh", "keys/id_ed25519.pub"),
	F("ssh", "id_rsa-cert.pub"),
	F("ssh", "etc/ssh/ssh_host_ed25519_key.pub"),
	F("ssh", "etc/ssh/sshd_config"),
	F("ssh", "tests/fixtures/known_hosts"),
	F("ssh", "ansible/files/authorized_keys"),
	F("ssh", "docs/ssh.md"),
	F("ssh", "src/id_generator.ts"),
	/* registries and VCS */
	F("registries", ".yarnrc.yml"),
	F("registries", ".npmignore"),
	F("registries", "package-lock.json"),
	F("registries", "Cargo.lock"),
	F("registries", "pom.xml"),
	F("registries", "gradle.properties"),
	F("registries", "settings.gradle.kts"),
	F("registries", "NuGet.Config"),
	F("registries", "composer.json"),
	F("registries", "auth.json"),
	F("registries", ".git/config"),
	F("registries", ".gitignore"),
	F("registries", ".gitattributes"),
	F("registries", ".gitmodules"),
	F("registries", ".git/HEAD"),
	/* cloud and PaaS */
	F("cloud", "google-services.json"),
	F("cloud", "GoogleService-Info.plist"),
	F("cloud", "firebase.json"),
	F("cloud", ".firebaserc"),
	F("cloud", "vercel.json"),
	F("cloud", ".vercel/project.json"),
	F("cloud", "netlify.toml"),
	F("cloud", "netlify/functions/hello.ts"),
	F("cloud", "wrangler.toml"),
	F("cloud", "fly.toml"),
	F("cloud", "app.yaml"),
	F("cloud", "serverless.yml"),
	F("cloud", "src/auth/credentials.go"),
	F("cloud", "credentials.py"),
	F("cloud", "src/service_account.py"),
	F("cloud", "docs/service-accounts.md"),
	F("cloud", "supabase/config.toml"),
	F("cloud", "Pulumi.yaml"),
	F("cloud", "Pulumi.prod.yaml"),
	/* containers and clusters */
	F("k8s", "Dockerfile"),
	F("k8s", "docker-compose.yml"),
	F("k8s", ".dockerignore"),
	F("k8s", "k8s/deployment.yaml"),
	F("k8s", "charts/app/values.yaml"),
	F("k8s", "charts/app/templates/secret.yaml"),
	D("k8s", "pkg/kubeconfig"),
	F("k8s", "pkg/kubeconfig/kubeconfig.go"),
	F("k8s", "deploy/kustomization.yaml"),
	F("k8s", "helm/Chart.yaml"),
	/* infrastructure */
	D("infra", ".terraform"),
	F("infra", ".terraform.lock.hcl"),
	F("infra", "main.tf"),
	F("infra", "terraform.tfvars.example"),
	F("infra", "variables.tf"),
	F("infra", "packer/build.pkr.hcl"),
	F("infra", ".sops.yaml"),
	F("infra", "secrets.enc.yaml"),
	F("infra", "secrets.yaml.enc"),
	F("infra", "ansible/group_vars/all/vault.yml"),
	F("infra", "etc/passwd"),
	F("infra", "etc/group"),
	/* histories and shells */
	F("histories", "history.md"),
	F("histories", "src/history.ts"),
	F("histories", "CHANGELOG.md"),
	F("histories", ".bashrc"),
	F("histories", ".zshrc"),
	F("histories", ".profile"),
	F("histories", ".vimrc"),
	F("histories", ".muttrc"),
	F("histories", ".gitconfig"),
	/* password managers, wallets and such, by look-alike names */
	F("password-managers", "src/password_strength.ts"),
	F("password-managers", "docs/passwords.md"),
	F("wallets", "src/wallet.ts"),
	F("wallets", "contracts/Wallet.sol"),
	F("wallets", "src/components/WalletButton.tsx"),
	/* everyday project files */
	F("project", "README.md"),
	F("project", "Makefile"),
	F("project", "package.json"),
	F("project", "tsconfig.json"),
	F("project", "src/index.ts"),
	F("project", "src/main.c"),
	F("project", "src/components/App.tsx"),
	F("project", ".github/workflows/ci.yml"),
	F("project", ".vscode/settings.json"),
	F("project", "tests/unit/test_policy.c"),
	F("project", "assets/logo.png"),
	F("project", "go.sum"),
	F("project", "requirements.txt"),
	F("project", "config/config.yaml"),
	F("project", "config/production.json"),
};

/* The list under test: the compiled-in one, or GFS_DENY_LIST's. */
static int load_policy(struct gfs_policy **out, const char *file)
{
	struct gfs_policy_opts opts = {.builtin = true};
	char line[1024];
	unsigned n = 0;
	FILE *f;
	int rc;

	if (!file)
		return gfs_policy_new(out, &opts);
	opts.builtin = false;
	rc = gfs_policy_new(out, &opts);
	if (rc)
		return rc;
	f = fopen(file, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char origin[32];

		line[strcspn(line, "\r\n")] = '\0';
		snprintf(origin, sizeof(origin), "builtin:%u", ++n);
		rc = gfs_policy_add_pattern(*out, line, origin);
		if (rc)
			break;
	}
	fclose(f);
	return rc;
}

struct family_score {
	const char *family;
	unsigned hid, sensitive, shown, benign;
};

static struct family_score *score_of(struct family_score *s, size_t *n,
				     const char *family)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(s[i].family, family) == 0)
			return &s[i];
	s[*n].family = family;
	return &s[(*n)++];
}

/* Scores the list; returns the number of wrong verdicts. */
static unsigned score(const struct gfs_policy *p, bool quiet)
{
	enum { NS = sizeof(sensitive) / sizeof(sensitive[0]) };
	enum { NB = sizeof(benign) / sizeof(benign[0]) };
	static struct family_score fs[64];
	unsigned missed = 0, wrong = 0;
	const char *rule;
	size_t nf = 0, i;

	for (i = 0; i < NS; i++) {
		struct family_score *f = score_of(fs, &nf, sensitive[i].family);

		f->sensitive++;
		if (gfs_policy_hides_tree(p, sensitive[i].path,
					  sensitive[i].is_dir, NULL)) {
			f->hid++;
			continue;
		}
		missed++;
		if (!quiet)
			fprintf(stderr, "missed (%s): %s\n",
				sensitive[i].family, sensitive[i].path);
	}
	for (i = 0; i < NB; i++) {
		struct family_score *f = score_of(fs, &nf, benign[i].family);

		f->benign++;
		if (!gfs_policy_hides_tree(p, benign[i].path, benign[i].is_dir,
					   &rule)) {
			f->shown++;
			continue;
		}
		wrong++;
		if (!quiet)
			fprintf(stderr, "wrongly hidden (%s, %s): %s\n",
				benign[i].family, rule, benign[i].path);
	}
	printf("score: %u of %u sensitive paths hidden (%u missed), "
	       "%u of %u benign paths visible (%u wrongly hidden)\n",
	       (unsigned)NS - missed, (unsigned)NS, missed,
	       (unsigned)NB - wrong, (unsigned)NB, wrong);
	for (i = 0; i < nf; i++)
		printf("  %-18s sensitive %3u/%-3u benign %3u/%-3u\n",
		       fs[i].family, fs[i].hid, fs[i].sensitive, fs[i].shown,
		       fs[i].benign);
	return missed + wrong;
}

/*
 * Every rule line of the compiled-in list decides at least one path of
 * the tables (a "!" line: some benign path is visible because of it).
 */
static void check_coverage(void)
{
	enum { NS = sizeof(sensitive) / sizeof(sensitive[0]) };
	enum { NB = sizeof(benign) / sizeof(benign[0]) };
	const char *s = gfs_builtin_deny_rules, *rule;
	static bool used[4096];
	struct gfs_ignore *ig;
	unsigned line = 0, rules = 0, unused = 0;
	size_t i;

	CHECK(gfs_ignore_new(&ig, GFS_IGNORE_CASEFOLD) == 0);
	CHECK(gfs_ignore_add_text(ig, gfs_builtin_deny_rules,
				  gfs_builtin_deny_rules_len, "builtin",
				  NULL) == 0);
	for (i = 0; i < NS + NB; i++) {
		const struct name_case *c =
			i < NS ? &sensitive[i] : &benign[i - NS];

		rule = NULL;
		if (gfs_ignore_match_tree(ig, c->path, c->is_dir, &rule) !=
			    GFS_IGNORE_NONE &&
		    rule) {
			unsigned n = (unsigned)atoi(rule + strlen("builtin:"));

			if (n < sizeof(used) / sizeof(used[0]))
				used[n] = true;
		}
	}
	gfs_ignore_free(ig);
	while (*s) {
		size_t len = strcspn(s, "\n");

		line++;
		if (len && s[0] != '#') {
			rules++;
			if (line >= sizeof(used) / sizeof(used[0]) ||
			    !used[line]) {
				fprintf(stderr,
					"%s: builtin:%u \"%.*s\" decides no "
					"path of the tables\n",
					__FILE__, line, (int)len, s);
				unused++;
			}
		}
		s += len;
		if (*s)
			s++;
	}
	printf("coverage: %u of the %u rules decide a path here\n",
	       rules - unused, rules);
	CHECK(unused == 0);
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_nsec - a->tv_nsec);
}

/*
 * Not asserted: the cost of one gfs_policy_hides call, as the mount makes
 * it on every lookup, over 100k paths: the tables' paths below a range of
 * ordinary parent directories. Best of several batches of thread CPU time.
 */
static void benchmark(const struct gfs_policy *p, const char *what)
{
	enum { NS = sizeof(sensitive) / sizeof(sensitive[0]) };
	enum { NB = sizeof(benign) / sizeof(benign[0]) };
	enum { NPATHS = 100000, BATCHES = 7 };
	static const char *const dirs[] = {
		"",
		"src/",
		"home/alice/",
		"work/acme/api/",
		"node_modules/@babel/core/lib/",
		"vendor/github.com/x/y/internal/",
		"projects/shop/frontend/src/components/",
		"usr/lib/python3/dist-packages/pip/_vendor/",
	};
	enum { NDIRS = sizeof(dirs) / sizeof(dirs[0]) };
	static char paths[NPATHS][192];
	struct timespec t0, t1;
	double best = 1e300, ns;
	unsigned long hidden = 0;
	size_t i, b;

	for (i = 0; i < NPATHS; i++) {
		size_t k = i % (NS + NB);
		const struct name_case *c =
			k < NS ? &sensitive[k] : &benign[k - NS];

		snprintf(paths[i], sizeof(paths[i]), "%s%s",
			 dirs[(i / (NS + NB)) % NDIRS], c->path);
	}
	for (b = 0; b < BATCHES; b++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		for (i = 0; i < NPATHS; i++)
			hidden += gfs_policy_hides(p, paths[i], false, NULL);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		ns = elapsed_ns(&t0, &t1) / NPATHS;
		if (ns < best)
			best = ns;
	}
	printf("bench: gfs_policy_hides over %d paths, %s: %.0f ns/call "
	       "(best of %d batches, thread CPU time)\n",
	       NPATHS, what, best, BATCHES);
	CHECK(hidden > 0);
}

int main(void)
{
	const char *file = getenv("GFS_DENY_LIST");
	struct gfs_policy *p;
	unsigned wrong;

	if (load_policy(&p, file)) {
		fprintf(stderr, "cannot load %s\n", file ? file : "builtin");
		return 1;
	}
	printf("list: %s; %zu sensitive and %zu benign paths\n",
	       file ? file : "compiled-in conf/deny.builtin",
	       sizeof(sensitive) / sizeof(sensitive[0]),
	       sizeof(benign) / sizeof(benign[0]));
	wrong = score(p, false);
	benchmark(p, file ? file : "the built-in list");
	gfs_policy_free(p);
	if (file)
		return 0; /* a score of another list, not a test */
	CHECK(wrong == 0);
	check_coverage();
	if (failures) {
		fprintf(stderr, "test_builtin_names: %d failure(s)\n",
			failures);
		return 1;
	}
	printf("test_builtin_names: all passed\n");
	return 0;
}
