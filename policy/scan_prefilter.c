/*
 * The keyword prefilter: one pass over the bytes for all rules.
 *
 * Instead of an Aho-Corasick automaton, whose state transitions form one
 * long chain of dependent loads (a few cycles per byte), each keyword is
 * indexed by its rarest 3-byte gram. The pass hashes the gram at every
 * position into a 64 Kibit bitmap that stays in L1; positions are
 * independent, so the loop runs at about a cycle per byte. Only where the
 * bitmap says yes are the keywords of that bucket compared in full, so
 * ordinary text pays almost nothing beyond the hash.
 *
 * Folding: a gram is hashed with 0x20 or'ed into each byte, which maps
 * upper to lower case (and merges a few punctuation pairs, harmless for a
 * filter); the full comparison is exact ASCII case-insensitive.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"

#define PF_HASH_BITS   16
#define PF_BUCKETS     (1u << PF_HASH_BITS)
#define PF_MAX_KEYWORD 255

struct pf_entry {
	uint32_t rule;
	uint32_t text;	   /* offset of the lowercase keyword in pool */
	uint16_t len;	   /* keyword length */
	uint16_t gram_off; /* offset of the indexed gram in the keyword */
	uint32_t bucket;
};

struct scan_prefilter {
	struct pf_entry *entries; /* sorted by bucket once built */
	size_t n_entries;
	size_t cap_entries;
	char *pool;
	size_t pool_len;
	size_t pool_cap;
	uint64_t bitmap[PF_BUCKETS / 64];
	uint32_t *bucket_start; /* PF_BUCKETS + 1 offsets into entries */
};

static inline uint32_t pf_hash3(uint32_t gram)
{
	return ((gram | 0x202020u) * 0x9E3779B1u) >> (32 - PF_HASH_BITS);
}

static inline uint32_t pf_gram_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

/*
 * How often a byte occurs in source-like text, roughly (per mille). The
 * rarest gram of a keyword is the one with the smallest sum, so that
 * "password" is indexed by "ssw" rather than "pas".
 */
static unsigned pf_byte_weight(uint8_t c)
{
	static const char common[] = " etaoinsrlcdupmhf";
	const char *hit;

	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c + 32);
	hit = c ? strchr(common, c) : NULL;
	if (hit)
		return 150 - (unsigned)(hit - common) * 7;
	if (c == '_' || c == '.' || c == '(' || c == ')' || c == ',' ||
	    c == ';' || c == '\n' || c == '\t')
		return 40;
	if (c == 'g' || c == 'b' || c == 'y' || c == 'w' || c == '=' ||
	    c == '"' || c == '/' || c == '-' || c == '*')
		return 25;
	return 10;
}

int scan_prefilter_new(struct scan_prefilter **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void scan_prefilter_free(struct scan_prefilter *pf)
{
	if (!pf)
		return;
	free(pf->entries);
	free(pf->pool);
	free(pf->bucket_start);
	free(pf);
}

int scan_prefilter_add(struct scan_prefilter *pf, const char *kw, size_t len,
		       uint32_t rule)
{
	struct pf_entry *e;
	unsigned best = ~0u, w;
	size_t i;

	if (len < 3 || len > PF_MAX_KEYWORD)
		return -EINVAL;
	if (pf->n_entries == pf->cap_entries) {
		size_t cap = pf->cap_entries ? pf->cap_entries * 2 : 64;
		void *p = realloc(pf->entries, cap * sizeof(*pf->entries));

		if (!p)
			return -ENOMEM;
		pf->entries = p;
		pf->cap_entries = cap;
	}
	if (pf->pool_len + len > pf->pool_cap) {
		size_t cap = pf->pool_cap ? pf->pool_cap * 2 : 4096;
		void *p;

		while (cap < pf->pool_len + len)
			cap *= 2;
		p = realloc(pf->pool, cap);
		if (!p)
			return -ENOMEM;
		pf->pool = p;
		pf->pool_cap = cap;
	}
	e = &pf->entries[pf->n_entries++];
	e->rule = rule;
	e->text = (uint32_t)pf->pool_len;
	e->len = (uint16_t)len;
	e->gram_off = 0;
	for (i = 0; i < len; i++) {
		char c = kw[i];

		pf->pool[pf->pool_len + i] =
			(c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	for (i = 0; i + 3 <= len; i++) {
		const uint8_t *g = (const uint8_t *)pf->pool + pf->pool_len + i;

		w = pf_byte_weight(g[0]) + pf_byte_weight(g[1]) +
		    pf_byte_weight(g[2]);
		if (w < best) {
			best = w;
			e->gram_off = (uint16_t)i;
		}
	}
	e->bucket = pf_hash3(pf_gram_at((const uint8_t *)pf->pool +
					pf->pool_len + e->gram_off));
	pf->pool_len += len;
	return 0;
}

static int pf_entry_cmp(const void *a, const void *b)
{
	const struct pf_entry *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return 0;
}

int scan_prefilter_build(struct scan_prefilter *pf)
{
	size_t i;
	uint32_t b;

	if (!pf->bucket_start) {
		pf->bucket_start = calloc(PF_BUCKETS + 1, sizeof(uint32_t));
		if (!pf->bucket_start)
			return -ENOMEM;
	}
	qsort(pf->entries, pf->n_entries, sizeof(*pf->entries), pf_entry_cmp);
	memset(pf->bitmap, 0, sizeof(pf->bitmap));
	i = 0;
	for (b = 0; b < PF_BUCKETS; b++) {
		pf->bucket_start[b] = (uint32_t)i;
		while (i < pf->n_entries && pf->entries[i].bucket == b)
			i++;
		if (pf->bucket_start[b] != i)
			pf->bitmap[b / 64] |= 1ull << (b % 64);
	}
	pf->bucket_start[PF_BUCKETS] = (uint32_t)i;
	return 0;
}

static inline bool pf_equal_nocase(const uint8_t *text, const char *kw,
				   size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = text[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)kw[i])
			return false;
	}
	return true;
}

/* Compares the keywords of bucket h against the gram found at pos. */
static bool pf_verify(const struct scan_prefilter *pf, uint32_t h,
		      const uint8_t *data, size_t len, size_t pos,
		      bool (*hit)(void *ctx, uint32_t rule, size_t pos),
		      void *ctx)
{
	uint32_t i;

	for (i = pf->bucket_start[h]; i < pf->bucket_start[h + 1]; i++) {
		const struct pf_entry *e = &pf->entries[i];
		size_t start;

		if (pos < e->gram_off)
			continue;
		start = pos - e->gram_off;
		if (start + e->len > len)
			continue;
		if (!pf_equal_nocase(data + start, pf->pool + e->text, e->len))
			continue;
		if (hit(ctx, e->rule, start))
			return true;
	}
	return false;
}

#define PF_TEST(h) (pf->bitmap[(h) >> 6] & (1ull << ((h)&63)))

void scan_prefilter_run(const struct scan_prefilter *pf, const uint8_t *data,
			size_t len,
			bool (*hit)(void *ctx, uint32_t rule, size_t pos),
			void *ctx)
{
	size_t i = 0;
	uint32_t h, w;

	if (len < 3 || !pf->n_entries)
		return;
	/*
	 * Four positions per iteration from one 8-byte load keep the loop
	 * free of dependencies between positions.
	 */
	for (; i + 8 <= len; i += 4) {
		uint64_t q;
		uint32_t h0, h1, h2, h3;

		memcpy(&q, data + i, 8);
		h0 = pf_hash3((uint32_t)q & 0xffffff);
		h1 = pf_hash3((uint32_t)(q >> 8) & 0xffffff);
		h2 = pf_hash3((uint32_t)(q >> 16) & 0xffffff);
		h3 = pf_hash3((uint32_t)(q >> 24) & 0xffffff);
		if (!(PF_TEST(h0) | PF_TEST(h1) | PF_TEST(h2) | PF_TEST(h3)))
			continue;
		if (PF_TEST(h0) && pf_verify(pf, h0, data, len, i, hit, ctx))
			return;
		if (PF_TEST(h1) &&
		    pf_verify(pf, h1, data, len, i + 1, hit, ctx))
			return;
		if (PF_TEST(h2) &&
		    pf_verify(pf, h2, data, len, i + 2, hit, ctx))
			return;
		if (PF_TEST(h3) &&
		    pf_verify(pf, h3, data, len, i + 3, hit, ctx))
			return;
	}
	for (; i + 3 <= len; i++) {
		w = pf_gram_at(data + i);
		h = pf_hash3(w);
		if (PF_TEST(h) && pf_verify(pf, h, data, len, i, hit, ctx))
			return;
	}
}
