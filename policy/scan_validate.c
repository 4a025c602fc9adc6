/*
 * Checks a regex candidate must pass before it counts as a credential:
 * entropy, checksums the formats carry, and the shape of a plausible
 * assigned secret. They are what keeps look-alikes (placeholders,
 * references, identifiers, hashes) readable.
 */
#include <math.h>
#include <string.h>

#include "scan_internal.h"

double scan_entropy(const uint8_t *data, size_t len)
{
	unsigned counts[256] = {0};
	size_t i, n = 0;
	double h = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = data[i];

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		counts[c]++;
		n++;
	}
	if (!n)
		return 0;
	for (i = 0; i < 256; i++) {
		double p;

		if (!counts[i])
			continue;
		p = (double)counts[i] / (double)n;
		h -= p * log2(p);
	}
	return h;
}

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long scan_base64_decode(const uint8_t *in, size_t len, uint8_t *out,
			size_t out_size)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, n = 0;

	while (len && in[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < out_size)
				out[n] = (uint8_t)(acc >> bits);
			n++;
		}
	}
	return (long)(n < out_size ? n : out_size);
}

static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

/*
 * GitHub (ghp_, gho_, ghu_, ghs_, ghr_) and npm (npm_) tokens end in six
 * base62 digits of the CRC32 of the 30 random characters before them.
 */
static bool check_github_crc32(const uint8_t *tok, size_t len)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz";
	const uint8_t *us = memchr(tok, '_', len);
	const uint8_t *body;
	char want[6];
	uint32_t crc;
	int i;

	if (!us || (size_t)(tok + len - us - 1) != 36)
		return false;
	body = us + 1;
	crc = crc32_ieee(body, 30);
	for (i = 5; i >= 0; i--) {
		want[i] = digits[crc % 62];
		crc /= 62;
	}
	return memcmp(want, body + 30, 6) == 0;
}

/*
 * A JWT's header is base64url JSON naming its algorithm, and a token that
 * grants anything carries claims: who (sub, iss, aud, role...) or when
 * (exp, iat, nbf). Library READMEs sign {"some": "payload"}; those stay.
 */
static bool check_jwt(const uint8_t *tok, size_t len)
{
	static const char *const claims[] = {
		"\"exp\"",	 "\"iat\"", "\"nbf\"",	 "\"sub\"",
		"\"iss\"",	 "\"aud\"", "\"jti\"",	 "\"role\"",
		"\"scope\"",	 "\"uid\"", "\"email\"", "\"user_id\"",
		"\"client_id\"",
	};
	const uint8_t *dot = memchr(tok, '.', len), *dot2;
	uint8_t part[2048];
	long n;
	size_t i;

	if (!dot)
		return false;
	n = scan_base64_decode(tok, (size_t)(dot - tok), part,
			       sizeof(part) - 1);
	if (n < 8 || part[0] != '{' || !memmem(part, (size_t)n, "\"alg\"", 5))
		return false;
	dot2 = memchr(dot + 1, '.', len - (size_t)(dot + 1 - tok));
	if (!dot2)
		return false;
	n = scan_base64_decode(dot + 1, (size_t)(dot2 - dot - 1), part,
			       sizeof(part) - 1);
	if (n < 2 || part[0] != '{')
		return false;
	for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++)
		if (memmem(part, (size_t)n, claims[i], strlen(claims[i])))
			return true;
	return false;
}

/*
 * After a private key armour line, a real key has a body of base64 (in a
 * file, a JSON string with \n escapes, or string literals joined in code),
 * maybe after headers such as Proc-Type. A parser or a doc that only
 * names the armour, or a truncated "MIIE..." placeholder, has none.
 */
/*
 * Base64 that decodes to a PEM private key's armour: v starts inside the
 * encoding of "-----BEGIN", at any of the four places a 4-character
 * group may start, and may run across line breaks.
 */
static bool check_b64_private_key(const uint8_t *v, size_t len)
{
	uint8_t chars[96], out[72];
	size_t n = 0, i, k;

	for (i = 0; i < len && n < sizeof(chars); i++)
		if (v[i] != '\r' && v[i] != '\n')
			chars[n++] = v[i];
	for (k = 0; k < 4 && k < n; k++) {
		long got = scan_base64_decode(chars + k, (n - k) & ~(size_t)3,
					      out, sizeof(out));

		if (got > 0 && memmem(out, (size_t)got, "PRIVATE KEY-----", 16))
			return true;
	}
	return false;
}

/* Hex (xxd -p, od output joined) that decodes to a private key armour. */
static bool check_hex_private_key(const uint8_t *v, size_t len)
{
	uint8_t out[48];
	size_t n = 0, i;
	int hi = -1;

	for (i = 0; i < len && n < sizeof(out); i++) {
		int d = v[i] >= '0' && v[i] <= '9' ? v[i] - '0'
			: (v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'f'
				? (v[i] | 0x20) - 'a' + 10
				: -1;

		if (d < 0)
			continue; /* a line break */
		if (hi < 0) {
			hi = d;
		} else {
			out[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return memmem(out, n, "PRIVATE KEY-----", 16) != NULL;
}

static bool check_pem_body(const uint8_t *buf, size_t len, size_t from)
{
	uint8_t body[512];
	size_t i = from, n = 0, end = len;
	bool line_start = true;

	if (end - from > 16384)
		end = from + 16384;
	while (i < end && n < sizeof(body)) {
		uint8_t c = buf[i];

		if (c == '\\' && i + 1 < end &&
		    (buf[i + 1] == 'n' || buf[i + 1] == 'r')) {
			i += 2;
			line_start = true;
			continue;
		}
		if (c == '\n' || c == '\r') {
			i++;
			line_start = true;
			continue;
		}
		if (line_start) {
			/* skip "Header: value" lines (Proc-Type, Comment) */
			size_t j = i;

			while (j < end && (buf[j] == ' ' || buf[j] == '\t' ||
					   buf[j] == '"' || buf[j] == '\''))
				j++;
			while (j < end && ((buf[j] >= 'A' && buf[j] <= 'Z') ||
					   (buf[j] >= 'a' && buf[j] <= 'z') ||
					   buf[j] == '-'))
				j++;
			if (j < end && buf[j] == ':' && j + 1 < end &&
			    buf[j + 1] == ' ') {
				while (j < end && buf[j] != '\n' &&
				       !(buf[j] == '\\' && j + 1 < end &&
					 buf[j + 1] == 'n'))
					j++;
				i = j;
				continue;
			}
			line_start = false;
		}
		if (c == '-' && i + 4 < end && !memcmp(buf + i, "-----", 5))
			break;
		if (b64_value(c) >= 0 && c != '-' && c != '_')
			body[n++] = c;
		else if (c == '=' || c == ' ' || c == '\t' || c == '"' ||
			 c == '\'' || c == '+' || c == ',')
			; /* padding, indentation, string joins */
		else if (c == '.' && n == 0)
			return false; /* "MIIE..." style elision */
		else if (n < 64)
			return false; /* prose, code, a placeholder */
		else
			break;
		i++;
	}
	return n >= 64 && scan_entropy(body, n) >= 5.0;
}

/* base64 of "user:password" with a printable password. */
static bool check_userpass(const uint8_t *tok, size_t len)
{
	uint8_t out[512];
	long n = scan_base64_decode(tok, len, out, sizeof(out));
	const uint8_t *colon;
	long i;

	if (n < 3)
		return false;
	for (i = 0; i < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			return false;
	colon = memchr(out, ':', (size_t)n);
	return colon && colon + 3 < out + n;
}

static bool is_lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool has_nocase(const uint8_t *v, size_t len, const char *word)
{
	size_t wl = strlen(word), i, j;

	for (i = 0; i + wl <= len; i++) {
		for (j = 0; j < wl; j++) {
			uint8_t c = v[i + j];

			if (is_upper(c))
				c = (uint8_t)(c + 32);
			if (c != (uint8_t)word[j])
				break;
		}
		if (j == wl)
			return true;
	}
	return false;
}

/*
 * Lowercase segments joined by - _ . where each segment is all letters or
 * all digits: names and versions, not random strings.
 */
static bool looks_like_words(const uint8_t *v, size_t len)
{
	size_t i = 0, seps = 0;

	while (i < len) {
		size_t j = i;

		if (is_lower(v[i]))
			while (j < len && is_lower(v[j]))
				j++;
		else if (is_digit(v[i]))
			while (j < len && is_digit(v[j]))
				j++;
		else
			return false;
		if (j < len && (is_lower(v[j]) || is_digit(v[j])))
			return false; /* a letter glued to a digit */
		if (j < len && v[j] != '-' && v[j] != '_' && v[j] != '.')
			return false;
		if (j < len)
			seps++;
		i = j + 1;
	}
	return seps > 0;
}

/*
 * "vendor,name": how firmware and device trees name things
 * ("ibm,update-flash-64-and-reboot", "fsl,imx6q-pcie"): a lowercase
 * vendor of letters, one comma, and lowercase letters, digits and - _ .
 */
static bool looks_like_vendor_name(const uint8_t *v, size_t len)
{
	size_t i = 0;

	while (i < len && is_lower(v[i]))
		i++;
	if (i < 2 || i > 12 || i + 1 >= len || v[i] != ',')
		return false;
	for (i++; i < len; i++)
		if (!is_lower(v[i]) && !is_digit(v[i]) && v[i] != '-' &&
		    v[i] != '_' && v[i] != '.')
			return false;
	return true;
}

/*
 * "scheme:rest" where scheme is a lowercase word: a reference to where a
 * secret lives (arn:, vault:, ssm:, secretsmanager:) or a hash naming
 * its algorithm (sha256:, md5:). Laravel's "base64:" keys are secrets.
 */
static bool looks_like_store_ref(const uint8_t *v, size_t len)
{
	size_t i = 0;

	while (i < len && i < 16 && (is_lower(v[i]) || is_digit(v[i])))
		i++;
	if (i < 2 || i == len || v[i] != ':' || !is_lower(v[0]))
		return false;
	if (i == 6 && !memcmp(v, "base64", 6))
		return false;
	return true;
}

/*
 * One segment of a dotted name: snake_case, SCREAMING_CASE, camelCase or
 * PascalCase (digits allowed after a letter). Random strings such as
 * "IScMQDAGIn1PhC" fit none of them.
 */
static bool segment_is_name(const uint8_t *v, size_t len)
{
	size_t i = 0;

	if (!len || is_digit(v[0]))
		return false;
	for (i = 0; i < len; i++)
		if (!is_lower(v[i]) && !is_upper(v[i]) && !is_digit(v[i]) &&
		    v[i] != '_')
			return false;
	/*
	 * Words have lowercase runs of two or more ("Token", "UTF8String",
	 * "FToken", "iPhone"); random mixed case leaves single lowercase
	 * letters between capitals and digits ("IScMQDAGIn1PhC").
	 */
	for (i = 0; i < len;) {
		size_t j = i;

		while (j < len && is_lower(v[j]))
			j++;
		if (j - i == 1 && !(i == 0 && j < len && is_upper(v[j])))
			return false;
		i = j > i ? j : i + 1;
	}
	return true;
}

/*
 * Names joined by dots: config.password, exports2.TOKEN, ed25519.Key. At
 * least one segment is a lowercase word (os.environ, self.api_key), which
 * random strings that happen to hold dots rarely have.
 */
static bool looks_like_dotted_name(const uint8_t *v, size_t len)
{
	size_t i = 0;
	bool word = false;

	while (i <= len) {
		const uint8_t *dot = memchr(v + i, '.', len - i);
		size_t end = dot ? (size_t)(dot - v) : len, k, letters = 0;

		if (!segment_is_name(v + i, end - i))
			return false;
		for (k = i; k < end && !is_upper(v[k]); k++)
			letters += is_lower(v[k]);
		if (k == end && letters >= 3)
			word = true;
		i = end + 1;
		if (!dot)
			break;
	}
	return word;
}

/* Space-separated words of letters, maybe ending in punctuation. */
static bool looks_like_prose(const uint8_t *v, size_t len)
{
	size_t i, letters = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = v[i];

		if (is_lower(c) || is_upper(c))
			letters++;
		else if (c != ' ' && c != ':' && c != ',' && c != '.' &&
			 c != '?' && c != '!' && c != '\'' && c != '-' &&
			 c != '#' && !is_digit(c))
			return false;
	}
	return letters * 2 > len;
}

/* Base64 that decodes to text with spaces: a sentence, not a key. */
static bool decodes_to_prose(const uint8_t *v, size_t len)
{
	uint8_t out[256];
	long n, i, spaces = 0;

	if (len < 12 || len > 340)
		return false;
	n = scan_base64_decode(v, len, out, sizeof(out));
	if (n < 8)
		return false;
	for (i = 0; i < n; i++) {
		if (out[i] < 0x20 || out[i] > 0x7e)
			return false;
		spaces += out[i] == ' ';
	}
	return spaces >= 2;
}

/*
 * The length of a printf conversion at v (%s, %d, %016llx, %-8.3f), or
 * 0. Only s and d count without a flag, width or length: "%5d" may be a
 * password's, "%08x" is code's.
 */
static size_t format_spec_len(const uint8_t *v, size_t len)
{
	size_t i = 1;
	bool decorated = false;

	if (len < 2 || v[0] != '%')
		return 0;
	while (i < len && strchr("-+ #0", v[i]) && v[i])
		i++, decorated = true;
	while (i < len && is_digit(v[i]))
		i++, decorated = true;
	if (i < len && v[i] == '.') {
		i++;
		while (i < len && is_digit(v[i]))
			i++;
		decorated = true;
	}
	while (i < len && v[i] && strchr("hlzjtL", v[i]))
		i++, decorated = true;
	if (i >= len)
		return 0;
	if (v[i] == 's' || v[i] == 'd')
		return i + 1;
	return decorated && v[i] && strchr("iouxXcpfeEgG", v[i]) ? i + 1 : 0;
}

/*
 * How many printf conversions a value holds (format strings, not
 * passwords), and in *rest how many of its bytes are not part of one.
 */
static unsigned format_specs(const uint8_t *v, size_t len, size_t *rest)
{
	unsigned n = 0;
	size_t i = 0, other = 0;

	while (i < len) {
		size_t l = format_spec_len(v + i, len - i);

		if (l) {
			n++;
			i += l;
		} else {
			other++;
			i++;
		}
	}
	if (rest)
		*rest = other;
	return n;
}

static size_t count_byte(const uint8_t *v, size_t len, uint8_t c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += v[i] == c;
	return n;
}

/*
 * A literal in a place that only ever holds a password (requirepass,
 * BINDPW, a login() call): anything but a placeholder, a reference or a
 * word counts, including all-lowercase app passwords.
 */
static bool check_literal(const uint8_t *v, size_t len)
{
	static const char *const words[] = {
		"password", "passwd",	"secret",   "changeme",	  "example",
		"foobar",   "username", "yourpass", "mypassword", "pass",
	};
	size_t i;

	if (len < 6 || strchr("$%{<[(", v[0]))
		return false;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == len && has_nocase(v, len, words[i]))
			return false;
	/* a short lowercase word is a fixture ("wrongpass"), not a secret */
	for (i = 0; i < len && is_lower(v[i]); i++)
		;
	if (i == len && len < 12)
		return false;
	return scan_entropy(v, len) >= 2.5;
}

/* Names and numbers joined by + - *: FToken+C, BASE+185 */
static bool looks_like_sum(const uint8_t *v, size_t len)
{
	size_t i = 0, parts = 0, numbers = 0;

	while (i < len) {
		size_t j = i;
		bool number = true;

		while (j < len && v[j] != '+' && v[j] != '-' && v[j] != '*') {
			number &= is_digit(v[j]);
			j++;
		}
		if (j == i || !(number || segment_is_name(v + i, j - i)))
			return false;
		parts++;
		numbers += number;
		i = j + 1;
	}
	return parts >= 2 && numbers && memchr(v, '+', len) != NULL;
}

static bool names_a_secret(const uint8_t *v, size_t len)
{
	static const char *const words[] = {
		"password", "passwd",	  "secret",	"token",       "apikey",
		"api_key",  "credential", "privatekey", "private_key",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (has_nocase(v, len, words[i]))
			return true;
	return false;
}

/* name(...) or name[...]: an expression, not a literal */
static bool looks_like_call(const uint8_t *v, size_t len)
{
	size_t i = 0;

	while (i < len && (is_lower(v[i]) || is_upper(v[i]) || is_digit(v[i]) ||
			   v[i] == '_' || v[i] == '.'))
		i++;
	if (i == 0 || i == len || (v[i] != '(' && v[i] != '['))
		return false;
	return v[len - 1] == ')' || v[len - 1] == ']';
}

/*
 * Is an assigned value (password = VALUE) plausibly a secret rather than
 * a reference to one, a word, a number, a path or a version? Real
 * secrets are random or at least mix letters with digits or symbols;
 * configuration that merely names a secret is made of words.
 */
static bool check_value(const uint8_t *v, size_t len)
{
	static const char *const words[] = {
		"password", "passwd",	 "secret",   "changeme",    "example",
		"sample",   "dummy",	 "redacted", "placeholder", "null",
		"none",	    "undefined", "required", "optional",    "string",
		"your",	    "enter",	 "insert",   "replace",	    "todo",
		"default",  "hidden",	 "masked",   "empty",	    "true",
		"false",    "token",	 "value",    "admin",	    "root",
		"guest",    "test",	 "user",     "pass",	    "env",
	};
	size_t lower = 0, upper = 0, digit = 0, other = 0, i, transitions = 0;
	size_t word_chars = 0, unformatted;
	unsigned specs;
	double h;

	if (len < 8)
		return false;
	/* references: $VAR, %(x)s, {x}, <x>, ~/x, ./x */
	if (strchr("$%{<:[(~.", v[0]))
		return false;
	/* YAML anchors, aliases and tags, annotations: &x, *x, !x, @x */
	if (strchr("&*!@#", v[0])) {
		for (i = 1; i < len; i++)
			if (!is_lower(v[i]) && !is_upper(v[i]) && v[i] != '_' &&
			    v[i] != '-')
				break;
		if (i == len)
			return false;
	}
	/* absolute paths, but not base64 that happens to start with '/' */
	if (v[0] == '/' && !memchr(v, '+', len) &&
	    (memchr(v + 1, '/', len - 1) || memchr(v, '.', len)))
		return false;
	if (memmem(v, len, "://", 3))
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = v[i];

		if (is_lower(c))
			lower++;
		else if (is_upper(c))
			upper++;
		else if (is_digit(c))
			digit++;
		else
			other++;
		if (i && (is_lower(c) != is_lower(v[i - 1])))
			transitions++;
	}
	/* code rather than a literal: getSecret('x'), env["KEY"] */
	if (looks_like_call(v, len))
		return false;
	/* numbers, versions, dates */
	if (!lower && !upper)
		return false;
	/* dotted identifiers: config.password, exports2.TOKEN, ed25519.Key */
	if (memchr(v, '.', len) && looks_like_dotted_name(v, len))
		return false;
	/*
	 * A value in a checksummed token format (ghp_, npm_...) whose
	 * checksum fails is a made-up token, whatever name it is assigned to.
	 */
	if (len == 40 && v[3] == '_' &&
	    (!memcmp(v, "gh", 2) || !memcmp(v, "npm", 3)) &&
	    !check_github_crc32(v, len))
		return false;
	/* a label or a constant's name: DEPRECATED:, NOT_SET, ERRLOG2_BASE */
	if (!lower && !digit && len < 20)
		return false;
	if (!lower && memchr(v, '_', len) && segment_is_name(v, len))
		return false;
	/*
	 * a name ending a sentence or an option list: Credentials., name=,
	 * "LoadCredential=/SetCredential=" in a program's help text
	 */
	if ((v[len - 1] == '.' || v[len - 1] == '=') && len % 4 &&
	    (segment_is_name(v, len - 1) ||
	     looks_like_dotted_name(v, len - 1) ||
	     (v[0] == '/' && segment_is_name(v + 1, len - 2))))
		return false;
	if (v[len - 1] == ':')
		return false;
	/* a name that spells its own key: "awsimdsv2sessiontoken" */
	if (names_a_secret(v, len) &&
	    (!upper || !lower || segment_is_name(v, len)))
		return false;
	/* expressions: FToken+C, BuildToken+ */
	if ((v[len - 1] == '+' && segment_is_name(v, len - 1)) ||
	    looks_like_sum(v, len))
		return false;
	/* regex patterns, host names and e-mail addresses */
	if (memmem(v, len, ".*", 2) || memmem(v, len, ".+", 2) ||
	    has_nocase(v, len, ".com") || has_nocase(v, len, ".org") ||
	    has_nocase(v, len, ".net") || has_nocase(v, len, ".io"))
		return false;
	/* modular crypt hashes: pbkdf2_sha256$600000$salt$hash, $6$s$h */
	if (count_byte(v, len, '$') >= 3)
		return false;
	/*
	 * format strings and code: "%s on %s", 0x%016llx (too little left
	 * around its conversions to be a secret), p->pw, pEntry^.pw_passwd
	 */
	specs = format_specs(v, len, &unformatted);
	if (specs >= (memchr(v, ' ', len) ? 1u : 2u) ||
	    (specs && unformatted < 8) || memmem(v, len, "->", 2) ||
	    memmem(v, len, "^.", 2))
		return false;
	/* references into a secret store: arn:aws:..., vault:kv/db#pw */
	if (looks_like_store_ref(v, len))
		return false;
	/* a regex literal: /^Unexpected token/ */
	if (v[0] == '/' && len > 1 && v[1] == '^')
		return false;
	/* prose: "New password: ", "Enter your token" */
	if (memchr(v, ' ', len) && looks_like_prose(v, len))
		return false;
	/* base64 of prose: 'bm90IG15IHJlYWwgcGFzc3dvcmQ=' */
	if (decodes_to_prose(v, len))
		return false;
	/* file paths: a slash and an extension-like tail */
	if (memchr(v, '/', len) && memchr(v, '.', len) &&
	    (is_lower(v[len - 1])) && len < 40)
		return false;
	h = scan_entropy(v, len);
	if (h < 2.5)
		return false;
	/*
	 * words and identifiers: letters and separators only (a comma too:
	 * firmware and device-tree names, rtas_token("ibm,get-xive"))
	 */
	for (i = 0; i < len; i++)
		if (is_lower(v[i]) || is_upper(v[i]) || v[i] == '_' ||
		    v[i] == '-' || v[i] == '.' || v[i] == ' ' || v[i] == ',')
			word_chars++;
	if (word_chars == len) {
		/* random letters flip case often, CamelCase rarely */
		if (len < 16 || !lower || !upper || h < 3.5 ||
		    transitions * 3 < len)
			return false;
	}
	if (looks_like_vendor_name(v, len))
		return false;
	/* words and numbers joined: scram-sha-256, aes-256-cbc, utf8_v2 */
	if (!upper && looks_like_words(v, len) && h < 3.6)
		return false;
	/* snake or kebab identifiers with a version digit: app_secret_v2 */
	if (!upper && !other && digit * 6 < len && h < 3.2)
		return false;
	if (!upper && digit == 0 && other && h < 3.5)
		return false;
	/* a value that is only a well-known word plus digits */
	if (len - digit <= 12) {
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t wl = strlen(words[i]);

			if (has_nocase(v, len, words[i]) &&
			    wl + digit + 2 >= len && len < 14)
				return false;
		}
	}
	return true;
}

static uint8_t lower_ascii(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static uint32_t bech32_step(uint32_t chk, uint32_t val)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
					0x3d4233dd, 0x2a1462b3};
	uint32_t top = chk >> 25;
	int k;

	chk = ((chk & 0x1ffffff) << 5) ^ val;
	for (k = 0; k < 5; k++)
		if ((top >> k) & 1)
			chk ^= gen[k];
	return chk;
}

/*
 * Bech32 (BIP 173), as age secret keys use: "hrp1" + data whose last six
 * characters are a BCH checksum over the lowercased whole.
 */
static bool check_bech32(const uint8_t *v, size_t len)
{
	static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	size_t i, hrp_len = 0;
	uint32_t chk = 1;
	bool sep = false;

	for (i = 0; i < len; i++)
		if (v[i] == '1') {
			hrp_len = i;
			sep = true;
		}
	if (!sep || !hrp_len || len - hrp_len < 8)
		return false;
	for (i = 0; i < hrp_len; i++)
		chk = bech32_step(chk, lower_ascii(v[i]) >> 5);
	chk = bech32_step(chk, 0);
	for (i = 0; i < hrp_len; i++)
		chk = bech32_step(chk, lower_ascii(v[i]) & 31u);
	for (i = hrp_len + 1; i < len; i++) {
		uint8_t c = lower_ascii(v[i]);
		const char *p = c ? strchr(charset, c) : NULL;

		if (!p)
			return false;
		chk = bech32_step(chk, (uint32_t)(p - charset));
	}
	return chk == 1;
}

/*
 * A URI's password must differ from its user and from stock defaults, and
 * documentation URIs (user:pass@example.com) are not credentials.
 */
static bool check_uri_password(const uint8_t *user, size_t ulen,
			       const uint8_t *pw, size_t plen,
			       const uint8_t *host, size_t hlen)
{
	static const char *const defaults[] = {
		"password", "pass",	"passwd",   "secret",  "pwd",
		"postgres", "root",	"admin",    "guest",   "user",
		"mysql",    "redis",	"changeme", "test",    "example",
		"mongo",    "rabbitmq", "sa",	    "default", "xxx",
		"***",	    "letmein",	"foo",	    "bar",
	};
	static const char *const doc_users[] = {
		"user", "username", "usr", "login", "name", "foo", "me", "abc",
	};
	size_t i;

	/* Perl and shell strings escape the '@': "http://admin:admin\@host" */
	if (plen && pw[plen - 1] == '\\')
		plen--;
	if (plen < 3)
		return false;
	if (ulen == plen && !memcmp(user, pw, plen))
		return false;
	if (pw[0] == '$' || pw[0] == '<' || pw[0] == '{' || pw[0] == '%' ||
	    pw[0] == '*' || pw[0] == '[')
		return false;
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strlen(defaults[i]) == plen &&
		    has_nocase(pw, plen, defaults[i]))
			return false;
	for (i = 0; i < sizeof(doc_users) / sizeof(doc_users[0]); i++)
		if (strlen(doc_users[i]) == ulen &&
		    has_nocase(user, ulen, doc_users[i]) && plen < 12)
			return false;
	if (hlen > 64)
		hlen = 64;
	if (has_nocase(host, hlen, "example.") ||
	    has_nocase(host, hlen, ".example"))
		return false;
	/* host:port@... seen as user:password is a false match */
	for (i = 0; i < plen && is_digit(pw[i]); i++)
		;
	if (i == plen && plen <= 5)
		return false;
	return true;
}

bool scan_validate(const struct scan_rule *r, const uint8_t *buf, size_t len,
		   const PCRE2_SIZE *ov, uint32_t n_pairs)
{
	uint32_t g = r->secret_group;
	const uint8_t *v = buf + ov[2 * g];
	size_t vl = ov[2 * g + 1] - ov[2 * g];

	if ((r->checks & SCAN_CHECK_GITHUB_CRC32) && !check_github_crc32(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_JWT) && !check_jwt(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_BECH32) && !check_bech32(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_PEM_BODY) &&
	    !check_pem_body(buf, len, ov[1]))
		return false;
	if ((r->checks & SCAN_CHECK_USERPASS) && !check_userpass(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_B64_KEY) && !check_b64_private_key(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_HEX_KEY) && !check_hex_private_key(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_VALUE) && !check_value(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_LITERAL) && !check_literal(v, vl))
		return false;
	if ((r->checks & SCAN_CHECK_BASE64) &&
	    scan_base64_decode(v, vl, NULL, 0) < 0)
		return false;
	if (r->checks & SCAN_CHECK_URI_PASSWORD) {
		const uint8_t *u = v;
		size_t ul = 0;

		if (g >= 1 && g - 1 < n_pairs &&
		    ov[2 * (g - 1)] != PCRE2_UNSET) {
			u = buf + ov[2 * (g - 1)];
			ul = ov[2 * (g - 1) + 1] - ov[2 * (g - 1)];
		}
		if (!check_uri_password(u, ul, v, vl, v + vl,
					len - ov[2 * g + 1]))
			return false;
	}
	return true;
}
