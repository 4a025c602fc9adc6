/*
 * The content scanner: one prefilter pass finds keyword hits, and only
 * the lines around a hit go through the hit rule's regex and checks.
 *
 * A built scanner is never written again, so any number of threads scan
 * with it at once; everything a scan mutates (PCRE2 match data, the JIT
 * stack, the per-rule progress) lives in that call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"

/* The part of a long line (minified code, data: URIs) searched per hit. */
#define SCAN_LINE_REACH 2048
#define SCAN_MAX_PAIRS	32

int gfs_scanner_new(struct gfs_scanner **out)
{
	struct gfs_scanner *s;
	char err[256];
	unsigned line = 0;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = scan_prefilter_new(&s->pf);
	if (!rc)
		rc = gfs_scanner_add_rules(s, gfs_builtin_secret_rules,
					   gfs_builtin_secret_rules_len,
					   "secrets.rules", &line, err,
					   sizeof(err));
	if (rc) {
		if (rc == -EINVAL)
			fprintf(stderr, "guardfs: built-in rules: %s\n", err);
		gfs_scanner_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void gfs_scanner_free(struct gfs_scanner *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_rules; i++)
		scan_rule_free(s->rules[i]);
	free(s->rules);
	for (i = 0; i < s->n_allow; i++)
		pcre2_code_free(s->allow[i]);
	free(s->allow);
	scan_prefilter_free(s->pf);
	free(s);
}

int gfs_scanner_add_rules(struct gfs_scanner *s, const char *text, size_t len,
			  const char *origin_name, unsigned *bad_line,
			  char *err, size_t err_size)
{
	int rc = scan_rules_parse(s, text, len, origin_name, bad_line, err,
				  err_size);
	int brc = scan_prefilter_build(s->pf);

	return rc ? rc : brc;
}

int gfs_scanner_allow_value(struct gfs_scanner *s, const char *regex, char *err,
			    size_t err_size)
{
	pcre2_code *re, **list;
	int rc = scan_regex_compile(&re, regex, 0, err, err_size);

	if (rc)
		return rc;
	list = realloc(s->allow, (s->n_allow + 1) * sizeof(*list));
	if (!list) {
		pcre2_code_free(re);
		return -ENOMEM;
	}
	list[s->n_allow++] = re;
	s->allow = list;
	return 0;
}

size_t gfs_scanner_rule_count(const struct gfs_scanner *s)
{
	return s->n_rules;
}

struct scan_call {
	const struct gfs_scanner *s;
	const uint8_t *buf;
	size_t len;
	size_t *covered; /* per rule: end of the bytes already searched */
	pcre2_match_data *md;
	pcre2_match_data *md_allow;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	struct gfs_scan_finding *finding;
	int result; /* 1 found, 0 nothing yet, -errno */
	/*
	 * The first finding of a generic rule waits here while the pass
	 * looks for a specific rule, whose id tells the user more
	 * ("github-token" rather than "generic-secret-assignment").
	 */
	bool have_generic;
	struct gfs_scan_finding generic;
};

static size_t line_start(const uint8_t *buf, size_t pos, size_t reach)
{
	size_t stop = pos > reach ? pos - reach : 0;
	const uint8_t *nl = memrchr(buf + stop, '\n', pos - stop);

	return nl ? (size_t)(nl - buf) + 1 : stop;
}

static size_t line_end(const uint8_t *buf, size_t len, size_t pos, size_t reach)
{
	size_t stop = len - pos > reach ? pos + reach : len;
	const uint8_t *nl = memchr(buf + pos, '\n', stop - pos);

	return nl ? (size_t)(nl - buf) : stop;
}

static bool value_allowed(pcre2_code *const *list, size_t n, const uint8_t *v,
			  size_t vl, pcre2_match_data *md)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pcre2_match(list[i], v, vl, 0, 0, md, NULL) >= 0)
			return true;
	return false;
}

static int scan_match(struct scan_call *c, const pcre2_code *re, size_t from,
		      size_t end)
{
	int rc = pcre2_match(re, c->buf, end, from, 0, c->md, c->mctx);

	if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !c->jit_stack) {
		/* a long multi-line window: give JIT more room and retry */
		c->jit_stack =
			pcre2_jit_stack_create(64 * 1024, 1024 * 1024, NULL);
		if (!c->jit_stack)
			return -ENOMEM;
		pcre2_jit_stack_assign(c->mctx, NULL, c->jit_stack);
		rc = pcre2_match(re, c->buf, end, from, 0, c->md, c->mctx);
	}
	return rc;
}

/* Searches the region around a hit of rule ri; true when a scan must end. */
static bool scan_region(struct scan_call *c, uint32_t ri, size_t start,
			size_t end)
{
	const struct scan_rule *r = c->s->rules[ri];
	const uint8_t *buf = c->buf;
	size_t from = start;

	while (from < end) {
		PCRE2_SIZE *ov;
		uint32_t g = r->secret_group, pairs;
		struct gfs_scan_finding *f;
		size_t vs, ve, next, i;
		int rc = scan_match(c, r->re, from, end);

		if (rc == PCRE2_ERROR_NOMATCH)
			return false;
		if (rc == -ENOMEM || rc == PCRE2_ERROR_NOMEMORY) {
			c->result = -ENOMEM;
			return true;
		}
		if (rc < 0)
			return false; /* match limit: treat the region as clean
				       */
		ov = pcre2_get_ovector_pointer(c->md);
		pairs = pcre2_get_ovector_count(c->md);
		if (g >= (uint32_t)rc || ov[2 * g] == PCRE2_UNSET)
			g = 0;
		vs = ov[2 * g];
		ve = ov[2 * g + 1];
		next = vs > ov[0] ? vs : ov[0] + 1;
		if (ov[1] > next && g == 0)
			next = ov[1];
		if (next <= from)
			next = from + 1;
		from = next;
		if (r->entropy > 0 &&
		    scan_entropy(buf + vs, ve - vs) < r->entropy)
			continue;
		if (value_allowed(c->s->allow, c->s->n_allow, buf + vs, ve - vs,
				  c->md_allow) ||
		    value_allowed(r->allow, r->n_allow, buf + vs, ve - vs,
				  c->md_allow))
			continue;
		if (r->checks && !scan_validate(r, buf, c->len, ov, pairs))
			continue;
		f = r->generic ? &c->generic : c->finding;
		strcpy(f->rule_id, r->id);
		f->line = 1;
		for (i = 0; i < vs;) {
			const uint8_t *nl = memchr(buf + i, '\n', vs - i);

			if (!nl)
				break;
			f->line++;
			i = (size_t)(nl - buf) + 1;
		}
		if (r->generic) {
			c->have_generic = true;
			return false;
		}
		c->result = 1;
		return true;
	}
	return false;
}

static bool scan_on_hit(void *ctx, uint32_t ri, size_t pos)
{
	struct scan_call *c = ctx;
	const struct scan_rule *r = c->s->rules[ri];
	size_t start, end;

	if (r->generic && c->have_generic)
		return false;
	if (pos < c->covered[ri])
		return false;
	start = line_start(c->buf, pos, SCAN_LINE_REACH);
	end = line_end(c->buf, c->len, pos, SCAN_LINE_REACH);
	if (r->window) {
		start = start > r->window ? start - r->window : 0;
		start = line_start(c->buf, start, 256);
		end = c->len - end > r->window ? end + r->window : c->len;
		end = line_end(c->buf, c->len, end, 256);
	}
	if (start < c->covered[ri])
		start = c->covered[ri];
	c->covered[ri] = end;
	return scan_region(c, ri, start, end);
}

int scan_text(const struct gfs_scanner *s, const uint8_t *data, size_t len,
	      struct gfs_scan_finding *finding)
{
	struct scan_call c = {
		.s = s,
		.buf = data,
		.len = len,
		.finding = finding,
	};
	size_t covered_stack[256];

	if (!len)
		return 0;
	if (s->n_rules <= 256) {
		memset(covered_stack, 0, sizeof(covered_stack));
		c.covered = covered_stack;
	} else {
		c.covered = calloc(s->n_rules, sizeof(size_t));
		if (!c.covered)
			return -ENOMEM;
	}
	c.md = pcre2_match_data_create(SCAN_MAX_PAIRS, NULL);
	c.md_allow = pcre2_match_data_create(1, NULL);
	c.mctx = pcre2_match_context_create(NULL);
	if (!c.md || !c.md_allow || !c.mctx) {
		c.result = -ENOMEM;
		goto out;
	}
	/* bounds backtracking on adversarial input; JIT honours it too */
	pcre2_set_match_limit(c.mctx, 1000000);
	scan_prefilter_run(s->pf, data, len, scan_on_hit, &c);
	if (c.result == 0 && c.have_generic) {
		*finding = c.generic;
		c.result = 1;
	}
out:
	pcre2_match_data_free(c.md);
	pcre2_match_data_free(c.md_allow);
	pcre2_match_context_free(c.mctx);
	if (c.jit_stack)
		pcre2_jit_stack_free(c.jit_stack);
	if (c.covered != covered_stack)
		free(c.covered);
	return c.result;
}
