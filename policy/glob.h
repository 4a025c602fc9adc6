#ifndef GUARDFS_POLICY_GLOB_H
#define GUARDFS_POLICY_GLOB_H

/*
 * Glob programs for the gitignore matcher (policy/ignore.c): a pattern is
 * compiled once into tokens and matched with git's wildmatch() algorithm
 * under WM_PATHNAME. Private to policy/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tok_type {
	TOK_END,
	TOK_LIT,	 /* one byte, already casefolded when folding */
	TOK_ANY,	 /* '?': one byte but not '/' */
	TOK_CLASS,	 /* "[...]": one byte in classes[cls], never '/' */
	TOK_STAR,	 /* '*': any run of bytes without '/' */
	TOK_DSTAR_SLASH, /* "**∕" after '/' or at the start: 0+ dirs */
	TOK_DSTAR_END,	 /* "**" after '/' or at the start, at the end: all */
};

struct tok {
	uint8_t type;
	uint8_t ch;   /* TOK_LIT: the byte; TOK_DSTAR_SLASH: 1 if escaped '/' */
	uint16_t cls; /* TOK_CLASS: index into the rule's classes */
};

static inline unsigned char fold_byte(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * The matcher follows git's wildmatch() with WM_PATHNAME step by step,
 * return codes included: WM_ABORT_ALL and WM_ABORT_TO_STARSTAR prune the
 * search so that patterns with many stars stay linear-ish on long paths.
 */
enum {
	WM_ABORT_TO_STARSTAR = -2,
	WM_ABORT_ALL = -1,
	WM_MATCH = 0,
	WM_NOMATCH = 1,
};

/*
 * Matches text [t, end) against the tokens p, with the character classes
 * the pattern was compiled with. Returns WM_MATCH, WM_NOMATCH or one of the
 * abort codes.
 */
int gfs_glob_wild(const struct tok *p, const unsigned char *t,
		  const unsigned char *end, uint8_t (*classes)[32], bool fold);

/*
 * Turns a pattern body (no '!', no leading or trailing '/') into tokens
 * ending in TOK_END, and its "[...]" classes. *toks_out and *classes_out
 * are set as soon as they are allocated, so the caller frees them on
 * failure too. 0, -EINVAL for a malformed pattern, or -ENOMEM.
 */
int gfs_glob_compile(const char *s, size_t len, bool fold, bool anchored,
		     struct tok **toks_out, uint8_t (**classes_out)[32]);

#endif
