#ifndef GUARDFS_SCAN_INTERNAL_H
#define GUARDFS_SCAN_INTERNAL_H

/*
 * Shared between the scanner's files (scan.c, scan_rules.c,
 * scan_prefilter.c, scan_validate.c); nothing outside policy/ sees it.
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guardfs/scan.h"

/* Checks a candidate must pass besides its regex (rule key "validate"). */
enum scan_check {
	SCAN_CHECK_GITHUB_CRC32 = 1u << 0, /* prefix_ + 30 + base62(crc32) */
	SCAN_CHECK_JWT = 1u << 1,	   /* header decodes to JSON + alg */
	SCAN_CHECK_PEM_BODY = 1u << 2,	   /* armour followed by a key body */
	SCAN_CHECK_USERPASS = 1u << 3,	   /* base64 of "user:password" */
	SCAN_CHECK_VALUE = 1u << 4,	   /* a plausible assigned secret */
	SCAN_CHECK_URI_PASSWORD = 1u << 5, /* group before secret is the user */
	SCAN_CHECK_BASE64 = 1u << 6,	   /* decodes as base64 */
	SCAN_CHECK_BECH32 = 1u << 7,	   /* bech32 checksum (age keys) */
	SCAN_CHECK_LITERAL = 1u << 8,  /* a literal where only passwords go */
	SCAN_CHECK_B64_KEY = 1u << 9,  /* base64 of a PEM private key armour */
	SCAN_CHECK_HEX_KEY = 1u << 10, /* hex of a PEM private key armour */
};

struct scan_rule {
	char id[64];
	char *description;
	char *regex_text;
	pcre2_code *re;
	uint32_t secret_group;
	double entropy;	 /* minimum bits per byte of the secret, 0: none */
	unsigned checks; /* enum scan_check bits */
	unsigned window; /* bytes searched beyond the hit's line, each side */
	bool binary;	 /* also applies to binary content */
	bool generic;	 /* broad: reported only if no specific rule fires */
	pcre2_code **allow; /* values of this rule never reported */
	size_t n_allow;
	unsigned origin_line;
};

/*
 * The one-pass keyword prefilter: every rule names keywords, and a rule's
 * regex only runs near a place where one of its keywords occurs. Keywords
 * are matched ASCII case-insensitively.
 */
struct scan_prefilter;

int scan_prefilter_new(struct scan_prefilter **out);
void scan_prefilter_free(struct scan_prefilter *pf);

/* How common a folded 3-byte gram is in source-like text (scan_grams.c). */
struct scan_gram_weight {
	char gram[4];
	uint32_t weight;
};

#define SCAN_COMMON_GRAMS 1024
extern const struct scan_gram_weight scan_common_grams[SCAN_COMMON_GRAMS];

/*
 * Keyword lengths. The minimum is what lets the prefilter look at every
 * other position only (see scan_prefilter.c).
 */
#define SCAN_MIN_KEYWORD 4
#define SCAN_MAX_KEYWORD 64

/* Adds a keyword (SCAN_MIN_KEYWORD bytes or more); returns 0 or -errno. */
int scan_prefilter_add(struct scan_prefilter *pf, const char *kw, size_t len,
		       uint32_t rule);

/* Builds the lookup tables after the last add. */
int scan_prefilter_build(struct scan_prefilter *pf);

/*
 * Calls hit(ctx, rule, pos) for every occurrence in data of a keyword of
 * a rule, pos being where the keyword starts; when hit returns true the
 * pass ends early (a finding was made or an error occurred).
 */
void scan_prefilter_run(const struct scan_prefilter *pf, const uint8_t *data,
			size_t len,
			bool (*hit)(void *ctx, uint32_t rule, size_t pos),
			void *ctx);

struct gfs_scanner {
	struct scan_rule **rules;
	size_t n_rules;
	pcre2_code **allow; /* global allowlist of secret values */
	size_t n_allow;
	struct scan_prefilter *pf;
	bool built;
};

/*
 * Scans len bytes as text with every rule, as they are (scan.c): 1 with
 * *finding filled, 0, or -ENOMEM.
 */
int scan_text(const struct gfs_scanner *s, const uint8_t *data, size_t len,
	      struct gfs_scan_finding *finding);

/*
 * A streaming scan (scan_stream.c): bytes fed in any pieces are scanned in
 * windows that overlap, so a credential across a window's edge is found;
 * recognised encodings (UTF-16, gzip, vim swap) are decoded into a nested
 * stream and scanned too. The first feed decides the encoding, so it
 * should hold the first bytes of the file (at least a few hundred).
 */
/*
 * xz, zstd and bzip2 decoders (scan_codec.c), for the streaming scan.
 * scan_codec_feed decodes p[0..n), handing each piece of output to emit,
 * whose non-zero answer stops it and is returned (emit returns < 0 for
 * an error, > 0 to stop). *used: the input taken; *ended: the compressed
 * data ended (what follows is not another stream) or broke.
 */
enum scan_codec_kind {
	SCAN_CODEC_NONE,
	SCAN_CODEC_XZ,
	SCAN_CODEC_ZSTD,
	SCAN_CODEC_BZIP2,
};
struct scan_codec;
typedef int (*scan_codec_emit)(void *arg, const uint8_t *p, size_t n);

enum scan_codec_kind scan_codec_detect(const uint8_t *p, size_t n);
int scan_codec_new(struct scan_codec **out, enum scan_codec_kind kind);
void scan_codec_free(struct scan_codec *c);
int scan_codec_feed(struct scan_codec *c, const uint8_t *p, size_t n,
		    size_t *used, bool *ended, scan_codec_emit emit, void *arg);

struct scan_stream;

int scan_stream_new(struct scan_stream **out, const struct gfs_scanner *s,
		    unsigned depth);
void scan_stream_free(struct scan_stream *st);

/* Feeds n bytes; returns 1 once a credential is found, 0, or -errno. */
int scan_stream_feed(struct scan_stream *st, const uint8_t *data, size_t n);

/*
 * Scans what is left; returns 1 with *finding filled, 0, or -errno.
 * *partial (if not NULL) tells whether a decoder stopped at its cap.
 */
int scan_stream_finish(struct scan_stream *st, struct gfs_scan_finding *finding,
		       bool *partial);

/*
 * gfs_scanner_scan, telling in *partial (if not NULL) whether a decoder
 * stopped at its cap (scan_stream.c).
 */
int scan_buffer(const struct gfs_scanner *s, const uint8_t *p, size_t len,
		struct gfs_scan_finding *finding, bool *partial);

/* Parses rule text into s (scan_rules.c). */
int scan_rules_parse(struct gfs_scanner *s, const char *text, size_t len,
		     const char *origin, unsigned *bad_line, char *err,
		     size_t err_size);

void scan_rule_free(struct scan_rule *r);

/* Compiles a PCRE2 pattern with JIT; 0 or -EINVAL with a message. */
int scan_regex_compile(pcre2_code **out, const char *pattern, uint32_t flags,
		       char *err, size_t err_size);

/* Shannon entropy of data in bits per byte, ignoring whitespace. */
double scan_entropy(const uint8_t *data, size_t len);

/*
 * Runs the rule's checks on a candidate. buf/len is the whole scanned
 * buffer, ov the match's offsets in it (pairs), secret the secret group.
 */
bool scan_validate(const struct scan_rule *r, const uint8_t *buf, size_t len,
		   const PCRE2_SIZE *ov, uint32_t n_pairs);

/* Decodes standard or URL-safe base64, ignoring padding; -1 on junk. */
long scan_base64_decode(const uint8_t *in, size_t len, uint8_t *out,
			size_t out_size);

#endif
