/* Glob programs: compiling gitignore patterns, and git's wildmatch. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"

int gfs_glob_wild(const struct tok *p, const unsigned char *t,
		  const unsigned char *end, uint8_t (*classes)[32], bool fold)
{
	for (;; p++, t++) {
		unsigned char c;
		int m;

		if (p->type == TOK_END)
			return t == end ? WM_MATCH : WM_NOMATCH;
		if (t == end && p->type != TOK_STAR &&
		    p->type != TOK_DSTAR_SLASH && p->type != TOK_DSTAR_END)
			return WM_ABORT_ALL;
		c = t < end ? *t : 0;
		if (fold)
			c = fold_byte(c);
		switch (p->type) {
		case TOK_LIT:
			if (c != p->ch)
				return WM_NOMATCH;
			break;
		case TOK_ANY:
			if (c == '/')
				return WM_NOMATCH;
			break;
		case TOK_CLASS:
			if (!(classes[p->cls][c >> 3] & (1u << (c & 7))))
				return WM_NOMATCH;
			break;
		case TOK_DSTAR_END:
			return WM_MATCH;
		case TOK_DSTAR_SLASH:
			/* First as if it matched no directory at all. */
			if (!p->ch && gfs_glob_wild(p + 1, t, end, classes,
						    fold) == WM_MATCH)
				return WM_MATCH;
			for (;;) {
				if (t == end)
					return WM_ABORT_ALL;
				while (t < end && *t != '/')
					t++;
				if (t == end)
					return WM_NOMATCH;
				m = gfs_glob_wild(p + 1, t + 1, end, classes,
						  fold);
				if (m != WM_NOMATCH &&
				    m != WM_ABORT_TO_STARSTAR)
					return m;
				t++;
			}
		case TOK_STAR:
			if (p[1].type == TOK_END)
				return memchr(t, '/', end - t) ? WM_NOMATCH
							       : WM_MATCH;
			if (p[1].type == TOK_LIT && p[1].ch == '/') {
				/* '*' cannot cross '/': stop at the first */
				const unsigned char *slash =
					memchr(t, '/', end - t);

				if (!slash)
					return WM_NOMATCH;
				p++;
				t = slash;
				break;
			}
			for (;;) {
				if (t == end)
					return WM_ABORT_ALL;
				if (p[1].type == TOK_LIT) {
					/* Skip to where the next literal is. */
					while (t < end && *t != '/' &&
					       (fold ? fold_byte(*t) : *t) !=
						       p[1].ch)
						t++;
					if (t == end || *t == '/')
						return WM_NOMATCH;
				}
				m = gfs_glob_wild(p + 1, t, end, classes, fold);
				if (m != WM_NOMATCH)
					return m;
				if (*t == '/')
					return WM_ABORT_TO_STARSTAR;
				t++;
			}
		}
	}
}

static bool is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* POSIX classes in the C locale, as git's sane_ctype has them. */
static int class_test(const char *name, size_t n, int c, bool *ok)
{
	static const char *const names[] = {
		"alnum", "alpha", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "xdigit",
	};
	bool graph = c > 0x20 && c < 0x7f;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			break;
	switch (i) {
	case 0:
		*ok = is_upper(c) || is_lower(c) || is_digit(c);
		return 0;
	case 1:
		*ok = is_upper(c) || is_lower(c);
		return 0;
	case 2:
		*ok = c == ' ' || c == '\t';
		return 0;
	case 3:
		*ok = c < 0x20 || c == 0x7f;
		return 0;
	case 4:
		*ok = is_digit(c);
		return 0;
	case 5:
		*ok = graph;
		return 0;
	case 6:
		*ok = is_lower(c);
		return 0;
	case 7:
		*ok = graph || c == ' ';
		return 0;
	case 8:
		*ok = graph && !is_upper(c) && !is_lower(c) && !is_digit(c);
		return 0;
	case 9:
		*ok = c == ' ' || (c >= '\t' && c <= '\r');
		return 0;
	case 10:
		*ok = is_upper(c);
		return 0;
	case 11:
		*ok = is_digit(c) || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F');
		return 0;
	}
	return -EINVAL;
}

static void set_bit(uint8_t *set, unsigned c)
{
	set[c >> 3] |= 1u << (c & 7);
}

static bool has_bit(const uint8_t *set, unsigned c)
{
	return set[c >> 3] & (1u << (c & 7));
}

/*
 * Compiles the class starting after '[' at s[*pos] into a 256-bit set,
 * parsing exactly as wildmatch() does ("[]x]", "[a-]", "[[:alpha:]]", a
 * '[' that starts no class name). Returns -EINVAL where wildmatch would
 * give up (unterminated class, unknown class name) so that a broken rule
 * is reported instead of silently never matching. When folding, a member
 * letter stands for both cases; git 2.39 compares single members against
 * the lowered text unfolded, so its "[A]" never matches anything, which
 * we take for a bug rather than a rule to copy.
 */
static int compile_class(const char *s, size_t *pos, bool fold, uint8_t *set)
{
	size_t i = *pos;
	bool negated = false;
	unsigned prev = 0, c, lo;

	memset(set, 0, 32);
	if (s[i] == '!' || s[i] == '^') {
		negated = true;
		i++;
	}
	do {
		c = (unsigned char)s[i];
		if (!c)
			return -EINVAL;
		if (c == '\\') {
			c = (unsigned char)s[++i];
			if (!c)
				return -EINVAL;
			set_bit(set, c);
		} else if (c == '-' && prev && s[i + 1] && s[i + 1] != ']') {
			c = (unsigned char)s[++i];
			if (c == '\\') {
				c = (unsigned char)s[++i];
				if (!c)
					return -EINVAL;
			}
			for (lo = prev; lo <= c; lo++)
				set_bit(set, lo);
			c = 0; /* a range cannot start another range */
		} else if (c == '[' && s[i + 1] == ':') {
			size_t start = i + 2, j = start;

			while (s[j] && s[j] != ']')
				j++;
			if (!s[j])
				return -EINVAL;
			if (j < start + 1 || s[j - 1] != ':') {
				/* No ":]": the '[' is an ordinary member. */
				set_bit(set, '[');
			} else {
				unsigned k;

				for (k = 1; k < 256; k++) {
					bool ok;

					if (class_test(s + start, j - start - 1,
						       (int)k, &ok))
						return -EINVAL;
					if (ok)
						set_bit(set, k);
				}
				i = j;
				c = 0;
			}
		} else {
			set_bit(set, c);
		}
		prev = c;
		i++;
	} while (s[i] != ']');
	*pos = i + 1;

	if (fold)
		for (c = 'a'; c <= 'z'; c++)
			if (has_bit(set, c) || has_bit(set, c - ('a' - 'A'))) {
				set_bit(set, c);
				set_bit(set, c - ('a' - 'A'));
			}
	if (negated)
		for (c = 0; c < 32; c++)
			set[c] = (uint8_t)~set[c];
	/* With WM_PATHNAME a class never matches '/'; nothing matches NUL. */
	set[0] &= (uint8_t)~1u;
	set['/' >> 3] &= (uint8_t) ~(1u << ('/' & 7));
	return 0;
}

int gfs_glob_compile(const char *s, size_t len, bool fold, bool anchored,
		     struct tok **toks_out, uint8_t (**classes_out)[32])
{
	size_t i = 0, n = 0, ncls = 0, nbrackets = 0;
	bool seen_special = false;
	struct tok *toks;
	int rc;

	for (i = 0; i < len; i++)
		if (s[i] == '[')
			nbrackets++;
	toks = calloc(len + 1, sizeof(*toks));
	if (!toks)
		return -ENOMEM;
	if (nbrackets) {
		if (nbrackets > UINT16_MAX) {
			free(toks);
			return -EINVAL;
		}
		*classes_out = calloc(nbrackets, sizeof(**classes_out));
		if (!*classes_out) {
			free(toks);
			return -ENOMEM;
		}
	}
	*toks_out = toks;

	i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		bool first_special = !seen_special;
		size_t run;

		if (c == '\\' || c == '?' || c == '[' || c == '*')
			seen_special = true;
		switch (c) {
		case '\\':
			/* A trailing backslash would never match: refuse it. */
			if (i + 1 >= len)
				return -EINVAL;
			c = (unsigned char)s[i + 1];
			toks[n].type = TOK_LIT;
			toks[n++].ch = fold ? fold_byte(c) : c;
			i += 2;
			break;
		case '?':
			toks[n++].type = TOK_ANY;
			i++;
			break;
		case '[':
			i++;
			rc = compile_class(s, &i, fold, (*classes_out)[ncls]);
			if (rc)
				return rc;
			toks[n].type = TOK_CLASS;
			toks[n++].cls = (uint16_t)ncls++;
			break;
		case '*':
			for (run = 0; i + run < len && s[i + run] == '*'; run++)
				;
			toks[n].type = TOK_STAR;
			/*
			 * git compares an anchored rule's fixed prefix first
			 * and runs wildmatch on the rest, so a "**" that is
			 * the first wildcard counts as being at the start:
			 * "b**∕x" matches "b/x" and "bc/d/x". Do the same.
			 */
			if (run >= 2 && (i == 0 || s[i - 1] == '/' ||
					 (anchored && first_special))) {
				size_t after = i + run;

				if (after == len) {
					toks[n].type = TOK_DSTAR_END;
				} else if (s[after] == '/') {
					toks[n].type = TOK_DSTAR_SLASH;
					run++;
				} else if (s[after] == '\\' &&
					   after + 1 < len &&
					   s[after + 1] == '/') {
					/* wildmatch skips the zero-dir try. */
					toks[n].type = TOK_DSTAR_SLASH;
					toks[n].ch = 1;
					run += 2;
				}
			}
			n++;
			i += run;
			break;
		default:
			toks[n].type = TOK_LIT;
			toks[n++].ch = fold ? fold_byte(c) : c;
			i++;
		}
	}
	toks[n].type = TOK_END;
	return 0;
}
