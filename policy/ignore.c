#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "guardfs/ignore.h"

/*
 * How a list is matched fast.
 *
 * Every rule is compiled once, when it is added, into one of a few kinds:
 * a literal (a basename, a path anchored at the root, or a path that may
 * sit at any depth behind a leading two-star slash), a "*suffix" over the
 * basename, a "**∕name∕**" that holds everything below a directory of
 * that name, or a general glob program. Literal rules live in a hash
 * table keyed by the (casefolded) basename, rules whose fixed tail has an
 * extension in a second table keyed by that extension, other basename
 * rules with a fixed tail of two bytes or more ("*_rsa") in a third keyed
 * by those last two bytes, "**∕name∕**" rules in a fourth keyed by the
 * name and looked up once per directory component of the path, globs
 * with a fixed head in lists keyed by the head's first byte, and the few
 * left over in one list that every match scans.
 *
 * A rule's index in ig->rules is its sequence number. Every bucket and list
 * is kept in sequence order, so a match scans each candidate set from the
 * newest rule down and stops at the first one that matches or as soon as
 * it reaches a rule older than the best match found so far: the last
 * matching rule of the whole list wins, exactly as if every rule had been
 * tried in order. The indexes only choose which rules are worth trying;
 * rule_matches() always checks the full condition.
 *
 * Nothing here allocates or writes while matching, so a built list may be
 * shared by any number of threads.
 */

enum rule_kind {
	RULE_NEVER,    /* empty pattern ("!" or "/"): counted, never matches */
	RULE_LIT_BASE, /* "name": the basename equals lit */
	RULE_LIT_PATH, /* "a/b", "/a": the whole path equals lit */
	RULE_LIT_ANYDEPTH, /* "**∕a/b": the path is lit or ends in "/lit" */
	RULE_SUFFIX,	   /* "*tail": the basename ends with lit */
	RULE_UNDER, /* "**∕lit∕**": a directory component of the path is lit */
	RULE_GLOB_BASE, /* general glob on the basename */
	RULE_GLOB_PATH, /* general glob on the whole path */
};

/* Which candidate set holds a rule. */
enum rule_home {
	HOME_NONE,
	HOME_LIT,	 /* ig->lit, keyed by the literal's basename */
	HOME_EXT,	 /* ig->ext, keyed by the fixed tail's extension */
	HOME_TAIL,	 /* ig->tail, keyed by the last two bytes of the tail */
	HOME_UNDER,	 /* ig->under, keyed by the directory name */
	HOME_BASE_FIRST, /* ig->base_first[first byte of the basename] */
	HOME_PATH_FIRST, /* ig->path_first[first byte of the path] */
	HOME_REST,	 /* ig->rest, tried for every path */
};

struct rule {
	char *origin;
	char *lit; /* literal kinds: the literal; globs: head then tail */
	size_t lit_len;
	size_t head_len; /* globs: fixed bytes the text must start with */
	size_t tail_len; /* globs: fixed bytes it must end with (lit + head) */
	size_t min_len;	 /* globs: the text is at least this long */
	struct tok *toks;
	uint8_t (*classes)[32];
	uint64_t key_hash; /* HOME_LIT and HOME_EXT */
	int next;	   /* next older rule in the same hash bucket, or -1 */
	uint8_t kind;
	uint8_t home;
	bool negated;
	bool dir_only;
};

struct rule_vec {
	int *idx;
	size_t len;
	size_t cap;
};

/* Chained hash table; heads[b] is the newest rule in bucket b, or -1. */
struct rule_table {
	int *heads;
	size_t mask;
	size_t count;
};

struct gfs_ignore {
	struct rule *rules;
	size_t len;
	size_t cap;
	bool fold;
	struct rule_table lit;
	struct rule_table ext;
	struct rule_table tail;
	struct rule_table under;
	/* under_sig() of every name in ig->under: most components of a
	 * path are skipped without hashing them. */
	uint64_t under_sigs[64];
	long under_newest; /* the newest rule in ig->under, or -1 */
	struct rule_vec base_first[256];
	struct rule_vec path_first[256];
	struct rule_vec rest;
};

/* What a path is matched as: itself, its basename, whether it is a dir. */
struct subject {
	const unsigned char *path;
	size_t len;
	const unsigned char *base;
	size_t base_len;
	bool is_dir;
};

/* FNV-1a over the folded bytes, so keys need no folded copy to hash. */
static uint64_t key_hash(const unsigned char *s, size_t n, bool fold)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= fold ? fold_byte(s[i]) : s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Compares text to lit, which was folded when the rule was compiled. */
static bool text_eq(const unsigned char *text, const char *lit, size_t n,
		    bool fold)
{
	size_t i;

	if (!fold)
		return memcmp(text, lit, n) == 0;
	for (i = 0; i < n; i++)
		if (fold_byte(text[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

/* Copies the run of literal tokens toks[from, to) into dst. */
static void copy_lits(char *dst, const struct tok *toks, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		*dst++ = (char)toks[i].ch;
	*dst = '\0';
}

/* Decides r->kind from r->toks and fills lit, head, tail and min_len. */
static int classify(struct rule *r, bool anchored)
{
	size_t n, i, first_wild, last_wild;
	bool all_lit = true;

	for (n = 0; r->toks[n].type != TOK_END; n++)
		if (r->toks[n].type != TOK_LIT)
			all_lit = false;
	if (n == 0) {
		r->kind = RULE_NEVER;
		return 0;
	}
	first_wild = n;
	last_wild = 0;
	for (i = 0; i < n; i++) {
		if (r->toks[i].type == TOK_LIT || r->toks[i].type == TOK_ANY ||
		    r->toks[i].type == TOK_CLASS)
			r->min_len++;
		if (r->toks[i].type != TOK_LIT) {
			if (first_wild == n)
				first_wild = i;
			last_wild = i;
		}
	}

	if (all_lit) {
		r->kind = anchored ? RULE_LIT_PATH : RULE_LIT_BASE;
		r->lit = malloc(n + 1);
		if (!r->lit)
			return -ENOMEM;
		copy_lits(r->lit, r->toks, 0, n);
		r->lit_len = n;
		return 0;
	}
	if (anchored && first_wild == 0 && last_wild == 0 &&
	    r->toks[0].type == TOK_DSTAR_SLASH && !r->toks[0].ch && n > 1) {
		r->kind = RULE_LIT_ANYDEPTH;
		r->lit = malloc(n);
		if (!r->lit)
			return -ENOMEM;
		copy_lits(r->lit, r->toks, 1, n);
		r->lit_len = n - 1;
		return 0;
	}
	if (anchored && n >= 4 && first_wild == 0 && last_wild == n - 1 &&
	    r->toks[0].type == TOK_DSTAR_SLASH && !r->toks[0].ch &&
	    r->toks[n - 1].type == TOK_DSTAR_END &&
	    r->toks[n - 2].type == TOK_LIT && r->toks[n - 2].ch == '/') {
		/* "**∕name∕**" with a plain name: wildcards only at the ends */
		for (i = 1; i < n - 2; i++)
			if (r->toks[i].type != TOK_LIT || r->toks[i].ch == '/')
				break;
		if (i == n - 2) {
			r->kind = RULE_UNDER;
			r->lit = malloc(n - 2);
			if (!r->lit)
				return -ENOMEM;
			copy_lits(r->lit, r->toks, 1, n - 2);
			r->lit_len = n - 3;
			return 0;
		}
	}
	if (!anchored && first_wild == 0 && last_wild == 0 &&
	    r->toks[0].type == TOK_STAR) {
		r->kind = RULE_SUFFIX;
		r->lit = malloc(n);
		if (!r->lit)
			return -ENOMEM;
		copy_lits(r->lit, r->toks, 1, n);
		r->lit_len = n - 1;
		return 0;
	}
	r->kind = anchored ? RULE_GLOB_PATH : RULE_GLOB_BASE;
	r->head_len = first_wild;
	r->tail_len = n - 1 - last_wild;
	r->lit = malloc(r->head_len + r->tail_len + 2);
	if (!r->lit)
		return -ENOMEM;
	copy_lits(r->lit, r->toks, 0, first_wild);
	copy_lits(r->lit + r->head_len + 1, r->toks, last_wild + 1, n);
	return 0;
}

static bool glob_matches(const struct rule *r, const unsigned char *text,
			 size_t len, bool fold)
{
	const char *tail = r->lit + r->head_len + 1;

	if (len < r->min_len)
		return false;
	if (r->tail_len &&
	    !text_eq(text + len - r->tail_len, tail, r->tail_len, fold))
		return false;
	if (r->head_len && !text_eq(text, r->lit, r->head_len, fold))
		return false;
	return gfs_glob_wild(r->toks, text, text + len, r->classes, fold) ==
	       WM_MATCH;
}

/* Some component of s before its basename is r->lit. */
static bool under_matches(const struct rule *r, const struct subject *s,
			  bool fold)
{
	const unsigned char *p = s->path, *end = s->path + s->len, *slash;

	while ((slash = memchr(p, '/', (size_t)(end - p)))) {
		if ((size_t)(slash - p) == r->lit_len &&
		    text_eq(p, r->lit, r->lit_len, fold))
			return true;
		p = slash + 1;
	}
	return false;
}

static bool rule_matches(const struct rule *r, const struct subject *s,
			 bool fold)
{
	if (r->dir_only && !s->is_dir)
		return false;
	switch (r->kind) {
	case RULE_LIT_BASE:
		return s->base_len == r->lit_len &&
		       text_eq(s->base, r->lit, r->lit_len, fold);
	case RULE_LIT_PATH:
		return s->len == r->lit_len &&
		       text_eq(s->path, r->lit, r->lit_len, fold);
	case RULE_LIT_ANYDEPTH:
		if (s->len == r->lit_len)
			return text_eq(s->path, r->lit, r->lit_len, fold);
		return s->len > r->lit_len &&
		       s->path[s->len - r->lit_len - 1] == '/' &&
		       text_eq(s->path + s->len - r->lit_len, r->lit,
			       r->lit_len, fold);
	case RULE_SUFFIX:
		return s->base_len >= r->lit_len &&
		       text_eq(s->base + s->base_len - r->lit_len, r->lit,
			       r->lit_len, fold);
	case RULE_UNDER:
		return under_matches(r, s, fold);
	case RULE_GLOB_BASE:
		return glob_matches(r, s->base, s->base_len, fold);
	case RULE_GLOB_PATH:
		return glob_matches(r, s->path, s->len, fold);
	}
	return false;
}

/* --- indexes ---------------------------------------------------------- */

/* The part of s after its last '.', or NULL when s has no '.'. */
static const char *last_ext(const char *s, size_t len, size_t *ext_len)
{
	const char *dot = memrchr(s, '.', len);

	if (!dot)
		return NULL;
	*ext_len = len - (size_t)(dot + 1 - s);
	return dot + 1;
}

/*
 * Chooses the candidate set of a compiled rule. Each choice must be
 * complete: if the rule can match a path, looking that path up must reach
 * the rule. A literal's basename is the path's basename; a fixed tail whose
 * extension has no '/' fixes the basename's extension; a fixed head fixes
 * the first byte of the text the rule is matched against.
 */
static void choose_home(struct rule *r, bool fold)
{
	const char *key, *tail, *slash;
	size_t key_len;

	switch (r->kind) {
	case RULE_NEVER:
		r->home = HOME_NONE;
		return;
	case RULE_UNDER:
		r->home = HOME_UNDER;
		r->key_hash = key_hash((const unsigned char *)r->lit,
				       r->lit_len, fold);
		return;
	case RULE_LIT_BASE:
	case RULE_LIT_PATH:
	case RULE_LIT_ANYDEPTH:
		slash = memrchr(r->lit, '/', r->lit_len);
		key = slash ? slash + 1 : r->lit;
		key_len = r->lit_len - (size_t)(key - r->lit);
		r->home = HOME_LIT;
		r->key_hash =
			key_hash((const unsigned char *)key, key_len, fold);
		return;
	case RULE_SUFFIX:
		key = last_ext(r->lit, r->lit_len, &key_len);
		if (key && !memchr(key, '/', key_len)) {
			r->home = HOME_EXT;
			r->key_hash = key_hash((const unsigned char *)key,
					       key_len, fold);
		} else if (r->lit_len >= 2) {
			/* No '.' in lit: key it by its last two bytes. */
			r->home = HOME_TAIL;
			r->key_hash = key_hash((const unsigned char *)r->lit +
						       r->lit_len - 2,
					       2, fold);
		} else {
			r->home = HOME_REST;
		}
		return;
	default:
		break;
	}
	tail = r->lit + r->head_len + 1;
	key = last_ext(tail, r->tail_len, &key_len);
	if (key && !memchr(key, '/', key_len)) {
		r->home = HOME_EXT;
		r->key_hash =
			key_hash((const unsigned char *)key, key_len, fold);
	} else if (r->head_len) {
		r->home = r->kind == RULE_GLOB_BASE ? HOME_BASE_FIRST
						    : HOME_PATH_FIRST;
	} else {
		r->home = HOME_REST;
	}
}

static int vec_push(struct rule_vec *v, int idx)
{
	if (v->len == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		int *p = realloc(v->idx, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->idx = p;
		v->cap = cap;
	}
	v->idx[v->len++] = idx;
	return 0;
}

/* Rebuilds table (home) with at least want buckets, oldest rules first. */
static int table_rebuild(struct gfs_ignore *ig, struct rule_table *t,
			 uint8_t home, size_t want)
{
	size_t nb = 16, i;
	int *heads;

	while (nb < want)
		nb *= 2;
	heads = malloc(nb * sizeof(*heads));
	if (!heads)
		return -ENOMEM;
	for (i = 0; i < nb; i++)
		heads[i] = -1;
	for (i = 0; i < ig->len; i++) {
		struct rule *r = &ig->rules[i];

		if (r->home != home)
			continue;
		r->next = heads[r->key_hash & (nb - 1)];
		heads[r->key_hash & (nb - 1)] = (int)i;
	}
	free(t->heads);
	t->heads = heads;
	t->mask = nb - 1;
	return 0;
}

/* Inserts the newest rule, growing the table to keep chains short. */
static int table_insert(struct gfs_ignore *ig, struct rule_table *t,
			uint8_t home, int idx)
{
	struct rule *r = &ig->rules[idx];
	int rc;

	if (!t->heads || (t->count + 1) * 2 > t->mask + 1) {
		/* The new rule is already in ig->rules, so this inserts it. */
		rc = table_rebuild(ig, t, home, (t->count + 1) * 4);
		if (rc)
			return rc;
		t->count++;
		return 0;
	}
	r->next = t->heads[r->key_hash & t->mask];
	t->heads[r->key_hash & t->mask] = idx;
	t->count++;
	return 0;
}

/* A 12-bit signature of a directory name: its length and end bytes. */
static unsigned under_sig(const unsigned char *name, size_t n, bool fold)
{
	unsigned a = fold ? fold_byte(name[0]) : name[0];
	unsigned z = fold ? fold_byte(name[n - 1]) : name[n - 1];

	return ((unsigned)n * 97 + a * 31 + z) & 4095;
}

/* Files the newest rule (the last one in ig->rules) into its home. */
static int index_rule(struct gfs_ignore *ig, int idx)
{
	struct rule *r = &ig->rules[idx];
	unsigned char first;
	unsigned sig;
	int rc;

	switch (r->home) {
	case HOME_LIT:
		return table_insert(ig, &ig->lit, HOME_LIT, idx);
	case HOME_EXT:
		return table_insert(ig, &ig->ext, HOME_EXT, idx);
	case HOME_TAIL:
		return table_insert(ig, &ig->tail, HOME_TAIL, idx);
	case HOME_UNDER:
		sig = under_sig((const unsigned char *)r->lit, r->lit_len,
				ig->fold);
		ig->under_sigs[sig >> 6] |= 1ULL << (sig & 63);
		rc = table_insert(ig, &ig->under, HOME_UNDER, idx);
		if (!rc)
			ig->under_newest = idx;
		return rc;
	case HOME_BASE_FIRST:
		first = (unsigned char)r->lit[0];
		return vec_push(&ig->base_first[first], idx);
	case HOME_PATH_FIRST:
		first = (unsigned char)r->lit[0];
		return vec_push(&ig->path_first[first], idx);
	case HOME_REST:
		return vec_push(&ig->rest, idx);
	}
	return 0;
}

/* --- matching --------------------------------------------------------- */

static long scan_table(const struct gfs_ignore *ig, const struct rule_table *t,
		       uint64_t h, const struct subject *s, long best)
{
	int i;

	if (!t->heads)
		return best;
	for (i = t->heads[h & t->mask]; i > best; i = ig->rules[i].next)
		if (ig->rules[i].key_hash == h &&
		    rule_matches(&ig->rules[i], s, ig->fold))
			return i;
	return best;
}

static long scan_vec(const struct gfs_ignore *ig, const struct rule_vec *v,
		     const struct subject *s, long best)
{
	size_t k;

	for (k = v->len; k-- > 0;) {
		int i = v->idx[k];

		if (i <= best)
			break;
		if (rule_matches(&ig->rules[i], s, ig->fold))
			return i;
	}
	return best;
}

/* Looks up each directory component of s in ig->under. */
static long scan_under(const struct gfs_ignore *ig, const struct subject *s,
		       long best)
{
	const unsigned char *p = s->path, *end = s->path + s->len, *slash;

	while ((slash = memchr(p, '/', (size_t)(end - p)))) {
		size_t n = (size_t)(slash - p);
		unsigned sig = n ? under_sig(p, n, ig->fold) : 0;

		if (n && (ig->under_sigs[sig >> 6] >> (sig & 63) & 1))
			best = scan_table(ig, &ig->under,
					  key_hash(p, n, ig->fold), s, best);
		p = slash + 1;
	}
	return best;
}

/* The index of the last rule matching s, or -1. */
static long match_subject(const struct gfs_ignore *ig, const struct subject *s)
{
	const char *ext;
	size_t ext_len;
	long best = -1;

	if (!s->len)
		return -1;
	best = scan_table(ig, &ig->lit,
			  key_hash(s->base, s->base_len, ig->fold), s, best);
	ext = last_ext((const char *)s->base, s->base_len, &ext_len);
	if (ext && ig->ext.heads)
		best = scan_table(
			ig, &ig->ext,
			key_hash((const unsigned char *)ext, ext_len, ig->fold),
			s, best);
	if (s->base_len >= 2 && ig->tail.heads)
		best = scan_table(
			ig, &ig->tail,
			key_hash(s->base + s->base_len - 2, 2, ig->fold), s,
			best);
	if (s->base_len)
		best = scan_vec(ig,
				&ig->base_first[ig->fold ? fold_byte(s->base[0])
							 : s->base[0]],
				s, best);
	best = scan_vec(
		ig,
		&ig->path_first[ig->fold ? fold_byte(s->path[0]) : s->path[0]],
		s, best);
	best = scan_vec(ig, &ig->rest, s, best);
	/* Last, and only when one of its rules could still be the newest
	 * match: a walk over every component costs more than a lookup. */
	if (ig->under.heads && best < ig->under_newest)
		best = scan_under(ig, s, best);
	return best;
}

static void subject_init(struct subject *s, const char *path, size_t len,
			 bool is_dir)
{
	const char *slash = memrchr(path, '/', len);

	s->path = (const unsigned char *)path;
	s->len = len;
	s->base = (const unsigned char *)(slash ? slash + 1 : path);
	s->base_len = len - (size_t)(s->base - s->path);
	s->is_dir = is_dir;
}

static enum gfs_ignore_verdict verdict_of(const struct gfs_ignore *ig, long idx,
					  const char **rule)
{
	if (idx < 0) {
		if (rule)
			*rule = NULL;
		return GFS_IGNORE_NONE;
	}
	if (rule)
		*rule = ig->rules[idx].origin;
	return ig->rules[idx].negated ? GFS_IGNORE_NEGATED : GFS_IGNORE_MATCH;
}

enum gfs_ignore_verdict gfs_ignore_match(const struct gfs_ignore *ig,
					 const char *relpath, bool is_dir,
					 const char **rule)
{
	struct subject s;

	subject_init(&s, relpath, strlen(relpath), is_dir);
	return verdict_of(ig, match_subject(ig, &s), rule);
}

enum gfs_ignore_verdict gfs_ignore_match_tree(const struct gfs_ignore *ig,
					      const char *relpath, bool is_dir,
					      const char **rule)
{
	struct subject s;
	size_t len = strlen(relpath), i;
	long idx;

	/* git never descends into an excluded directory, top down. */
	for (i = 1; i < len; i++) {
		if (relpath[i] != '/')
			continue;
		subject_init(&s, relpath, i, true);
		idx = match_subject(ig, &s);
		if (idx >= 0 && !ig->rules[idx].negated)
			return verdict_of(ig, idx, rule);
	}
	subject_init(&s, relpath, len, is_dir);
	return verdict_of(ig, match_subject(ig, &s), rule);
}

/* --- moves ----------------------------------------------------------- */

/*
 * Whether the last n components of dir (a path without leading or trailing
 * '/') match the token run toks[0, ntoks), which holds no "**" and spans n
 * components. With WM_PATHNAME no other token crosses '/', so this is an
 * exact component match.
 */
static bool tail_matches(const struct gfs_ignore *ig, const struct rule *r,
			 const struct tok *toks, size_t ntoks, size_t n,
			 const char *dir)
{
	size_t len = strlen(dir), k = 0;
	const char *start = dir + len;
	struct tok head[128];

	if (ntoks >= sizeof(head) / sizeof(head[0]))
		return true; /* too long to copy: assume it can */
	while (start > dir) {
		if (start[-1] == '/' && ++k == n)
			break;
		start--;
	}
	if (start == dir)
		k++;
	if (k < n)
		return false;
	memcpy(head, toks, ntoks * sizeof(*head));
	head[ntoks].type = TOK_END;
	return gfs_glob_wild(head, (const unsigned char *)start,
			     (const unsigned char *)dir + len, r->classes,
			     ig->fold) == WM_MATCH;
}

/*
 * Whether the token run toks[0, ntoks) (n components, no "**") matches n
 * consecutive components of dir that end before its last one. Before a
 * "**" the components of a "**∕" rule must match inside dir for a match to
 * start there: "**∕secrets∕**" judges src∕x and lib∕x alike, and
 * secrets∕sub∕x unlike other∕x. (Ending at the last one is the straddling
 * case the caller checks on its own.)
 */
static bool run_matches_inside(const struct gfs_ignore *ig,
			       const struct rule *r, const struct tok *toks,
			       size_t ntoks, size_t n, const char *dir)
{
	char prefix[4096];
	size_t len = strlen(dir), end;

	if (len >= sizeof(prefix))
		return true; /* too long to copy: assume it can */
	for (end = 0; end < len; end++) {
		if (dir[end] != '/')
			continue;
		memcpy(prefix, dir, end);
		prefix[end] = '\0';
		if (tail_matches(ig, r, toks, ntoks, n, prefix))
			return true;
	}
	return false;
}

/*
 * Whether rule r could match some path below directory dir differently
 * from the same relative path below another directory. A rule that only
 * looks at the basename never does; an anchored one only when its fixed
 * head agrees with "dir/"; one that starts with "**∕" only when a leading
 * run of its components can match the last components of dir, so that a
 * match straddles the directory's own name. Unsure means yes.
 */
static bool rule_sees_below(const struct gfs_ignore *ig, const struct rule *r,
			    const char *dir)
{
	size_t dlen = strlen(dir), n, i, comps = 1;
	const struct tok *rest;

	switch (r->kind) {
	case RULE_NEVER:
	case RULE_LIT_BASE:
	case RULE_SUFFIX:
	case RULE_GLOB_BASE:
		return false;
	case RULE_LIT_PATH:
		return r->lit_len > dlen && r->lit[dlen] == '/' &&
		       text_eq((const unsigned char *)dir, r->lit, dlen,
			       ig->fold);
	default:
		break;
	}
	if (r->toks[0].type != TOK_DSTAR_SLASH) {
		if (!r->head_len || r->kind != RULE_GLOB_PATH)
			return true;
		n = r->head_len < dlen + 1 ? r->head_len : dlen + 1;
		if (n > dlen)
			return text_eq((const unsigned char *)dir, r->lit, dlen,
				       ig->fold) &&
			       r->lit[dlen] == '/';
		return text_eq((const unsigned char *)dir, r->lit, n, ig->fold);
	}
	rest = r->toks + 1;
	for (i = 0; rest[i].type != TOK_END; i++) {
		if (rest[i].type == TOK_DSTAR_SLASH ||
		    rest[i].type == TOK_DSTAR_END)
			return i == 0 || rest[i - 1].type != TOK_LIT ||
			       rest[i - 1].ch != '/' ||
			       run_matches_inside(ig, r, rest, i - 1, comps - 1,
						  dir);
		if (rest[i].type != TOK_LIT || rest[i].ch != '/')
			continue;
		if (tail_matches(ig, r, rest, i, comps, dir))
			return true;
		comps++;
	}
	return false;
}

bool gfs_ignore_moves_matter(const struct gfs_ignore *ig, const char *from,
			     const char *to)
{
	size_t i;

	if (!ig)
		return false;
	for (i = 0; i < ig->len; i++)
		if (rule_sees_below(ig, &ig->rules[i], from) ||
		    rule_sees_below(ig, &ig->rules[i], to))
			return true;
	return false;
}

/* --- building --------------------------------------------------------- */

/* gitignore drops trailing spaces unless the last one is escaped. */
static void trim_trailing_spaces(char *buf)
{
	char *p, *last_space = NULL;

	for (p = buf; *p; p++) {
		switch (*p) {
		case ' ':
			if (!last_space)
				last_space = p;
			break;
		case '\\':
			p++;
			if (!*p)
				return;
			/* fallthrough */
		default:
			last_space = NULL;
		}
	}
	if (last_space)
		*last_space = '\0';
}

static void rule_release(struct rule *r)
{
	free(r->origin);
	free(r->lit);
	free(r->toks);
	free(r->classes);
}

int gfs_ignore_new(struct gfs_ignore **out, unsigned flags)
{
	struct gfs_ignore *ig = calloc(1, sizeof(*ig));

	*out = NULL;
	if (!ig)
		return -ENOMEM;
	ig->fold = flags & GFS_IGNORE_CASEFOLD;
	ig->under_newest = -1;
	*out = ig;
	return 0;
}

void gfs_ignore_free(struct gfs_ignore *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->len; i++)
		rule_release(&ig->rules[i]);
	free(ig->rules);
	free(ig->lit.heads);
	free(ig->ext.heads);
	free(ig->tail.heads);
	free(ig->under.heads);
	for (i = 0; i < 256; i++) {
		free(ig->base_first[i].idx);
		free(ig->path_first[i].idx);
	}
	free(ig->rest.idx);
	free(ig);
}

static int compile_rule(struct rule *r, char *p, bool fold)
{
	size_t len;
	bool anchored;
	int rc;

	if (*p == '!') {
		r->negated = true;
		p++;
	}
	len = strlen(p);
	if (len && p[len - 1] == '/') {
		r->dir_only = true;
		p[--len] = '\0';
	}
	/* A slash anywhere but at the end anchors the rule to the root. */
	anchored = memchr(p, '/', len) != NULL;
	if (*p == '/') {
		p++;
		len--;
	}
	if (len > INT32_MAX)
		return -EINVAL;
	r->next = -1;
	rc = gfs_glob_compile(p, len, fold, anchored, &r->toks, &r->classes);
	if (!rc)
		rc = classify(r, anchored);
	if (!rc)
		choose_home(r, fold);
	return rc;
}

int gfs_ignore_add(struct gfs_ignore *ig, const char *line, const char *origin)
{
	struct rule r = {0};
	char *pattern;
	int rc;

	if (line[0] == '\0' || line[0] == '#')
		return 0;
	pattern = strdup(line);
	if (!pattern)
		return -ENOMEM;
	trim_trailing_spaces(pattern);
	if (pattern[0] == '\0') {
		free(pattern);
		return 0;
	}
	if (ig->len >= INT32_MAX) {
		rc = -ENOMEM;
		goto out;
	}
	rc = compile_rule(&r, pattern, ig->fold);
	if (rc)
		goto out;
	r.origin = strdup(origin ? origin : "");
	if (!r.origin) {
		rc = -ENOMEM;
		goto out;
	}
	if (ig->len == ig->cap) {
		size_t cap = ig->cap ? ig->cap * 2 : 32;
		struct rule *rules = realloc(ig->rules, cap * sizeof(*rules));

		if (!rules) {
			rc = -ENOMEM;
			goto out;
		}
		ig->rules = rules;
		ig->cap = cap;
	}
	ig->rules[ig->len++] = r;
	rc = index_rule(ig, (int)ig->len - 1);
	if (rc) {
		/* Leave the list as it was before this call. */
		ig->len--;
		goto out;
	}
	free(pattern);
	return 0;
out:
	rule_release(&r);
	free(pattern);
	return rc;
}

int gfs_ignore_add_text(struct gfs_ignore *ig, const char *text, size_t len,
			const char *origin_name, unsigned *bad_line)
{
	size_t pos = 0, origin_size = strlen(origin_name) + 16;
	unsigned line_no = 0;
	char *origin, *line;
	int rc = 0;

	origin = malloc(origin_size);
	line = malloc(len + 1);
	if (!origin || !line) {
		rc = -ENOMEM;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - pos;

		line_no++;
		/* CRLF files: git drops the '\r' before the newline too. */
		if (n && text[pos + n - 1] == '\r')
			n--;
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		if (memchr(line, '\0', n)) {
			rc = -EINVAL;
		} else {
			snprintf(origin, origin_size, "%s:%u", origin_name,
				 line_no);
			rc = gfs_ignore_add(ig, line, origin);
		}
		if (rc) {
			if (rc == -EINVAL && bad_line)
				*bad_line = line_no;
			break;
		}
	}
out:
	free(origin);
	free(line);
	return rc;
}

size_t gfs_ignore_count(const struct gfs_ignore *ig)
{
	return ig->len;
}
