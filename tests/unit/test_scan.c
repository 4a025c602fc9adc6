/*
 * Unit tests of the content scanner, the verdict cache and gfs_scan_fd.
 *
 * Every credential below is fake: random characters in the right format
 * (with a valid checksum where the format has one), never a real key.
 *
 * "test_scan --bench DIR [MiB]" instead measures throughput: it loads the
 * regular files under DIR (up to MiB, default 64) and scans them on one
 * core, printing MB/s of thread CPU time. "test_scan --scan FILE..."
 * prints the finding of each file that holds a secret.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardfs/buf.h"
#include "guardfs/scan.h"

#include "check.h"

static struct gfs_scanner *scanner;

/* Scans text; returns the rule id found or "" when clean. */
static const char *scan_text(const char *text, unsigned *line)
{
	static struct gfs_scan_finding f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = gfs_scanner_scan(scanner, text, strlen(text), &f);
	if (rc < 0)
		return "<error>";
	if (line)
		*line = f.line;
	return rc == 1 ? f.rule_id : "";
}

static void expect_secret_at(const char *file, int lineno, const char *text,
			     const char *rule, unsigned want_line)
{
	unsigned line = 0;
	const char *got = scan_text(text, &line);

	if (strcmp(got, rule) || (want_line && line != want_line)) {
		fprintf(stderr,
			"%s:%d: expected %s (line %u), got '%s' (line %u) in:\n"
			"%s\n",
			file, lineno, rule, want_line, got, line, text);
		failures++;
	}
}

static void expect_clean_at(const char *file, int lineno, const char *text)
{
	unsigned line = 0;
	const char *got = scan_text(text, &line);

	if (*got) {
		fprintf(stderr,
			"%s:%d: expected clean, got %s at line %u in:\n"
			"%s\n",
			file, lineno, got, line, text);
		failures++;
	}
}

#define SECRET(text, rule) expect_secret_at(__FILE__, __LINE__, text, rule, 0)
#define SECRET_LINE(text, rule, line)                                          \
	expect_secret_at(__FILE__, __LINE__, text, rule, line)
#define CLEAN(text) expect_clean_at(__FILE__, __LINE__, text)

static void test_rules_format(void)
{
	struct gfs_scanner *s;
	char err[256];
	unsigned line = 0;
	const char good[] = "# mine\n"
			    "[acme-token]\n"
			    "keywords = acme_\n"
			    "regex = (acme_[a-z0-9]{20})\n"
			    "entropy = 3\n"
			    "[allow]\n"
			    "value = acme_0{20}\n";
	const char bad_key[] = "[x]\nkeywords = abc\nregex = abc\nfoo = 1\n";
	const char no_kw[] = "[x]\n\nregex = abc\n";
	const char short_kw[] = "[x]\nkeywords = abc\nregex = ab\n";
	const char bad_re[] = "[x]\nkeywords = abc\nregex = (abc\n";
	const char cont[] = "[long-one]\nkeywords = zzq[0-9]\nregex = zzq\n"
			    "    [0-9]{4}\n";
	struct gfs_scan_finding f;

	CHECK(gfs_scanner_new(&s) == 0);
	CHECK(gfs_scanner_rule_count(s) > 50);
	CHECK(gfs_scanner_add_rules(s, good, sizeof(good) - 1, "mine.rules",
				    &line, err, sizeof(err)) == 0);
	CHECK(gfs_scanner_scan(s, "x acme_k3j4h5g6f7d8s9a0q1w2 y", 28, &f) ==
	      1);
	CHECK(!strcmp(f.rule_id, "acme-token"));
	CHECK(gfs_scanner_scan(s, "x acme_00000000000000000000 y", 28, &f) ==
	      0);
	CHECK(gfs_scanner_add_rules(s, cont, sizeof(cont) - 1, "c", &line, err,
				    sizeof(err)) == 0);
	CHECK(gfs_scanner_scan(s, "zzq1234", 7, &f) == 1);
	CHECK(gfs_scanner_scan(s, "zzq12", 5, &f) == 0);

	CHECK(gfs_scanner_add_rules(s, bad_key, sizeof(bad_key) - 1, "b.rules",
				    &line, err, sizeof(err)) == -EINVAL);
	CHECK(line == 4);
	CHECK(strstr(err, "b.rules:4: unknown key 'foo'") != NULL);
	CHECK(gfs_scanner_add_rules(s, no_kw, sizeof(no_kw) - 1, "n", &line,
				    err, sizeof(err)) == -EINVAL);
	CHECK(line == 1 && strstr(err, "no keywords"));
	CHECK(gfs_scanner_add_rules(s, short_kw, sizeof(short_kw) - 1, "n",
				    &line, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "4 to 64 bytes") != NULL);
	CHECK(gfs_scanner_add_rules(s, bad_re, sizeof(bad_re) - 1, "n", &line,
				    err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "bad regex") != NULL);
	CHECK(gfs_scanner_add_rules(s, good, sizeof(good) - 1, "again", &line,
				    err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "duplicate rule 'acme-token'") != NULL);

	CHECK(gfs_scanner_allow_value(s, "(", err, sizeof(err)) == -EINVAL);
	CHECK(gfs_scanner_allow_value(s, "^acme_k3j4", err, sizeof(err)) == 0);
	CHECK(gfs_scanner_scan(s, "x acme_k3j4h5g6f7d8s9a0q1w2 y", 28, &f) ==
	      0);
	gfs_scanner_free(s);
	gfs_scanner_free(NULL);
}

#define PEM_BODY                                                               \
	"bqaHdm6s+5zwXpFf/OtiRKpRdyMHMqcvVf/W3V6DOK1QuqUBNoCcVoZTtoBRdLZ2\n"   \
	"Hdv25c2KzZrXRLAU4piCVUer5I3++7bv+MbcnXakObMPJXgKbM5qusNtB2Ggul4r\n"   \
	"Z0oXtMQsO/KQpLdzVIKG81XinbkXpC5spnM7KIUYHissXu48FjokDakOZxxvpOYh\n"   \
	"O9magbNlKd/fG4DsqRmx/dpRJpdfPDYQapcyxgGnPbDm2zdix+Qiyo0YAL8quyPj\n"

#define JWT_OK                                                                 \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                \
	"eyJzdWIiOiI5MzA0MTA2ZS00NzBiLTRm"                                     \
	"YWQtN2Y4Ni03ZDVmMGZlMzIxZWMiLCJpYXQiOjE3NjQyNzc2MzksImV4cCI6MTc2NDEy" \
	"MTk4OCwicm9sZSI6InVzZXIifQ.PovegMtVe4eUOi-hUuFRyiF75NwW9z_"           \
	"ZXlxJN0yDtBc"

static void test_cloud(void)
{
	SECRET("[default]\naws_access_key_id = AKIAUVW75EFR6EDT4SYW\n",
	       "aws-access-key-id");
	SECRET_LINE("region=x\nAWS_SECRET_ACCESS_KEY=c7Tvo/hBKqFYY/kv5ZJr3J1TW"
		    "DtkwtDDb+xHKas1\n",
		    "aws-secret-access-key", 2);
	CLEAN("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	      "\n");
	CLEAN("id = AKIA0000000000000000\n"); /* 0, 1, 8, 9 are not base32 */
	SECRET("key: AIzaVOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8\n", "gcp-api-key");
	CLEAN("key: AIzaxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	SECRET("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=fV5dyp"
	       "sg35nQf0sAK52tAlAMmInkfzBNtF4S/zPS73WUkVJHCRd99SbG/FCo6AKlHqfj1"
	       "swDP+LNJQs+mYmteQ==;EndpointSuffix=core.windows.net\n",
	       "azure-storage-connection-string");
	SECRET("{\n  \"type\": \"service_account\",\n  \"private_key\": \"----"
	       "-BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
	       "BKcwggSjAgEAAoIBAQC7\\nbqaHdm6s+5zwXpFf/OtiRKpRdyMHMqcvVf/W3V6"
	       "DOK1QuqUBNoCcVoZTtoBRdLZ2\\n-----END PRIVATE "
	       "KEY-----\\n\"\n}\n",
	       "gcp-service-account");
	SECRET("token = dop_v1_4f5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7"
	       "d8e9f0a1b2c3d4e5f\n",
	       "digitalocean-token");
}

static void test_code_hosting(void)
{
	SECRET("x = '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'\n",
	       "github-token");
	SECRET("oauth_token: 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\n",
	       "github-token");
	/* a bad checksum is no GitHub token, under any name */
	CLEAN("see ghp_tHF4vUCsMehGAkWvj7FAc9QeWJKY401ngxwA in the log\n");
	CLEAN("GITHUB_TOKEN=ghp_tHF4vUCsMehGAkWvj7FAc9QeWJKY401ngxwA\n");
	SECRET("//registry.npmjs.org/:_authToken=npm_mxgJTeKdNnFRIBXuDL7DxtpYl"
	       "SXpfK0IYYek\n",
	       "npm-token");
	CLEAN("//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
	SECRET("PRIVATE-TOKEN: glpat-Xy3kLm9QpR2sT5uVw8zA\n", "gitlab-token");
	SECRET("{\"auths\": {\"ghcr.io\": {\"auth\": \"YWNtZTpTM2NyZXRQYXNzd"
	       "29yZDE=\"}}}\n",
	       "docker-config-auth");
	CLEAN("NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n");
}

static void test_saas(void)
{
	SECRET("client = WebClient(token=\"xoxb-117777412154-7280385280841-S2q"
	       "Hx6kwXoIIXGvOoNZYW2mZ\")\n",
	       "slack-token");
	SECRET("url: https://hooks.slack.com/services/TPZOM75WB/BBR4QMW2WXF/ogo"
	       "EmvnEN5N1aE6PwZPf1Qh6\n",
	       "slack-webhook");
	SECRET("Stripe.api_key = "
	       "'sk_live_TWmE4lBYOvfZ8UzDzV8fUkkibjL5DZPjN0'\n",
	       "stripe-secret-key");
	/* publishable keys are meant for browsers */
	CLEAN("const stripe = "
	      "Stripe('pk_live_TWmE4lBYOvfZ8UzDzV8fUkkibjL5D')\n");
	SECRET("sgMail.setApiKey('SG.atws8phP9nhFyJfm5di4Pz.J59FHz5r1pY4OjE2jB"
	       "MptUsGr7CmY-uCu3ZR1zTOlUc');\n",
	       "sendgrid-key");
	SECRET("Application.builder().token(\"4366764020:AA28-ajY75FnCttn6kfa"
	       "qDeMqG3omjMyXHC\")\n",
	       "telegram-bot-token");
	SECRET("import discord\nclient.run('MTY1MDQ0NDYwNzYxODIzNTk5.sYgBds.1g"
	       "hxY5OokvQyx7eNWVQ4vnakJkS1pAWTN3lg8z')\n",
	       "discord-bot-token");
}

static void test_ai(void)
{
	SECRET("client = OpenAI(api_key=\"sk-proj-R64cXQLioDnkHIfxIq2HZt_PlJhx2"
	       "jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3_YT3BlbkFJNBDRzrZSgq"
	       "bjG3uhkWKFLf6xuI5aHUQPFeNBTxaQWk8JzFalHlsZfYcMMDktXP_tKsf2rcDkd"
	       "f\")\n",
	       "openai-key");
	SECRET("ANTHROPIC_API_KEY=sk-ant-api03-rUnW5gcF-Ha6ili8GjHEAD6_Wj9Kfzj"
	       "sQGMrb9h-ImB-LK777pzNk8cL6j5IXAAjlsHUqJoUD_-Ydua-5ZMs1SWOpQaPRA"
	       "A\n",
	       "anthropic-key");
	SECRET("login(\"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\")\n",
	       "huggingface-token");
	CLEAN("OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=<your-key>\n");
	CLEAN("task-runner disk-usage sk-spinner\n");
}

static void test_private_keys(void)
{
	SECRET_LINE("# key\n-----BEGIN RSA PRIVATE KEY-----\n" PEM_BODY
		    "-----END RSA PRIVATE KEY-----\n",
		    "private-key", 2);
	SECRET("-----BEGIN ENCRYPTED PRIVATE KEY-----\n" PEM_BODY
	       "-----END ENCRYPTED PRIVATE KEY-----\n",
	       "private-key");
	SECRET("-----BEGIN OPENSSH PRIVATE KEY-----\n" PEM_BODY
	       "-----END OPENSSH PRIVATE KEY-----\n",
	       "private-key");
	SECRET("-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: x\n\n" PEM_BODY
	       "=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n",
	       "private-key");
	SECRET("# created: 2026-11-24\nAGE-SECRET-KEY-1MPED9R6UGJLRG2764JNSSE0N"
	       "7E822YDLWU4UMGV09T4950HSVP6C8FRRDW\n",
	       "age-secret-key");
	/* the same key with its last character changed fails the checksum */
	CLEAN("AGE-SECRET-KEY-"
	      "1MPED9R6UGJLRG2764JNSSE0N7E822YDLWU4UMGV09T4950HSV"
	      "P6C8FRRDQ\n");
	SECRET("[Interface]\nPrivateKey = EEb0aftn774x4i+GKeLCNTJHemBNcC5FenqUV"
	       "tdYikA=\n",
	       "wireguard-private-key");
	CLEAN("[Peer]\nPublicKey = EEb0aftn774x4i+GKeLCNTJHemBNcC5FenqUVtdYikA="
	      "\n");
	/* code that names the armour, and a truncated placeholder */
	CLEAN("if (strstr(buf, \"-----BEGIN RSA PRIVATE KEY-----\"))\n"
	      "\treturn 1;\n");
	CLEAN("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n"
	      "-----END RSA PRIVATE KEY-----\n");
	CLEAN("-----BEGIN CERTIFICATE-----\n" PEM_BODY
	      "-----END CERTIFICATE-----\n");
	CLEAN("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5"
	      "C9okWi0dh2l9GKJl dev@laptop\n");
}

static void test_connection_strings(void)
{
	SECRET("DATABASE_URL=postgres://app:zaL.iA_zNyD7CHLn_xC-@db:5432/app\n",
	       "uri-credentials");
	SECRET("mongodb+srv://api:Qw3rTy9Zx8Cv@cluster0.ab12c.mongodb.net/x\n",
	       "uri-credentials");
	SECRET("redis://:Hk8sPq2LmN4vX7@cache:6379/0\n", "uri-credentials");
	CLEAN("DATABASE_URL=postgres://user:password@localhost:5432/app\n");
	CLEAN("DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app\n");
	CLEAN("amqp://guest:guest@localhost:5672/\n");
	CLEAN("new URL('https://abc:xyz@example.com')\n");
	CLEAN("git clone https://github.com/acme/app.git\n");
	/* Perl's "\@": the escape is not the password's */
	SECRET("my $url = \"https://deploy:Hk8sPq2LmN4vX7\\@git.acme.io/\";\n",
	       "uri-credentials");
	CLEAN("# wget 'http://admin:admin\\@power/outlet?5=CCL'\n");
	SECRET("url=jdbc:mysql://db:3306/"
	       "shop?user=shop&password=Hk8sPq2LmN4v\n",
	       "jdbc-password");
}

static void test_jwt(void)
{
	SECRET("Authorization: Bearer " JWT_OK "\n", "jwt");
	/* the jwt.io sample and a README token without claims */
	CLEAN("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiw"
	      "ibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2Q"
	      "T4fwpMeJf36POk6yJV_adQssw5c\n");
	CLEAN("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzb21lIjoicGF5bG9hZCJ9.2T"
	      "VqX5yloYrExWTrfNRDchIqajEbZMRSzmk_XZj9wLw\n");
}

static void test_generic(void)
{
	/*
	 * a comma between words is a name (firmware calls in the kernel),
	 * one among digits and mixed case is not; a printf conversion with
	 * little around it is code, one inside a long literal is not
	 */
	CLEAN("token = rtas_token(\"ibm,activate-firmware\");\n");
	CLEAN("update_token = "
	      "rtas_token(\"ibm,update-flash-64-and-reboot\");\n");
	SECRET("token = \"Qw3,rTy9-Zx8Cv,7Lp\";\n",
	       "generic-secret-assignment");
	CLEAN("TP_printk(\"unit_address=0x%016llx "
	      "process_token=0x%016llx\");\n");
	SECRET("password = \"Zx9%08xcV8bN7mQ2wE\"\n",
	       "generic-secret-assignment");
	SECRET("[db]\npassword = E=Fd0Nhcy#1kGD2VD#eR1U\n",
	       "generic-secret-assignment");
	SECRET("auth:\n  jwt_secret: \"k3J9xQ2mZ7vP4wR8tY6u\"\n",
	       "generic-secret-assignment");
	SECRET("{\"smtp\": {\"password\": \"Hk8sPq2LmN4vX7\"}}\n",
	       "generic-secret-assignment");
	SECRET("const apiKey: string = \"q8W2e4R6t8Y0u2I4o6P8\";\n",
	       "generic-secret-assignment");
	SECRET("apiSecret := \"4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f\"\n",
	       "generic-secret-assignment");
	SECRET("private static final String DB_PASSWORD = \"Zx9!cV8@bN7#\";\n",
	       "generic-secret-assignment");
	SECRET("define('DB_PASSWORD', 'Zx9!cV8@bN7#mQ');\n",
	       "php-define-secret");
	SECRET("<password>Zx9cV8bN7mQ2</password>\n", "generic-secret-xml");
	SECRET("\"source\": [\"openai.api_key = "
	       "\\\"Zx9cV8bN7mQ2wE4r\\\"\\n\"]\n",
	       "generic-secret-assignment");
	SECRET("mysqldump -u root -p'Zx9!cV8@bN7#mQ' shop\n",
	       "mysql-cli-password");
	SECRET("r = requests.get(URL, auth=(\"svc\", \"Zx9cV8bN7mQ2wE4r\"))\n",
	       "credential-call");
	SECRET("$pw = ConvertTo-SecureString \"Qk3!Lm9Zp2Wx\" -AsPlainText\n",
	       "credential-call");
	SECRET("c = DriverManager.getConnection(url, \"app\", "
	       "\"Qk3Lm9Zp2Wx7\");"
	       "\n",
	       "credential-call");
	SECRET("db.acme.dev:5432:shop:app:Qk3Lm9Zp2Wx7\n", "pgpass-line");
	SECRET("DB_PASS=Qk3Lm9Zp2Wx7\nAPP_KEY=base64:q8W2e4R6t8Y0u2I4o6P8a1S3d5"
	       "F7g9H0j2K4l6Z8x0C=\n",
	       "generic-secret-assignment");
	CLEAN("server.login(\"username\", \"password\")\n");
	CLEAN("wrong_auth = (\"wronguser\", \"wrongpass\")\n");
	CLEAN("# depends on the absence of the MasterAuth struct. For this\n");
	SECRET("smtp.login('me@gmail.com', 'xkcdqwpzlmtrbvan')\n",
	       "credential-call");
	SECRET("EMAIL_HOST_PASSWORD = 'qwpz lmtr bvan xkcd'\n",
	       "gmail-app-password");
	SECRET("bind 127.0.0.1\nrequirepass 9f8e7d6c5b4a3f2e1d0c\n",
	       "server-config-password");
	CLEAN("[{\"fields\": {\"password\": \"pbkdf2_sha256$600000$Zx9cV8bN7m"
	      "$q8W2e4R6t8Y0u2I4o6P8\"}}]\n");
	CLEAN("db_password: \"vault:secret/data/db#password\"\n");
	CLEAN("password: ENC[AES256_GCM,data:Zm9vYmFy,iv:abc,tag:def]\n");
	CLEAN("PASSWD = getpass.getpass(\"IMAP password for %s on %s: \")\n");
	CLEAN("AWS_IMDSV2_SESSION_TOKEN = \"awsimdsv2sessiontoken\"\n");
	CLEAN("'secret': 'V1SecretVolumeSource',\n");
	CLEAN("FPassword: UTF8String;\nX := BASE+1\n");
	CLEAN("access_token = 'InvalidToken:%s:%s' % (token, now)\n");
	CLEAN("NELOG_NoTrustLsaSecret = ERRLOG2_BASE + 20;\n");
	CLEAN("<NextToken>2YgYW55IGNhcm5hbCBwbGVhc3VyZS4=</NextToken>\n");
	CLEAN("Culture=neutral, PublicKeyToken=b77a5c561934e089\n");
	CLEAN("\"pattern\":\"arn:aws:secretsmanager:.*:secret:Lookout-.+\"\n");
	CLEAN("Pwd := 'nobody@nowhere.com';\n");
	CLEAN("credentials: oauth2client.client.OAuth2Credentials.\n");
	CLEAN("password = changeme\nsecret: \"********\"\ntoken: <TOKEN>\n");
	CLEAN("SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n");
	CLEAN("password: ${SPRING_DATASOURCE_PASSWORD}\n");
	CLEAN("password: \"{{ vault_password }}\"\n");
	CLEAN("const [password, setPassword] = useState('');\n");
	CLEAN("token_type = \"Bearer\"\nPASSWORD_MIN_LENGTH = 12\n");
	CLEAN("def new_token(nbytes=32):\n    return "
	      "secrets.token_urlsafe()\n");
	CLEAN("password = utf8_to_utf16_dup(v);\n");
	CLEAN("XXH3_64b(const xxh_u8* input, const xxh_u8* secret, "
	      "XXH64_hash_t seed)\n");
	CLEAN("# METHOD can be \"md5\", \"password\", \"scram-sha-256\",\n");
	CLEAN("exports.TOKEN = exports.STRICT_TOKEN = exports2.HEX;\n");
	CLEAN("password: 'bm90IG15IHJlYWwgcGFzc3dvcmQ='\n");
	CLEAN("password_hash = \"$2b$12$abcdefghijklmnopqrstuv\"\n");
}

static void test_kubernetes(void)
{
	SECRET("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
	       "  password: SGs4c1BxMkxtTjR2WDc=\n",
	       "kubernetes-secret");
	CLEAN("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
	      "  password: {{ .Values.password | b64enc }}\n");
	/* the first value a template, the second a real one */
	SECRET("kind: Secret\nmetadata:\n  name: db\ndata:\n"
	       "  user: {{ .Values.user | b64enc }}\n"
	       "  password: SGs4c1BxMkxtTjR2WDc=\n",
	       "kubernetes-secret");
	SECRET("url: https://hooks.zapier.com/hooks/catch/4821907/q8dk7xz/\n",
	       "teams-zapier-webhook");
	SECRET("users:\n- name: admin\n  user:\n    client-key-data: " PEM_BODY
	       "\n",
	       "kubeconfig-client-key");
	SECRET("users:\n- name: ci\n  user:\n    token: " JWT_OK "\n", "jwt");
}

static void test_binary_and_lines(void)
{
	char bin[64] = "GIF89a\0\0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\n";
	struct gfs_scan_finding f;
	unsigned line = 0;

	/* binary content: its printable runs go through every rule */
	CHECK(gfs_scanner_scan(scanner, bin, sizeof(bin), &f) == 1);
	CHECK(!strcmp(f.rule_id, "github-token"));
	CHECK(!strcmp(scan_text("a\nb\n\nc AKIAUVW75EFR6EDT4SYW\n", &line),
		      "aws-access-key-id"));
	CHECK(line == 4);
	CHECK(gfs_scanner_scan(scanner, "", 0, &f) == 0);
	/* a keyword split at the very end of the buffer */
	CHECK(gfs_scanner_scan(scanner, "AKIAUVW75EFR6EDT4SYW", 20, &f) == 1);
	CHECK(gfs_scanner_scan(scanner, "AKIAUVW75EFR6EDT4SY", 19, &f) == 0);

	/*
	 * The prefilter looks at every other position and 16 bytes per vector
	 * step: plant a key at every alignment, with every tail length.
	 */
	{
		static const char key[] = "AKIAUVW75EFR6EDT4SYW";
		char buf[128];
		size_t lead, tail, n;

		for (lead = 0; lead < 40; lead++) {
			for (tail = 0; tail < 20; tail++) {
				memset(buf, 'q', sizeof(buf));
				buf[0] = '\n';
				if (lead)
					buf[lead - 1] = ' ';
				memcpy(buf + lead, key, sizeof(key) - 1);
				n = lead + sizeof(key) - 1;
				if (tail)
					buf[n] = ' ';
				n += tail;
				memset(&f, 0, sizeof(f));
				if (gfs_scanner_scan(scanner, buf, n, &f) !=
					    1 ||
				    f.line != (lead >= 2 ? 2u : 1u)) {
					fprintf(stderr, "missed at %zu+%zu\n",
						lead, tail);
					failures++;
				}
			}
		}
	}
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void test_cache_and_fd(void)
{
	char dir[] = "/tmp/gfs-test-scan-XXXXXX";
	char path[64];
	struct gfs_verdict_cache *c;
	struct gfs_verdict v;
	struct stat st;
	struct timespec times[2];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	CHECK(gfs_verdict_cache_new(&c, 64) == 0);

	CHECK(write_file(path, "todo\nkey AKIAUVW75EFR6EDT4SYW\n") == 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK(!gfs_verdict_cache_get(c, &st, &v));
	CHECK(gfs_scan_fd(scanner, c, fd, 1 << 20, &v) == 1);
	CHECK(v.secret && v.finding.line == 2);
	CHECK(!strcmp(v.finding.rule_id, "aws-access-key-id"));
	/* now cached: a hit without rescanning */
	memset(&v, 0, sizeof(v));
	CHECK(gfs_verdict_cache_get(c, &st, &v));
	CHECK(v.secret && !strcmp(v.finding.rule_id, "aws-access-key-id"));
	close(fd);

	/* a cached verdict is served as is: prove it with a planted one */
	{
		struct gfs_verdict planted = {.secret = true};

		strcpy(planted.finding.rule_id, "planted");
		gfs_verdict_cache_put(c, &st, &planted);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		CHECK(gfs_scan_fd(scanner, c, fd, 1 << 20, &v) == 1);
		CHECK(!strcmp(v.finding.rule_id, "planted"));
		close(fd);
	}

	/* rewrite with the same size: mtime/ctime change, so a miss */
	CHECK(write_file(path, "todo\nkey AKIAUVW75EFR6EDTxxxx\n") == 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fstat(fd, &st) == 0);
	/* O_TRUNC emptied it first; the mount then forgets its taint */
	CHECK(gfs_verdict_tainted(c, &st, NULL));
	gfs_verdict_untaint(c, &st);
	CHECK(!gfs_verdict_cache_get(c, &st, &v));
	CHECK(gfs_scan_fd(scanner, c, fd, 1 << 20, &v) == 0);
	CHECK(!v.secret);
	CHECK(gfs_verdict_cache_get(c, &st, &v) && !v.secret);
	close(fd);

	/* size change alone (mtime pinned back) is a miss too */
	CHECK(write_file(path, "todo\nkey AKIAUVW75EFR6EDT4SYW\n\n") == 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fstat(fd, &st) == 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	CHECK(futimens(fd, times) == 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK(!gfs_verdict_cache_get(c, &st, &v));
	CHECK(gfs_scan_fd(scanner, c, fd, 1 << 20, &v) == 1);

	/* over max_size: the first max_size bytes are scanned, uncached */
	CHECK(gfs_scan_fd(scanner, NULL, fd, 16, &v) == 0);
	CHECK(!v.secret && v.partial);
	CHECK(gfs_scan_fd(scanner, NULL, fd, 30, &v) == 1);
	CHECK(v.secret && v.partial);
	/* cached verdict of the whole file: served whatever the cap */
	CHECK(gfs_scan_fd(scanner, c, fd, 16, &v) == 1);
	close(fd);

	/* not a regular file */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(gfs_scan_fd(scanner, c, fd, 1 << 20, &v) == 0);
	close(fd);
	CHECK(gfs_scan_fd(scanner, c, -1, 1 << 20, &v) == -EBADF);

	/* eviction keeps the cache bounded and still answers correctly */
	{
		struct stat fake = st;
		struct gfs_verdict clean = {.secret = false};
		unsigned i, hits = 0;

		for (i = 0; i < 1000; i++) {
			fake.st_ino = 100000 + i;
			gfs_verdict_cache_put(c, &fake, &clean);
		}
		for (i = 0; i < 1000; i++) {
			fake.st_ino = 100000 + i;
			hits += gfs_verdict_cache_get(c, &fake, &v);
		}
		CHECK(hits > 0 && hits <= 64);
	}

	gfs_verdict_cache_free(c);
	gfs_verdict_cache_free(NULL);
	unlink(path);
	rmdir(dir);
}

/* One scanner and one cache shared by threads, as FUSE workers share them. */
struct thread_arg {
	struct gfs_verdict_cache *cache;
	int errors;
};

static void *scan_thread(void *p)
{
	struct thread_arg *a = p;
	static const char secret[] = "x\nkey AKIAUVW75EFR6EDT4SYW\n";
	static const char clean[] = "int main(void) { return 0; }\n";
	struct gfs_scan_finding f;
	struct gfs_verdict v;
	struct stat st;
	int i;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < 2000; i++) {
		if (gfs_scanner_scan(scanner, secret, sizeof(secret) - 1, &f) !=
			    1 ||
		    f.line != 2)
			a->errors++;
		if (gfs_scanner_scan(scanner, clean, sizeof(clean) - 1, &f) !=
		    0)
			a->errors++;
		st.st_ino = (ino_t)(i % 97);
		st.st_size = i % 97;
		v.secret = (i % 97) % 2;
		gfs_verdict_cache_put(a->cache, &st, &v);
		if (gfs_verdict_cache_get(a->cache, &st, &v) &&
		    v.secret != (bool)((i % 97) % 2))
			a->errors++;
	}
	return NULL;
}

static void test_threads(void)
{
	struct thread_arg args[4];
	pthread_t t[4];
	struct gfs_verdict_cache *c;
	int i;

	CHECK(gfs_verdict_cache_new(&c, 256) == 0);
	for (i = 0; i < 4; i++) {
		args[i].cache = c;
		args[i].errors = 0;
		CHECK(pthread_create(&t[i], NULL, scan_thread, &args[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(args[i].errors == 0);
	}
	gfs_verdict_cache_free(c);
}

struct bench_file {
	char *data;
	size_t len;
};

struct bench_set {
	struct bench_file *files;
	size_t n, cap, bytes, limit;
};

static void bench_load(struct bench_set *b, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && b->bytes < b->limit) {
		struct gfs_buf path = GFS_BUF_INIT;
		struct stat st;
		FILE *f;

		if (e->d_name[0] == '.' ||
		    gfs_buf_addf(&path, "%s/%s", dir, e->d_name))
			goto next;
		if (lstat(path.data, &st))
			goto next;
		if (S_ISDIR(st.st_mode)) {
			bench_load(b, path.data);
			goto next;
		}
		if (!S_ISREG(st.st_mode) || !st.st_size)
			goto next;
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 256;
			b->files =
				realloc(b->files, b->cap * sizeof(*b->files));
			if (!b->files)
				abort();
		}
		f = fopen(path.data, "rb");
		if (!f)
			goto next;
		b->files[b->n].data = malloc((size_t)st.st_size);
		b->files[b->n].len =
			fread(b->files[b->n].data, 1, (size_t)st.st_size, f);
		b->bytes += b->files[b->n].len;
		b->n++;
		fclose(f);
	next:
		gfs_buf_release(&path);
	}
	closedir(d);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Throughput on one core over the files below dir, read into memory first. */
static int bench(const char *dir, size_t mib)
{
	struct bench_set b = {.limit = mib << 20};
	struct gfs_scan_finding f;
	size_t i, flagged = 0, round, rounds;
	double t0, t;

	bench_load(&b, dir);
	if (!b.bytes) {
		fprintf(stderr, "no files under %s\n", dir);
		return 1;
	}
	/* at least ~256 MiB scanned in total so the timing is stable */
	rounds = ((size_t)256 << 20) / b.bytes + 1;
	t0 = now_s();
	for (round = 0; round < rounds; round++)
		for (i = 0; i < b.n; i++)
			if (gfs_scanner_scan(scanner, b.files[i].data,
					     b.files[i].len, &f) == 1 &&
			    round == 0)
				flagged++;
	t = now_s() - t0;
	printf("scanned %zu files, %.1f MiB x %zu rounds in %.3f s: %.0f MB/s "
	       "(%zu files flagged)\n",
	       b.n, (double)b.bytes / (1 << 20), rounds, t,
	       (double)b.bytes * (double)rounds / t / 1e6, flagged);
	for (i = 0; i < b.n; i++)
		free(b.files[i].data);
	free(b.files);
	return 0;
}

/* Prints "PATH:LINE: rule" for a file holding a secret. */
static int scan_one(const char *path)
{
	struct gfs_verdict v;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = gfs_scan_fd(scanner, NULL, fd, UINT64_MAX, &v);
	close(fd);
	if (rc == 1)
		printf("%s:%u: %s\n", path, v.finding.line, v.finding.rule_id);
	return rc < 0;
}

int main(int argc, char **argv)
{
	if (gfs_scanner_new(&scanner)) {
		fprintf(stderr, "cannot build the scanner\n");
		return 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "--scan")) {
		int i, rc = 0;

		for (i = 2; i < argc; i++)
			rc |= scan_one(argv[i]);
		gfs_scanner_free(scanner);
		return rc;
	}
	if (argc >= 3 && !strcmp(argv[1], "--bench")) {
		int rc = bench(argv[2],
			       argc >= 4 ? strtoul(argv[3], NULL, 10) : 64);

		gfs_scanner_free(scanner);
		return rc;
	}
	test_rules_format();
	test_cloud();
	test_code_hosting();
	test_saas();
	test_ai();
	test_private_keys();
	test_connection_strings();
	test_jwt();
	test_generic();
	test_kubernetes();
	test_binary_and_lines();
	test_cache_and_fd();
	test_threads();
	gfs_scanner_free(scanner);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
