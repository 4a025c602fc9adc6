#!/bin/bash
# P1: the built-in name list hides the credential families it used to
# miss (AI agent CLIs' tokens, Kerberos, VPN configs, model-hub tokens,
# browser stores, direnv, CMS configs, secrets folders, private keys under
# other names) on a real mount of a folder laid out like a home directory
# with a project in it, while their public halves, templates and
# look-alikes stay visible.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/.claude" "$R/.codex" "$R/.gemini" "$R/.config/github-copilot" \
	"$R/.cache/huggingface" "$R/.kaggle" "$R/.config/chromium/Default" \
	"$R/etc/wireguard" "$R/p/src/secrets" "$R/p/src/cookies" \
	"$R/p/secrets" "$R/p/vpn" "$R/p/tls" "$R/p/.direnv" \
	"$R/p/src/DependencyInjection"
put() { printf '%s\n' "$2" >"$R/$1"; }
# Credentials: every one of these must not exist for the agent.
hidden=(
	.claude/.credentials.json .claude.json .codex/auth.json
	.gemini/oauth_creds.json .config/github-copilot/hosts.json
	.cache/huggingface/token .kaggle/kaggle.json
	.config/chromium/Default/Cookies ".config/chromium/Default/Login Data"
	".config/chromium/Local State" etc/krb5.keytab etc/wireguard/wg0.conf
	p/.envrc p/wp-config.php p/secrets/db_password.txt p/secrets/api_token
	p/src/secrets/fixture.json p/vpn/office.ovpn p/deploy_rsa
	p/tls/server.key
)
for f in "${hidden[@]}"; do
	put "$f" "not a real secret: $f"
done
# Their visible neighbours: settings, public halves, templates, code.
visible=(
	.claude/settings.json .codex/config.toml .gemini/settings.json
	.config/chromium/Default/Preferences etc/krb5.conf p/.envrc.example
	p/.direnv/CACHEDIR.TAG p/wp-config-sample.php
	p/src/DependencyInjection/Configuration.php p/secrets/README.md
	p/src/secrets/mod.rs p/src/cookies/index.ts p/vpn/office.ovpn.example
	p/deploy_rsa.pub p/tls/server.crt
)
for f in "${visible[@]}"; do
	put "$f" "visible: $f"
done
check "mount in place" gfs_mount "$R" "$R"

for f in "${hidden[@]}"; do
	check_eq "$f is ENOENT" ENOENT "$(probe stat "$R/$f")"
	check_eq "$f cannot be opened" ENOENT "$(probe open "$R/$f" r)"
done
for f in "${visible[@]}"; do
	check_eq "$f reads" "visible: $f" "$(cat "$R/$f")"
done

# Listings leave the hidden names out and keep the rest.
listing() { (cd "$R/$1" && ls -A | tr '\n' ' ' | sed 's/ $//'); }
check_eq "ls -A of the root" ".cache .claude .codex .config .gemini .kaggle etc p" \
	"$(listing .)"
check_eq "ls -A .claude" "settings.json" "$(listing .claude)"
check_eq "ls -A .codex" "config.toml" "$(listing .codex)"
check_eq "ls -A .gemini" "settings.json" "$(listing .gemini)"
check_eq "ls -A .config/github-copilot" "" "$(listing .config/github-copilot)"
check_eq "ls -A .cache/huggingface" "" "$(listing .cache/huggingface)"
check_eq "ls -A .config/chromium" "Default" "$(listing .config/chromium)"
check_eq "ls -A .config/chromium/Default" "Preferences" \
	"$(listing .config/chromium/Default)"
check_eq "ls -A etc" "krb5.conf wireguard" "$(listing etc)"
check_eq "ls -A etc/wireguard" "" "$(listing etc/wireguard)"
check_eq "ls -A p" ".direnv .envrc.example deploy_rsa.pub secrets src tls vpn wp-config-sample.php" \
	"$(listing p)"
check_eq "ls -A p/secrets" "README.md" "$(listing p/secrets)"
check_eq "ls -A p/src" "DependencyInjection cookies secrets" "$(listing p/src)"
check_eq "ls -A p/src/secrets" "mod.rs" "$(listing p/src/secrets)"
check_eq "ls -A p/tls" "server.crt" "$(listing p/tls)"
check_eq "ls -A p/vpn" "office.ovpn.example" "$(listing p/vpn)"
check_fails "grep -r finds no secret" grep -rq 'not a real secret' "$R"

# Creating such a name through the mount is refused, in a secrets folder
# too; code in it can still be written.
check_eq "create .codex/auth.json" EACCES "$(probe open "$R/.codex/auth.json" wc)"
check_eq "create wg1.conf" EACCES "$(probe open "$R/etc/wireguard/wg1.conf" wc)"
check_eq "create secrets/token" EACCES "$(probe open "$R/p/secrets/token" wc)"
check_eq "create secrets/notes.md" ok "$(probe open "$R/p/secrets/notes.md" wc)"
check_eq "rename onto .envrc" EACCES \
	"$(probe rename "$R/p/.envrc.example" "$R/p/.envrc")"

check "umount" gfs_umount "$R"
check "the audit trail names the built-in rule of a refused lookup" python3 -c '
import json, sys
want = {}
for n, line in enumerate(open(sys.argv[2]), 1):
    want[line.rstrip("\n")] = "builtin:%d" % n
hits = [json.loads(l) for l in open(sys.argv[1], "rb")]
for path, rule in ((".codex/auth.json", want["**/.codex/auth.json"]),
                   ("p/.envrc", want[".envrc"]),
                   ("p/secrets/api_token", want["**/secrets/**"])):
    assert any(h["op"] == "lookup" and h["path"] == path and
               h["result"] == "ENOENT" and h["rule"] == rule
               for h in hits), (path, rule)
' "$(audit_file)" "$GFS_SOURCE_DIR/conf/deny.builtin"
test_done
