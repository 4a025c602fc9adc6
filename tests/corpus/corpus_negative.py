"""Negative corpus files: look-alikes that must stay readable."""
import hashlib

from fakes import *  # noqa: F401,F403


def sha(data, algo="sha256"):
    return hashlib.new(algo, data).hexdigest()


def sri():
    return "sha512-" + base64.b64encode(R.randbytes(64)).decode()


def placeholders():
    w("negative/placeholders/aws-docs.md",
      "# Configure the CLI\n\n```\n$ aws configure\n"
      "AWS Access Key ID [None]: AKIAIOSFODNN7EXAMPLE\n"
      "AWS Secret Access Key [None]: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
      "Default region name [None]: us-west-2\n```\n")
    w("negative/placeholders/.env.example",
      "# copy to .env and fill in\nOPENAI_API_KEY=sk-...\n"
      "ANTHROPIC_API_KEY=your-anthropic-key-here\nDATABASE_URL=postgres://"
      "user:password@localhost:5432/app\nSECRET_KEY=changeme\n"
      "STRIPE_SECRET_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx\n")
    w("negative/placeholders/config.sample.yaml",
      "database:\n  host: localhost\n  user: app\n  password: <your-password>\n"
      "api:\n  token: YOUR_API_TOKEN\n  secret: \"********\"\n")
    w("negative/placeholders/README.md",
      "## Setup\n\nCreate a token at https://github.com/settings/tokens and "
      "export it:\n\n```sh\nexport GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxx\n```\n\nThen run `make deploy`. Never commit your token.\n")
    w("negative/placeholders/settings.example.py",
      "SECRET_KEY = \"replace-me-with-a-long-random-string\"\n"
      "DATABASE_PASSWORD = \"\"\nAPI_KEY = None\n")
    w("negative/placeholders/docker-compose.yml",
      "services:\n  db:\n    image: postgres:16\n    environment:\n"
      "      POSTGRES_USER: postgres\n      POSTGRES_PASSWORD: postgres\n"
      "  queue:\n    image: rabbitmq:3\n    environment:\n"
      "      RABBITMQ_DEFAULT_PASS: guest\n")
    w("negative/placeholders/redacted.log",
      "2026-11-24T10:00:01Z auth ok user=ana token=[REDACTED]\n"
      "2026-11-24T10:00:02Z auth ok user=bo password=***\n")
    w("negative/placeholders/connection.md",
      "Connection strings look like `mongodb+srv://<username>:<password>@"
      "cluster0.example.mongodb.net/` or `redis://:<password>@host:6379`.\n")
    w("negative/placeholders/jwt-io.md",
      "A JWT looks like this (from jwt.io):\n\n"
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZ"
      "SI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36P"
      "Ok6yJV_adQssw5c\n")
    w("negative/placeholders/openai-docs.md",
      "Set `OPENAI_API_KEY` to a key that starts with `sk-proj-`; the client "
      "reads it from the environment:\n\n```python\nclient = OpenAI()\n```\n")
    w("negative/placeholders/pem-docs.md",
      "A private key file starts with `-----BEGIN PRIVATE KEY-----` and ends "
      "with `-----END PRIVATE KEY-----`. Keep it out of the repository.\n")
    w("negative/placeholders/truncated-key.txt",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n"
      "...your key here...\n-----END RSA PRIVATE KEY-----\n")
    w("negative/placeholders/wp-config-sample.php",
      "<?php\ndefine( 'DB_NAME', 'database_name_here' );\n"
      "define( 'DB_USER', 'username_here' );\n"
      "define( 'DB_PASSWORD', 'password_here' );\n"
      "define( 'AUTH_KEY', 'put your unique phrase here' );\n")


def templates():
    w("negative/templates/ci.yml",
      "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
      "    env:\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n"
      "      AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n"
      "    steps:\n      - uses: actions/checkout@v4\n"
      "      - run: echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" "
      "> .npmrc\n")
    w("negative/templates/secret.yaml.j2",
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ name }}\n"
      "stringData:\n  password: {{ db_password }}\n  token: \"{{ api_token }}\"\n")
    w("negative/templates/helm-secret.yaml",
      "apiVersion: v1\nkind: Secret\nmetadata:\n"
      "  name: {{ include \"app.fullname\" . }}\ntype: Opaque\ndata:\n"
      "  password: {{ .Values.db.password | b64enc | quote }}\n")
    w("negative/templates/compose.yml",
      "services:\n  app:\n    environment:\n"
      "      DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app\n"
      "      API_KEY: ${API_KEY:?set API_KEY}\n")
    w("negative/templates/settings.py",
      "import os\n\nSECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n"
      "DB_PASSWORD = os.getenv(\"DB_PASSWORD\")\n"
      "API_TOKEN = config.get(\"api\", \"token\")\n")
    w("negative/templates/config.js",
      "module.exports = {\n  apiKey: process.env.API_KEY,\n"
      "  password: process.env.DB_PASSWORD || '',\n"
      "  secret: getSecret('session'),\n};\n")
    w("negative/templates/terraform.tf",
      "variable \"db_password\" {\n  type      = string\n  sensitive = true\n}\n"
      "\nresource \"aws_db_instance\" \"main\" {\n"
      "  password = var.db_password\n}\n")
    w("negative/templates/ansible.yml",
      "- hosts: db\n  vars:\n    mysql_root_password: \"{{ vault_mysql_root_password }}\"\n"
      "  tasks:\n    - name: set root password\n"
      "      mysql_user: name=root password={{ mysql_root_password }}\n")
    w("negative/templates/application.yml",
      "spring:\n  datasource:\n    url: jdbc:postgresql://db:5432/app\n"
      "    password: ${SPRING_DATASOURCE_PASSWORD}\n")
    w("negative/templates/deploy.sh",
      "#!/bin/bash\nset -euo pipefail\n: \"${DEPLOY_TOKEN:?}\"\n"
      "curl -H \"Authorization: Bearer $DEPLOY_TOKEN\" https://api.acme.dev/"
      "deploy\ndocker login -u ci -p \"$REGISTRY_PASSWORD\" registry.acme.dev\n")
    w("negative/templates/erb.yml",
      "production:\n  password: <%= ENV['DB_PASSWORD'] %>\n"
      "  secret_key_base: <%= Rails.application.credentials.secret_key_base %>\n")
    w("negative/templates/vault-agent.hcl",
      "template {\n  contents = \"{{ with secret \\\"kv/db\\\" }}{{ .Data.password }}"
      "{{ end }}\"\n}\n")


def public_keys():
    _, pub = ssh_key("ed25519")
    _, pub2 = ssh_key("rsa")
    w("negative/public-keys/authorized_keys", pub + pub2)
    w("negative/public-keys/id_ed25519.pub", pub)
    w("negative/public-keys/release-signing.asc", pgp_armour("PUBLIC"))
    w("negative/public-keys/jwks.json", json.dumps({"keys": [{
        "kty": "RSA", "kid": hexs(16), "use": "sig", "alg": "RS256",
        "n": b64url(256), "e": "AQAB"}]}, indent=2) + "\n")
    key = os.path.join(TMP, "pub.pem")
    openssl("genpkey", "-algorithm", "RSA", "-out", key)
    w("negative/public-keys/public.pem", openssl("pkey", "-in", key,
                                                 "-pubout"))
    w("negative/public-keys/wg-peer.conf",
      "[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.0/24\n"
      "Endpoint = vpn.acme.dev:51820\n" % wireguard_key())
    w("negative/public-keys/known_hosts",
      "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsa"
      "bgH5C9okWi0dh2l9GKJl\n" + "gitlab.com " + pub2.split(" dev@")[0] + "\n")
    w("negative/public-keys/age-recipients.txt",
      "# team recipients\nage1%s\nage1%s\n" % (pick(BECH32, 58),
                                               pick(BECH32, 58)))


def certificates():
    w("negative/certificates/ca.crt", certificate())
    w("negative/certificates/chain.pem", certificate() + certificate())
    w("negative/certificates/kubeconfig-ca.yaml",
      "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
      "    certificate-authority-data: %s\n    server: https://10.0.0.1:6443\n"
      "  name: dev\ncontexts:\n- context:\n    cluster: dev\n    user: dev\n"
      "  name: dev\nusers:\n- name: dev\n  user:\n    exec:\n"
      "      command: aws\n      args: [eks, get-token, --cluster-name, dev]\n"
      % base64.b64encode(certificate().encode()).decode())
    w("negative/certificates/nginx.conf",
      "server {\n  listen 443 ssl;\n  ssl_certificate /etc/ssl/acme.crt;\n"
      "  ssl_certificate_key /etc/ssl/private/acme.key;\n"
      "  ssl_password_file /etc/nginx/ssl_passwords;\n}\n")


def hashes():
    w("negative/hashes/SHA256SUMS", "".join(
        "%s  acme-%s-linux-%s.tar.gz\n" % (sha(R.randbytes(8)), v, a)
        for v in ("1.4.0", "1.4.1") for a in ("amd64", "arm64")))
    w("negative/hashes/git-log.txt", "".join(
        "commit %s\nAuthor: Dev <dev@acme.dev>\n\n    fix token refresh\n\n"
        % sha(R.randbytes(8), "sha1") for _ in range(5)))
    w("negative/hashes/htpasswd",
      "admin:$apr1$%s$%s\n" % (alnum(8), pick(ALNUM + "./", 22)))
    w("negative/hashes/users.sql",
      "INSERT INTO users (email, password_hash) VALUES\n"
      "('ana@acme.dev', '$2b$12$%s'),\n('bo@acme.dev', '$argon2id$v=19$m=65536,"
      "t=3,p=4$%s$%s');\n" % (pick(ALNUM + "./", 53), b64(16).rstrip("="),
                             b64(32).rstrip("=")))
    w("negative/hashes/checksums.json", json.dumps({
        "files": {"app.js": {"sha256": sha(R.randbytes(8)),
                             "md5": hashlib.md5(R.randbytes(8)).hexdigest()}},
        "token_hash_algorithm": "sha256"}, indent=2) + "\n")
    w("negative/hashes/docker-image.txt",
      "FROM node:20@sha256:%s\nRUN npm ci\n" % sha(R.randbytes(8)))
    w("negative/hashes/go.sum", "".join(
        "github.com/acme/%s v1.%d.0 h1:%s\ngithub.com/acme/%s v1.%d.0/go.mod "
        "h1:%s\n" % (n, i, b64(32), n, i, b64(32))
        for i, n in enumerate(["auth", "token", "secrets", "keyring"])))
    w("negative/hashes/sri.html",
      "<script src=\"https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/"
      "bootstrap.bundle.min.js\" integrity=\"sha384-%s\" "
      "crossorigin=\"anonymous\"></script>\n" % b64(48))


def lockfiles():
    pkgs = ["js-tokens", "jsonwebtoken", "secret-stack", "password-prompt",
            "@aws-sdk/credential-providers", "keygrip", "api-key-auth"]
    lock = {"name": "acme", "lockfileVersion": 3, "requires": True,
            "packages": {}}
    for p in pkgs:
        lock["packages"]["node_modules/" + p] = {
            "version": "%d.%d.%d" % (R.randint(1, 9), R.randint(0, 20),
                                     R.randint(0, 9)),
            "resolved": "https://registry.npmjs.org/%s/-/%s-1.0.0.tgz"
            % (p, p.split("/")[-1]), "integrity": sri()}
    w("negative/lockfiles/package-lock.json", json.dumps(lock, indent=2) +
      "\n")
    w("negative/lockfiles/yarn.lock", "".join(
        "%s@^1.0.0:\n  version \"1.0.%d\"\n  resolved \"https://registry."
        "yarnpkg.com/%s/-/%s-1.0.%d.tgz#%s\"\n  integrity %s\n\n"
        % (p, i, p, p.split("/")[-1], i, sha(R.randbytes(4), "sha1"), sri())
        for i, p in enumerate(pkgs)))
    w("negative/lockfiles/Cargo.lock", "".join(
        "[[package]]\nname = \"%s\"\nversion = \"0.%d.0\"\nsource = "
        "\"registry+https://github.com/rust-lang/crates.io-index\"\n"
        "checksum = \"%s\"\n\n" % (n, i, sha(R.randbytes(8)))
        for i, n in enumerate(["secrecy", "jsonwebtoken", "ring", "keyring"])))
    w("negative/lockfiles/poetry.lock", "".join(
        "[[package]]\nname = \"%s\"\nversion = \"2.%d.0\"\nfiles = [\n"
        "    {file = \"%s-2.%d.0.tar.gz\", hash = \"sha256:%s\"},\n]\n\n"
        % (n, i, n, i, sha(R.randbytes(8)))
        for i, n in enumerate(["pyjwt", "keyring", "secretstorage"])))
    w("negative/lockfiles/pnpm-lock.yaml",
      "lockfileVersion: '9.0'\npackages:\n  jsonwebtoken@9.0.2:\n"
      "    resolution: {integrity: %s}\n  js-tokens@4.0.0:\n"
      "    resolution: {integrity: %s}\n" % (sri(), sri()))
    w("negative/lockfiles/Gemfile.lock",
      "GEM\n  remote: https://rubygems.org/\n  specs:\n    bcrypt (3.1.20)\n"
      "    jwt (2.9.3)\n      base64\n\nCHECKSUMS\n  jwt (2.9.3) sha256=%s\n"
      % sha(R.randbytes(8)))


def uuids():
    ids = [str(uuid.UUID(int=R.getrandbits(128))) for _ in range(8)]
    w("negative/uuids/fixtures.json", json.dumps([
        {"id": i, "name": "item-%d" % n, "owner_id": ids[(n + 1) % 8]}
        for n, i in enumerate(ids)], indent=2) + "\n")
    w("negative/uuids/migration.sql",
      "INSERT INTO tenants (id, name) VALUES\n" + ",\n".join(
          "('%s', 'tenant %d')" % (i, n) for n, i in enumerate(ids)) + ";\n")
    w("negative/uuids/project.sln",
      "Microsoft Visual Studio Solution File, Format Version 12.00\n"
      "Project(\"{%s}\") = \"Acme\", \"Acme\\Acme.csproj\", \"{%s}\"\n"
      "EndProject\n" % (ids[0].upper(), ids[1].upper()))
    w("negative/uuids/request-log.txt", "".join(
        "request_id=%s trace=%s status=200 token_type=bearer\n"
        % (ids[i], hexs(32)) for i in range(6)))


def minified():
    for src, name in (("/usr/share/javascript/underscore/underscore.min.js",
                       "underscore.min.js"),
                      ("/usr/share/javascript/jquery/jquery.min.js",
                       "jquery.min.js")):
        if os.path.exists(src):
            with open(src) as f:
                w("negative/minified/" + name, f.read())
    w("negative/minified/bundle.min.js",
      "!function(e){var t={token:null,secret:e.secret,password:\"\"};"
      "function n(e){return e.apiKey||t.token}e.auth={login:function(r,o)"
      "{return fetch(\"/api/login\",{method:\"POST\",body:JSON.stringify({"
      "user:r,password:o})}).then(function(e){return e.json()}).then("
      "function(e){t.token=e.access_token})},key:n}}(window);\n")
    w("negative/minified/styles.min.css",
      ".btn{color:#fff}.token-input{border:1px solid #ccc}.password-field"
      "{letter-spacing:.2em}.icon{background:url(data:image/svg+xml;base64,"
      "%s)}\n" % b64(600))


def encoded():
    w("negative/encoded/logo.html",
      "<img alt=\"logo\" src=\"data:image/png;base64,%s\">\n" % b64(6000))
    w("negative/encoded/font.css",
      "@font-face{font-family:Acme;src:url(data:font/woff2;base64,%s) "
      "format(\"woff2\")}\n" % b64(9000))
    w("negative/encoded/snapshot.json", json.dumps({
        "thumbnail": b64(3000), "mime": "image/jpeg"}) + "\n")
    w("negative/encoded/output.ipynb", json.dumps({
        "cells": [{"cell_type": "code", "execution_count": 3, "metadata": {},
                   "source": ["plt.plot(xs, ys)\n", "plt.show()\n"],
                   "outputs": [{"output_type": "display_data", "metadata": {},
                                "data": {"image/png": b64(12000),
                                         "text/plain": ["<Figure>"]}}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n")
    w("negative/encoded/image.bin.txt",
      "begin-base64 644 image.gif\n%s\n====\n" % "\n".join(
          b64(45) for _ in range(40)))


def source():
    w("negative/source/auth.py",
      "import secrets\n\n\ndef new_token(nbytes=32):\n"
      "    return secrets.token_urlsafe(nbytes)\n\n\n"
      "def check_password(user, password):\n"
      "    return bcrypt.checkpw(password.encode(), user.password_hash)\n\n\n"
      "TOKEN_TTL = 3600\nPASSWORD_MIN_LENGTH = 12\n")
    w("negative/source/pem.c",
      "#include <string.h>\n\nstatic const char pem_header[] = "
      "\"-----BEGIN RSA PRIVATE KEY-----\";\n\n"
      "int is_private_key(const char *buf)\n{\n"
      "\treturn strstr(buf, pem_header) != NULL ||\n"
      "\t       strstr(buf, \"-----BEGIN OPENSSH PRIVATE KEY-----\") != NULL;\n"
      "}\n")
    w("negative/source/tokenizer.go",
      "package lex\n\ntype Token struct {\n\tKind  TokenKind\n\tValue string\n}\n"
      "\nfunc (l *Lexer) next() Token {\n\ttoken := l.scan()\n"
      "\tl.tokens = append(l.tokens, token)\n\treturn token\n}\n")
    w("negative/source/LoginForm.tsx",
      "export function LoginForm() {\n"
      "  const [password, setPassword] = useState('');\n"
      "  return <input type=\"password\" placeholder=\"Enter your password\" "
      "value={password} onChange={e => setPassword(e.target.value)} />;\n}\n")
    w("negative/source/UserService.java",
      "public class UserService {\n"
      "    private final PasswordEncoder passwordEncoder;\n"
      "    private static final String TOKEN_HEADER = \"Authorization\";\n"
      "    private static final String SECRET_NAME = \"app-secrets\";\n"
      "    public String resetPassword(String token) {\n"
      "        return tokenService.verify(token);\n    }\n}\n")
    w("negative/source/secrets_manager.rb",
      "class SecretsManager\n  def fetch(name)\n"
      "    client.get_secret_value(secret_id: name).secret_string\n  end\n"
      "end\n")
    w("negative/source/oauth.py",
      "TOKEN_URL = \"https://oauth2.googleapis.com/token\"\n"
      "AUTH_URL = \"https://accounts.google.com/o/oauth2/auth\"\n"
      "token_type = \"Bearer\"\ngrant_type = \"client_credentials\"\n"
      "access_token = response.json()[\"access_token\"]\n")
    w("negative/source/settings.cs",
      "public class Settings {\n    public string ApiKey { get; set; }\n"
      "    public string Password { get; set; } = string.Empty;\n"
      "    public const string SecretSection = \"Secrets\";\n}\n")
    w("negative/source/schema.graphql",
      "type Mutation {\n  login(email: String!, password: String!): "
      "AuthPayload\n  refreshToken(token: String!): AuthPayload\n}\n"
      "type AuthPayload {\n  token: String!\n  expiresIn: Int!\n}\n")
    w("negative/source/openapi.yaml",
      "components:\n  securitySchemes:\n    bearerAuth:\n      type: http\n"
      "      scheme: bearer\n      bearerFormat: JWT\n    apiKey:\n"
      "      type: apiKey\n      in: header\n      name: X-API-Key\n")
    w("negative/source/crypto.rs",
      "pub fn derive_key(password: &[u8], salt: &[u8]) -> [u8; 32] {\n"
      "    let mut key = [0u8; 32];\n"
      "    pbkdf2_hmac::<Sha256>(password, salt, 600_000, &mut key);\n"
      "    key\n}\n")
    w("negative/source/test_auth.py",
      "def test_rejects_short_password(client):\n"
      "    r = client.post(\"/signup\", json={\"email\": \"a@b.c\", "
      "\"password\": \"short\"})\n    assert r.status_code == 400\n")
    w("negative/source/Makefile",
      "TOKEN_FILE ?= $(HOME)/.config/acme/token\n\ndeploy:\n"
      "\tacme deploy --token-file $(TOKEN_FILE)\n")
    w("negative/source/ssh_config",
      "Host prod\n  HostName 10.0.0.5\n  User deploy\n"
      "  IdentityFile ~/.ssh/id_ed25519\n  PasswordAuthentication no\n")
    w("negative/source/pagination.js",
      "async function all(url) {\n  let nextPageToken = null, out = [];\n"
      "  do {\n    const r = await get(url, { pageToken: nextPageToken });\n"
      "    out.push(...r.items);\n    nextPageToken = r.nextPageToken;\n"
      "  } while (nextPageToken);\n  return out;\n}\n")
    w("negative/source/i18n.json", json.dumps({
        "login.password": "Password", "login.forgot": "Forgot password?",
        "settings.api_key": "API key", "settings.token_help":
        "Tokens expire after 30 days"}, indent=2) + "\n")
    w("negative/source/tsconfig.json", json.dumps({
        "compilerOptions": {"target": "ES2022", "strict": True,
                            "paths": {"@secrets/*": ["src/secrets/*"]}}},
        indent=2) + "\n")
    w("negative/source/k8s-deployment.yaml",
      "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
      "      containers:\n      - name: api\n        env:\n"
      "        - name: DB_PASSWORD\n          valueFrom:\n"
      "            secretKeyRef:\n              name: db\n"
      "              key: password\n")
    w("negative/source/sealed-secret.yaml",
      "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n"
      "  name: db\nspec:\n  encryptedData:\n    password: Ag%s\n" % b64(300))
    w("negative/source/ansible-vault.yml",
      "db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n" + "".join(
          "          %s\n" % hexs(80) for _ in range(5)))


def docs():
    w("negative/docs/SECURITY.md",
      "# Security\n\nReport vulnerabilities to security@acme.dev. We rotate "
      "API keys every 90 days; tokens are scoped per service. Passwords are "
      "hashed with argon2id.\n")
    w("negative/docs/CHANGELOG.md",
      "## 1.4.0\n- token refresh no longer races (#412)\n"
      "- `--password-stdin` for `acme login`\n- secret rotation docs\n")
    w("negative/docs/guide.rst",
      "Authentication\n==============\n\nPass the token in the header::\n\n"
      "    Authorization: Bearer <token>\n\nOr use basic auth with your "
      "username and password.\n")
    w("negative/docs/notes.txt",
      "todo: ask ops for the staging password (do not paste it here)\n"
      "the api key is in 1password under 'acme staging'\n")
    w("negative/docs/uri-examples.md",
      "- https://docs.acme.dev/api\n- git@github.com:acme/app.git\n"
      "- ssh://git@gitlab.com:22/acme/app.git\n- http://localhost:8080/"
      "callback?code=abc\n- ftp://anonymous@ftp.acme.dev/pub\n")
    w("negative/docs/large-source.h", "".join(
        "/* %s */\nstatic inline int token_%d(struct parser *p)\n{\n"
        "\treturn p->tokens[%d].kind == TOK_IDENT;\n}\n\n"
        % ("keyword table entry", i, i) for i in range(300)))


def variants():
    """Same categories, written differently from the files above."""
    w("negative/placeholders/env.sample",
      "OPENAI_API_KEY=\nSTRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc\n"
      "SLACK_TOKEN=xoxb-not-a-real-token-this-will-not-work\n")
    w("negative/placeholders/aws-example.py",
      "# from the AWS docs\nclient = boto3.client(\"s3\", "
      "aws_access_key_id=\"AKIAI44QH8DHBEXAMPLE\", aws_secret_access_key="
      "\"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\")\n")
    w("negative/placeholders/README-setup.md",
      "Set `export GITHUB_TOKEN=<token>` and run.\n"
      "The API key looks like `sk-proj-...`.\n")
    w("negative/placeholders/docs-psql.md",
      "Connect with `psql postgres://postgres:postgres@localhost:5432/"
      "postgres`.\n")
    w("negative/source/test_login.py",
      "def test_login(client):\n    r = client.post(\"/login\", json={"
      "\"username\": \"alice\", \"password\": \"test-password-123\"})\n"
      "    assert r.status_code == 200\n")
    w("negative/templates/vault-refs.yml",
      "db_password: \"vault:secret/data/db#password\"\naws_secret: \"arn:"
      "aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf\"\n")
    w("negative/templates/sops.yaml",
      "password: ENC[AES256_GCM,data:Zm9vYmFy,iv:abc,tag:def,type:str]\n")
    w("negative/templates/compose-default.yml",
      "services:\n  db:\n    environment:\n"
      "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n")
    w("negative/public-keys/pubkey.pem",
      "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % b64(294))
    w("negative/certificates/server.crt", certificate())
    w("negative/hashes/digests.txt",
      "password_sha256 = \"%s\"\nsecret_hash: %s\n" % (hexs(64), hexs(64)))
    w("negative/uuids/ids.json",
      "{\"client_id\": \"%s\", \"tenant_id\": \"%s\", \"api_key_id\": "
      "\"%s\"}\n" % tuple(uuid.UUID(int=R.getrandbits(128))
                          for _ in range(3)))
    w("negative/source/llm_config.py",
      "MAX_TOKENS = 4096\nTOKENIZER = \"bert-base-uncased\"\n"
      "SECRET_NAME = \"prod/db/credentials\"\n")
    w("negative/source/form.html",
      "<input type=\"password\" name=\"password\" "
      "autocomplete=\"current-password\">\n")
    w("negative/source/check.c",
      "static const char *password_prompt = \"Password: \";\n"
      "int check(const char *token) { return strcmp(token, expected_token)"
      " == 0; }\n")
    w("negative/lockfiles/yarn-babel.lock",
      "\"@babel/code-frame@^7.0.0\":\n  version \"7.24.2\"\n  resolved "
      "\"https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.24.2"
      ".tgz#%s\"\n  integrity sha512-%s\n" % (hexs(40), b64(64)))
    w("negative/minified/app.min.js",
      "var a={apiKey:b.apiKey,token:c.token,secret:void 0};"
      "function f(e){return e.password.length>8}\n")


def variants2():
    """Code and config that talk about credentials without holding one."""
    w("negative/source/login.html",
      "<form><label>Password</label><input name=\"password\" "
      "type=\"password\" minlength=\"12\"></form>\n")
    w("negative/source/devise.en.yml",
      "en:\n  devise:\n    passwords:\n      send_instructions: \"You will "
      "receive an email with instructions on how to reset your password in "
      "a few minutes.\"\n")
    w("negative/source/user_spec.rb",
      "it 'rejects bad passwords' do\n  expect(User.new(password: 'short')"
      ".valid?).to be false\nend\n")
    w("negative/source/configmap.yaml",
      "apiVersion: v1\nkind: ConfigMap\ndata:\n  LOG_LEVEL: info\n"
      "  API_URL: https://api.acme.dev\n")
    w("negative/source/swagger.json",
      "{\"securityDefinitions\": {\"api_key\": {\"type\": \"apiKey\", "
      "\"name\": \"api_key\", \"in\": \"header\"}}}\n")
    w("negative/source/.gitignore",
      ".env\n*.pem\nsecrets/\ncredentials.json\n")
    w("negative/templates/Dockerfile",
      "FROM python:3.12\nARG PIP_TOKEN\nRUN --mount=type=secret,id=npmrc "
      "npm ci\nENV PASSWORD_FILE=/run/secrets/db_password\n")
    w("negative/templates/random_password.tf",
      "resource \"random_password\" \"db\" {\n  length  = 24\n"
      "  special = true\n}\noutput \"db_password\" {\n"
      "  value     = random_password.db.result\n  sensitive = true\n}\n")
    w("negative/lockfiles/package.json",
      "{\"name\": \"acme\", \"dependencies\": {\"jsonwebtoken\": \"^9.0.2\","
      " \"bcrypt\": \"^5.1.1\", \"passport-local\": \"^1.0.0\"}}\n")
    w("negative/source/migration.py",
      "migrations.AddField(model_name='user', name='password_reset_token', "
      "field=models.CharField(max_length=64, null=True))\n")
    w("negative/hashes/users-fixture.json",
      "[{\"model\": \"auth.user\", \"fields\": {\"username\": \"admin\", "
      "\"password\": \"pbkdf2_sha256$600000$%s$%s\"}}]\n"
      % (alnum(22), b64(32)))
    w("negative/uuids/tokens.csv", "id,token_id,created\n%s,%s,2026-01-01\n"
      % (uuid.UUID(int=R.getrandbits(128)), uuid.UUID(int=R.getrandbits(128))))
    w("negative/templates/gitlab-login.yml",
      "deploy:\n  script:\n    - echo \"$CI_JOB_TOKEN\" | docker login -u "
      "gitlab-ci-token --password-stdin $CI_REGISTRY\n")
    w("negative/hashes/empty_sha.go",
      "var sha = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
      "855\"\nconst tokenLength = 32\n")
    w("negative/encoded/readme-logo.md",
      "![logo](data:image/png;base64,%s)\n" % b64(3000))
    w("negative/templates/secret-ref.yaml",
      "env:\n- name: API_TOKEN\n  valueFrom:\n    secretKeyRef:\n"
      "      name: api\n      key: token\n")
    w("negative/public-keys/id_rsa.pub", ssh_key("rsa")[1])
    w("negative/public-keys/signing-key.asc", pgp_armour("PUBLIC"))
    w("negative/placeholders/aws-cli.md",
      "```\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport "
      "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n```\n")
    w("negative/uuids/settings.py", "REQUEST_ID = '%s'\n"
      "SESSION_COOKIE_NAME = 'sessionid'\n" % uuid.UUID(int=R.getrandbits(128)))


def variants3():
    """Lines of the Linux kernel's own tree that were refused (session 12)."""
    w("negative/source/rtas.c",
      "void rtas_activate_firmware(void)\n{\n\tint token;\n\n"
      "\ttoken = rtas_token(\"ibm,activate-firmware\");\n"
      "\tibm_read_pci_config = rtas_token(\"ibm,read-pci-config\");\n"
      "\tupdate_token = rtas_token(\"ibm,update-flash-64-and-reboot\");\n"
      "\tcall_status = rtas_call(rtas_token(\"ibm,get-system-parameter\"), "
      "3, 1,\n}\n")
    w("negative/source/trace.h",
      "\tTP_printk(\"unit_address=0x%016llx process_token=0x%016llx "
      "rc=%li\",\n")
    w("negative/source/ktest.pl",
      "# POWER_CYCLE = wget --no-proxy -O /dev/null -q  --auth-no-challenge "
      "'http://admin:admin\\@power/outlet?5=CCL'\n")


def negatives():
    placeholders()
    templates()
    public_keys()
    certificates()
    hashes()
    lockfiles()
    uuids()
    minified()
    encoded()
    source()
    docs()
    variants()
    variants2()
    variants3()
