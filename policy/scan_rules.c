/*
 * The rules file format (documented at the top of conf/secrets.rules):
 * "[rule-id]" opens a rule, "key = value" lines fill it, "[allow]" holds
 * the global value allowlist, '#' starts a comment line, and a line that
 * begins with whitespace continues the previous value.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardfs/buf.h"
#include "scan_internal.h"

struct rules_parse {
	struct gfs_scanner *s;
	const char *origin;
	unsigned line;
	char *err;
	size_t err_size;
	struct scan_rule *rule; /* the open rule, or NULL */
	bool in_allow;		/* inside [allow] */
	struct gfs_buf keywords;
	unsigned value_line; /* where the pending key started */
};

static int rules_fail(struct rules_parse *p, unsigned line, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static int rules_fail(struct rules_parse *p, unsigned line, const char *fmt,
		      ...)
{
	va_list ap;
	int n = 0;

	p->line = line;
	if (p->err && p->err_size) {
		n = snprintf(p->err, p->err_size, "%s:%u: ", p->origin, line);
		if (n >= 0 && (size_t)n < p->err_size) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

int scan_regex_compile(pcre2_code **out, const char *pattern, uint32_t flags,
		       char *err, size_t err_size)
{
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[160];

	*out = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags,
			     &code, &off, NULL);
	if (!*out) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		if (err && err_size)
			snprintf(err, err_size, "bad regex at offset %zu: %s",
				 (size_t)off, (const char *)msg);
		return -EINVAL;
	}
	/* JIT is an optimization; without it (no JIT support) it still works */
	pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
	return 0;
}

void scan_rule_free(struct scan_rule *r)
{
	size_t i;

	if (!r)
		return;
	free(r->description);
	free(r->regex_text);
	pcre2_code_free(r->re);
	for (i = 0; i < r->n_allow; i++)
		pcre2_code_free(r->allow[i]);
	free(r->allow);
	free(r);
}

static int push_regex(pcre2_code ***list, size_t *n, pcre2_code *re)
{
	pcre2_code **p = realloc(*list, (*n + 1) * sizeof(**list));

	if (!p)
		return -ENOMEM;
	p[(*n)++] = re;
	*list = p;
	return 0;
}

static bool valid_id(const char *id)
{
	size_t i, len = strlen(id);

	if (!len || len >= sizeof(((struct scan_rule *)0)->id))
		return false;
	for (i = 0; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '-' ||
		      id[i] == '_' || id[i] == '.'))
			return false;
	return true;
}

static int parse_checks(struct rules_parse *p, const char *value, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{"github-crc32", SCAN_CHECK_GITHUB_CRC32},
		{"jwt", SCAN_CHECK_JWT},
		{"pem-body", SCAN_CHECK_PEM_BODY},
		{"base64-userpass", SCAN_CHECK_USERPASS},
		{"assigned-value", SCAN_CHECK_VALUE},
		{"uri-password", SCAN_CHECK_URI_PASSWORD},
		{"base64", SCAN_CHECK_BASE64},
		{"bech32", SCAN_CHECK_BECH32},
		{"password-literal", SCAN_CHECK_LITERAL},
		{"base64-private-key", SCAN_CHECK_B64_KEY},
		{"hex-private-key", SCAN_CHECK_HEX_KEY},
	};
	const char *s = value;

	*out = 0;
	while (*s) {
		size_t len, i;

		while (*s == ' ' || *s == ',')
			s++;
		len = strcspn(s, " ,");
		if (!len)
			break;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len &&
			    !strncmp(names[i].name, s, len))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return rules_fail(p, p->value_line,
					  "unknown check '%.*s'", (int)len, s);
		*out |= names[i].bit;
		s += len;
	}
	return 0;
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	*out = strtoul(v, &end, 10);
	return *end || *out > max ? -EINVAL : 0;
}

/* Applies one "key = value" to the open rule or to [allow]. */
static int rules_set(struct rules_parse *p, const char *key, char *value)
{
	struct scan_rule *r = p->rule;
	char msg[200];
	pcre2_code *re;
	unsigned long n;
	int rc;

	if (p->in_allow) {
		if (strcmp(key, "value"))
			return rules_fail(p, p->value_line,
					  "unknown key '%s' in [allow]", key);
		if (scan_regex_compile(&re, value, 0, msg, sizeof(msg)))
			return rules_fail(p, p->value_line, "%s", msg);
		rc = push_regex(&p->s->allow, &p->s->n_allow, re);
		if (rc)
			pcre2_code_free(re);
		return rc;
	}
	if (!r)
		return rules_fail(p, p->value_line, "key '%s' outside a rule",
				  key);
	if (!strcmp(key, "description")) {
		free(r->description);
		r->description = strdup(value);
		return r->description ? 0 : -ENOMEM;
	}
	if (!strcmp(key, "keywords")) {
		if (p->keywords.len && gfs_buf_addch(&p->keywords, ','))
			return -ENOMEM;
		return gfs_buf_adds(&p->keywords, value);
	}
	if (!strcmp(key, "regex")) {
		if (r->regex_text)
			return rules_fail(p, p->value_line, "second regex");
		r->regex_text = strdup(value);
		return r->regex_text ? 0 : -ENOMEM;
	}
	if (!strcmp(key, "secret_group")) {
		if (parse_uint(value, 64, &n))
			return rules_fail(p, p->value_line,
					  "bad secret_group '%s'", value);
		r->secret_group = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "entropy")) {
		char *end;

		r->entropy = strtod(value, &end);
		if (*end || end == value || r->entropy < 0 || r->entropy > 8)
			return rules_fail(p, p->value_line, "bad entropy '%s'",
					  value);
		return 0;
	}
	if (!strcmp(key, "validate"))
		return parse_checks(p, value, &r->checks);
	if (!strcmp(key, "window")) {
		if (parse_uint(value, 65536, &n))
			return rules_fail(p, p->value_line,
					  "bad window '%s' (0 to 65536)",
					  value);
		r->window = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "binary")) {
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return rules_fail(p, p->value_line,
					  "binary wants yes or no");
		r->binary = !strcmp(value, "yes");
		return 0;
	}
	if (!strcmp(key, "generic")) {
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return rules_fail(p, p->value_line,
					  "generic wants yes or no");
		r->generic = !strcmp(value, "yes");
		return 0;
	}
	if (!strcmp(key, "allow")) {
		if (scan_regex_compile(&re, value, 0, msg, sizeof(msg)))
			return rules_fail(p, p->value_line, "%s", msg);
		rc = push_regex(&r->allow, &r->n_allow, re);
		if (rc)
			pcre2_code_free(re);
		return rc;
	}
	return rules_fail(p, p->value_line, "unknown key '%s'", key);
}

/*
 * A keyword may hold character classes, "sk-[a-z0-9]", each standing for
 * one byte out of a set of single characters and ranges; the keyword is
 * expanded into every combination. Classes let a short, distinctive
 * prefix reach the prefilter's minimum length without listing dozens of
 * variants by hand.
 */
#define KEYWORD_MAX_EXPANSION 1024

static int keyword_expand(struct rules_parse *p, struct scan_rule *r,
			  const char *kw, size_t len, bool add)
{
	uint8_t sets[SCAN_MAX_KEYWORD][256 / 8];
	uint8_t members[SCAN_MAX_KEYWORD][256];
	unsigned counts[SCAN_MAX_KEYWORD];
	char out[256];
	unsigned idx[SCAN_MAX_KEYWORD] = {0};
	size_t n = 0, i, total = 1;
	int rc;

	for (i = 0; i < len; i++) {
		unsigned c;

		if (n == sizeof(counts) / sizeof(counts[0]) || n >= sizeof(out))
			goto too_long;
		memset(sets[n], 0, sizeof(sets[n]));
		counts[n] = 0;
		if (kw[i] != '[') {
			members[n][counts[n]++] = (uint8_t)kw[i];
			n++;
			continue;
		}
		for (i++; i < len && kw[i] != ']'; i++) {
			unsigned lo = (uint8_t)kw[i], hi = lo;

			if (i + 2 < len && kw[i + 1] == '-' &&
			    kw[i + 2] != ']') {
				hi = (uint8_t)kw[i + 2];
				i += 2;
			}
			for (c = lo; c <= hi; c++) {
				unsigned f =
					(c >= 'A' && c <= 'Z') ? c + 32 : c;

				if (sets[n][f / 8] & (1u << (f % 8)))
					continue;
				sets[n][f / 8] |= (uint8_t)(1u << (f % 8));
				members[n][counts[n]++] = (uint8_t)f;
			}
		}
		if (i == len || !counts[n])
			return rules_fail(p, r->origin_line,
					  "rule '%s': bad class in keyword "
					  "'%.*s'",
					  r->id, (int)len, kw);
		total *= counts[n];
		if (total > KEYWORD_MAX_EXPANSION)
			return rules_fail(p, r->origin_line,
					  "rule '%s': keyword '%.*s' expands "
					  "to more than %d words",
					  r->id, (int)len, kw,
					  KEYWORD_MAX_EXPANSION);
		n++;
	}
	if (n < SCAN_MIN_KEYWORD)
		goto too_long;
	if (!add)
		return 0;
	for (;;) {
		for (i = 0; i < n; i++)
			out[i] = (char)members[i][idx[i]];
		rc = scan_prefilter_add(p->s->pf, out, n,
					(uint32_t)p->s->n_rules);
		if (rc)
			return rc;
		/* next combination, odometer style */
		for (i = n; i-- > 0;) {
			if (++idx[i] < counts[i])
				break;
			idx[i] = 0;
		}
		if (i == (size_t)-1)
			return 0;
	}
too_long:
	return rules_fail(p, r->origin_line,
			  "rule '%s': keyword '%.*s' must be %d to %d bytes",
			  r->id, (int)len, kw, SCAN_MIN_KEYWORD,
			  SCAN_MAX_KEYWORD);
}

/* Checks and installs the open rule: compiles it, feeds its keywords. */
static int rules_close(struct rules_parse *p)
{
	struct scan_rule *r = p->rule, **rules;
	char msg[200];
	uint32_t captures;
	const char *kw;
	size_t i;
	int rc, pass;

	if (!r)
		return 0;
	if (!r->regex_text)
		return rules_fail(p, r->origin_line, "rule '%s' has no regex",
				  r->id);
	if (!p->keywords.len)
		return rules_fail(p, r->origin_line,
				  "rule '%s' has no keywords", r->id);
	for (i = 0; i < p->s->n_rules; i++)
		if (!strcmp(p->s->rules[i]->id, r->id))
			return rules_fail(p, r->origin_line,
					  "duplicate rule '%s'", r->id);
	if (scan_regex_compile(&r->re, r->regex_text, 0, msg, sizeof(msg)))
		return rules_fail(p, r->origin_line, "rule '%s': %s", r->id,
				  msg);
	pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &captures);
	if (r->secret_group == 0 && captures >= 1 &&
	    !(r->checks & SCAN_CHECK_URI_PASSWORD))
		r->secret_group = 1;
	if (r->secret_group > captures)
		return rules_fail(p, r->origin_line,
				  "rule '%s': secret_group %u but %u groups",
				  r->id, r->secret_group, captures);
	rules = realloc(p->s->rules, (p->s->n_rules + 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	p->s->rules = rules;
	/* two passes: no keyword is indexed for a rule that is refused */
	for (pass = 0; pass < 2; pass++) {
		kw = p->keywords.data;
		while (*kw) {
			size_t len;

			while (*kw == ',' || *kw == ' ')
				kw++;
			len = strcspn(kw, ",");
			while (len && kw[len - 1] == ' ')
				len--;
			if (!len)
				break;
			rc = keyword_expand(p, r, kw, len, pass == 1);
			if (rc)
				return rc;
			kw += len;
			while (*kw == ' ')
				kw++;
		}
	}
	p->s->rules[p->s->n_rules++] = r;
	p->rule = NULL;
	gfs_buf_reset(&p->keywords);
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int rules_open(struct rules_parse *p, char *line)
{
	char *end = strchr(line, ']');
	char *id;

	if (!end || trim(end + 1)[0])
		return rules_fail(p, p->line, "bad section header");
	*end = '\0';
	id = trim(line + 1);
	p->in_allow = !strcmp(id, "allow");
	if (p->in_allow)
		return 0;
	if (!valid_id(id))
		return rules_fail(p, p->line,
				  "bad rule id '%s' (a-z 0-9 - _ ., at most "
				  "63)",
				  id);
	p->rule = calloc(1, sizeof(*p->rule));
	if (!p->rule)
		return -ENOMEM;
	strcpy(p->rule->id, id);
	p->rule->origin_line = p->line;
	return 0;
}

int scan_rules_parse(struct gfs_scanner *s, const char *text, size_t len,
		     const char *origin, unsigned *bad_line, char *err,
		     size_t err_size)
{
	struct rules_parse p = {
		.s = s,
		.origin = origin,
		.err = err,
		.err_size = err_size,
		.keywords = GFS_BUF_INIT,
	};
	struct gfs_buf key = GFS_BUF_INIT, value = GFS_BUF_INIT;
	struct gfs_buf line = GFS_BUF_INIT;
	size_t pos = 0;
	unsigned lineno = 0;
	int rc = 0;

	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - text - pos) : len - pos;
		char *l, *eq;
		bool cont;

		lineno++;
		gfs_buf_reset(&line);
		if (memchr(text + pos, '\0', ll)) {
			rc = rules_fail(&p, lineno, "NUL byte in rules");
			break;
		}
		rc = gfs_buf_add(&line, text + pos, ll);
		pos += ll + (nl ? 1 : 0);
		if (rc)
			break;
		cont = line.data[0] == ' ' || line.data[0] == '\t';
		l = trim(line.data);
		if (!*l || *l == '#')
			continue;
		if (cont && key.len) {
			rc = gfs_buf_adds(&value, l);
			continue;
		}
		/* a complete pending key = value is applied now */
		if (key.len) {
			rc = rules_set(&p, key.data, value.data);
			gfs_buf_reset(&key);
			gfs_buf_reset(&value);
			if (rc)
				break;
		}
		p.line = lineno;
		if (*l == '[') {
			rc = rules_close(&p);
			if (!rc)
				rc = rules_open(&p, l);
			continue;
		}
		eq = strchr(l, '=');
		if (!eq) {
			rc = rules_fail(&p, lineno, "expected key = value");
			break;
		}
		*eq = '\0';
		p.value_line = lineno;
		rc = gfs_buf_adds(&key, trim(l));
		if (!rc)
			rc = gfs_buf_adds(&value, trim(eq + 1));
		if (!rc && !key.len)
			rc = rules_fail(&p, lineno, "empty key");
	}
	if (!rc && key.len)
		rc = rules_set(&p, key.data, value.data);
	if (!rc)
		rc = rules_close(&p);
	if (rc && bad_line)
		*bad_line = p.line ? p.line : lineno;
	if (rc == -ENOMEM && err && err_size)
		snprintf(err, err_size, "%s: out of memory", origin);
	scan_rule_free(p.rule);
	gfs_buf_release(&p.keywords);
	gfs_buf_release(&key);
	gfs_buf_release(&value);
	gfs_buf_release(&line);
	return rc;
}
