/*
 * Streaming scans: any amount of bytes, in windows that overlap, and the
 * encodings a credential may sit in unreadable to a text scan.
 *
 * Every byte of a file is scanned as it is. A window holding a NUL in its
 * first 8 KiB (git's test for binary) has its control bytes turned into
 * line breaks first, so the printable runs of a binary file (what
 * `strings` shows) are scanned with every rule, as lines of their own.
 * On top of that, when the first bytes say the file is UTF-16 text, a
 * gzip, xz, zstd or bzip2 stream, a zip archive or a vim swap or undo
 * file, the decoded bytes go through a nested stream of their own,
 * bounded by SCAN_DECODE_MAX output bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "scan_internal.h"

/*
 * A window is scanned in one call. Files up to this size are scanned in
 * one piece, as they were before streaming existed.
 */
#define SCAN_WINDOW (8u << 20)
/*
 * Bytes kept from the end of one window at the start of the next. The
 * widest rule reaches 16 KiB around its keyword plus a 2 KiB line on each
 * side, so any match shorter than this is whole in some window.
 */
#define SCAN_OVERLAP	  (64u << 10)
#define SCAN_BINARY_PROBE 8192
/* Decoded output scanned per stream: bounds the cost of a gzip bomb. */
#define SCAN_DECODE_MAX (64u << 20)
/* gzip inside xz inside a file, and no deeper */
#define SCAN_MAX_DEPTH	  2
#define SCAN_DECODE_CHUNK (64u << 10)

enum scan_form {
	SCAN_FORM_UNKNOWN,
	SCAN_FORM_PLAIN,
	SCAN_FORM_UTF16LE,
	SCAN_FORM_UTF16BE,
	SCAN_FORM_GZIP,
	SCAN_FORM_CODEC, /* xz, zstd or bzip2: scan_codec.c */
	SCAN_FORM_ZIP,
	SCAN_FORM_VIMSWAP,
	SCAN_FORM_VIMUNDO,
};

enum zip_state {
	ZIP_HEADER,	/* reading a local file header */
	ZIP_NAME,	/* skipping its name and extra field */
	ZIP_INFLATE,	/* inflating a deflated member */
	ZIP_DESCRIPTOR, /* reading a data descriptor's first word */
	ZIP_SKIP,	/* skipping a stored member or a descriptor */
	ZIP_END,	/* the central directory, or something unknown */
};

struct scan_stream {
	const struct gfs_scanner *s;
	unsigned depth;
	enum scan_form form;
	uint8_t *win;	  /* the window */
	size_t win_cap;	  /* grows up to SCAN_WINDOW + SCAN_OVERLAP */
	size_t used;	  /* bytes in win */
	size_t kept;	  /* of which carried over from the previous window */
	uint64_t lines;	  /* line breaks in bytes dropped from win's front */
	uint64_t fed;	  /* raw bytes fed */
	uint64_t decoded; /* bytes handed to inner */
	bool partial;	  /* a decoder stopped at SCAN_DECODE_MAX */
	struct scan_stream *inner; /* the decoded bytes */
	z_stream *z;
	uint8_t *z_out; /* SCAN_DECODE_CHUNK bytes of inflated output */
	bool z_end;	/* the compressed data ended or broke */
	struct scan_codec *codec;
	enum zip_state zip_state;
	uint8_t zip_hdr[30];
	size_t zip_have; /* bytes in zip_hdr */
	uint64_t zip_skip;
	uint32_t zip_size;
	uint16_t zip_flags, zip_method;
	uint8_t pending[1]; /* odd byte of a UTF-16 pair between feeds */
	bool have_pending;
	uint8_t *whole; /* a vim swap or undo file, decoded at finish */
	size_t whole_len, whole_cap;
	int result;
	struct gfs_scan_finding finding;
};

int scan_stream_new(struct scan_stream **out, const struct gfs_scanner *s,
		    unsigned depth)
{
	struct scan_stream *st = calloc(1, sizeof(*st));

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->s = s;
	st->depth = depth;
	*out = st;
	return 0;
}

void scan_stream_free(struct scan_stream *st)
{
	if (!st)
		return;
	scan_stream_free(st->inner);
	if (st->z) {
		inflateEnd(st->z);
		free(st->z);
	}
	scan_codec_free(st->codec);
	free(st->z_out);
	free(st->whole);
	free(st->win);
	free(st);
}

static uint8_t binary_map[256];
static pthread_once_t binary_map_once = PTHREAD_ONCE_INIT;

static void binary_map_init(void)
{
	unsigned i;

	for (i = 0; i < 256; i++)
		binary_map[i] =
			(i < 0x20 && i != '\t' && i != '\r') || i == 0x7f
				? '\n'
				: (uint8_t)i;
}

/* Control bytes end a printable run, as `strings` sees it. */
static void map_binary(uint8_t *p, size_t n)
{
	size_t i;

	pthread_once(&binary_map_once, binary_map_init);
	for (i = 0; i < n; i++)
		p[i] = binary_map[p[i]];
}

/* Line breaks in p[0..n), eight bytes at a time. */
static uint64_t count_lines(const uint8_t *p, size_t n)
{
	const uint64_t ones7 = 0x7f7f7f7f7f7f7f7fULL;
	uint64_t lines = 0;
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t lanes = 0; /* eight byte-wide counters */
		unsigned k;

		for (k = 0; k < 255 && i + 8 <= n; k++, i += 8) {
			uint64_t w, t;

			memcpy(&w, p + i, 8);
			w ^= 0x0a0a0a0a0a0a0a0aULL; /* '\n' becomes zero */
			/* the top bit of each zero byte, exactly */
			t = ~(((w & ones7) + ones7) | w | ones7);
			lanes += t >> 7;
		}
		/* pairs of byte counters into 16-bit ones, then their sum */
		lanes = (lanes & 0x00ff00ff00ff00ffULL) +
			((lanes >> 8) & 0x00ff00ff00ff00ffULL);
		lines += (lanes * 0x0001000100010001ULL) >> 48;
	}
	for (; i < n; i++)
		lines += p[i] == '\n';
	return lines;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Scans the window; the bytes after kept are new since the last scan. */
static int window_scan(struct scan_stream *st)
{
	uint8_t *fresh = st->win + st->kept;
	size_t n = st->used - st->kept;
	int rc;

	if (!n)
		return 0;
	if (memchr(fresh, '\0',
		   n < SCAN_BINARY_PROBE ? n : SCAN_BINARY_PROBE)) {
		/* zeros (a preallocated or zero-filled file) hold nothing */
		if (all_zero(fresh, n))
			return 0;
		map_binary(fresh, n);
	}
	rc = scan_text(st->s, st->win, st->used, &st->finding);
	if (rc == 1)
		st->finding.line += (unsigned)st->lines;
	return rc;
}

/* Scans a full window and keeps its tail for the next one. */
static int window_turn(struct scan_stream *st)
{
	size_t drop;
	int rc = window_scan(st);

	if (rc)
		return rc;
	drop = st->used - SCAN_OVERLAP;
	st->lines += count_lines(st->win, drop);
	memmove(st->win, st->win + drop, SCAN_OVERLAP);
	st->used = st->kept = SCAN_OVERLAP;
	return 0;
}

static int window_add(struct scan_stream *st, const uint8_t *p, size_t n)
{
	while (n) {
		size_t room, take;
		int rc;

		if (st->used == st->win_cap) {
			size_t cap = st->win_cap ? st->win_cap * 2 : 64 << 10;
			uint8_t *w;

			if (cap > SCAN_WINDOW + SCAN_OVERLAP)
				cap = SCAN_WINDOW + SCAN_OVERLAP;
			if (cap == st->win_cap) {
				rc = window_turn(st);
				if (rc)
					return rc;
				continue;
			}
			w = realloc(st->win, cap);
			if (!w)
				return -ENOMEM;
			st->win = w;
			st->win_cap = cap;
		}
		room = st->win_cap - st->used;
		take = n < room ? n : room;
		memcpy(st->win + st->used, p, take);
		st->used += take;
		p += take;
		n -= take;
	}
	return 0;
}

/*
 * UTF-16 text without a byte-order mark: nearly every high byte (odd
 * offsets for little-endian) is zero and nearly no low byte is.
 */
static enum scan_form utf16_guess(const uint8_t *p, size_t n)
{
	size_t pairs = (n < 1024 ? n : 1024) / 2, i, zero_even = 0,
	       zero_odd = 0;

	if (pairs < 8)
		return SCAN_FORM_PLAIN;
	for (i = 0; i < pairs; i++) {
		zero_even += p[2 * i] == 0;
		zero_odd += p[2 * i + 1] == 0;
	}
	if (zero_odd * 10 >= pairs * 8 && zero_even * 20 <= pairs)
		return SCAN_FORM_UTF16LE;
	if (zero_even * 10 >= pairs * 8 && zero_odd * 20 <= pairs)
		return SCAN_FORM_UTF16BE;
	return SCAN_FORM_PLAIN;
}

static int form_decide(struct scan_stream *st, const uint8_t *p, size_t n)
{
	enum scan_codec_kind codec = scan_codec_detect(p, n);
	int rc;

	st->form = SCAN_FORM_PLAIN;
	if (st->depth >= SCAN_MAX_DEPTH)
		return 0;
	if (codec != SCAN_CODEC_NONE) {
		rc = scan_codec_new(&st->codec, codec);
		if (rc)
			return rc;
		st->form = SCAN_FORM_CODEC;
	} else if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8) {
		st->z = calloc(1, sizeof(*st->z));
		if (!st->z)
			return -ENOMEM;
		/* 16 + MAX_WBITS: a gzip header and trailer, not zlib's */
		if (inflateInit2(st->z, 16 + MAX_WBITS) != Z_OK) {
			free(st->z);
			st->z = NULL;
			return -ENOMEM;
		}
		st->form = SCAN_FORM_GZIP;
	} else if (n >= 4 && !memcmp(p, "PK\3\4", 4)) {
		st->z = calloc(1, sizeof(*st->z));
		if (!st->z)
			return -ENOMEM;
		if (inflateInit2(st->z, -MAX_WBITS) != Z_OK) {
			free(st->z);
			st->z = NULL;
			return -ENOMEM;
		}
		st->form = SCAN_FORM_ZIP;
	} else if (n >= 6 && !memcmp(p, "b0VIM ", 6)) {
		st->form = SCAN_FORM_VIMSWAP;
	} else if (n >= 9 && !memcmp(p, "Vim\237UnDo\345", 9)) {
		st->form = SCAN_FORM_VIMUNDO;
	} else if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		st->form = SCAN_FORM_UTF16LE;
	} else if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		st->form = SCAN_FORM_UTF16BE;
	} else {
		st->form = utf16_guess(p, n);
	}
	if (st->form == SCAN_FORM_PLAIN)
		return 0;
	rc = scan_stream_new(&st->inner, st->s, st->depth + 1);
	return rc;
}

/* Hands decoded bytes to the nested stream, up to SCAN_DECODE_MAX. */
static int inner_add(struct scan_stream *st, const uint8_t *p, size_t n)
{
	if (st->decoded + n > SCAN_DECODE_MAX) {
		n = (size_t)(SCAN_DECODE_MAX - st->decoded);
		st->partial = true;
	}
	st->decoded += n;
	return n ? scan_stream_feed(st->inner, p, n) : 0;
}

static int utf16_feed(struct scan_stream *st, const uint8_t *p, size_t n)
{
	bool le = st->form == SCAN_FORM_UTF16LE;
	uint8_t out[4096], pair[2];
	size_t o = 0;
	int rc;

	while (n) {
		if (st->have_pending) {
			pair[0] = st->pending[0];
			pair[1] = *p++;
			n--;
			st->have_pending = false;
		} else if (n == 1) {
			st->pending[0] = *p;
			st->have_pending = true;
			break;
		} else {
			pair[0] = p[0];
			pair[1] = p[1];
			p += 2;
			n -= 2;
		}
		/* non-ASCII characters only need to keep words apart */
		if (pair[le ? 1 : 0] == 0)
			out[o++] = pair[le ? 0 : 1];
		else
			out[o++] = '?';
		if (o == sizeof(out)) {
			rc = inner_add(st, out, o);
			if (rc)
				return rc;
			o = 0;
		}
	}
	return o ? inner_add(st, out, o) : 0;
}

/*
 * Inflates from p[0..n) into the nested stream until the input is used
 * up, the deflate stream ends or breaks. *used tells how much was taken;
 * returns 0 or -errno (1 when the nested stream found a credential) and
 * sets *zr to zlib's last answer.
 */
static int inflate_some(struct scan_stream *st, const uint8_t *p, size_t n,
			size_t *used, int *zr)
{
	uint8_t *out = st->z_out;
	int rc = 0;

	*zr = Z_OK;
	*used = 0;
	if (!out)
		out = st->z_out = malloc(SCAN_DECODE_CHUNK);
	if (!out)
		return -ENOMEM;
	st->z->next_in = (Bytef *)p;
	st->z->avail_in = (uInt)n;
	while (!rc && !st->partial) {
		st->z->next_out = out;
		st->z->avail_out = SCAN_DECODE_CHUNK;
		*zr = inflate(st->z, Z_NO_FLUSH);
		rc = inner_add(st, out, SCAN_DECODE_CHUNK - st->z->avail_out);
		if (*zr == Z_BUF_ERROR) {
			*zr = Z_OK; /* no progress: it wants more input */
			break;
		}
		if (*zr != Z_OK)
			break;
		if (!st->z->avail_in && st->z->avail_out)
			break;
	}
	*used = n - st->z->avail_in;
	return rc;
}

/*
 * Inflates a gzip file's bytes; *rest_at tells where in p the bytes
 * after the gzip data start (n when there are none).
 */
static int gzip_feed(struct scan_stream *st, const uint8_t *p, size_t n,
		     size_t *rest_at)
{
	const uint8_t *start = p;
	int rc = 0, zr;
	size_t used;

	*rest_at = st->z_end ? 0 : n;
	while (n && !rc && !st->z_end && !st->partial) {
		rc = inflate_some(st, p, n, &used, &zr);
		p += used;
		n -= used;
		if (zr == Z_OK)
			break;
		/* gzip allows several members one after the other */
		if (zr == Z_STREAM_END && n >= 2 && p[0] == 0x1f &&
		    p[1] == 0x8b) {
			inflateReset(st->z);
			continue;
		}
		/* the end, junk after it, or corrupt: what decoded counts */
		st->z_end = true;
		*rest_at = (size_t)(p - start);
	}
	return rc;
}

/* What the codecs' emit answers to stop at SCAN_DECODE_MAX. */
#define CODEC_STOP 2

static int codec_emit(void *arg, const uint8_t *p, size_t n)
{
	struct scan_stream *st = arg;
	int rc = inner_add(st, p, n);

	return !rc && st->partial ? CODEC_STOP : rc;
}

/* Decodes xz, zstd or bzip2 bytes; *rest_at as for gzip_feed. */
static int codec_feed(struct scan_stream *st, const uint8_t *p, size_t n,
		      size_t *rest_at)
{
	size_t used;
	bool ended;
	int rc;

	*rest_at = st->z_end ? 0 : n;
	if (st->z_end || st->partial)
		return 0;
	rc = scan_codec_feed(st->codec, p, n, &used, &ended, codec_emit, st);
	if (rc == CODEC_STOP)
		rc = 0;
	if (ended) {
		st->z_end = true;
		*rest_at = used;
	}
	return rc;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * A zip archive read front to back by its local headers: deflated
 * members are inflated into the nested stream; stored ones need nothing,
 * as their bytes are scanned where they lie. An entry whose size is only
 * in a data descriptor after it (bit 3) and that is not deflated ends the
 * walk, as does the central directory.
 */
static int zip_feed(struct scan_stream *st, const uint8_t *p, size_t n)
{
	int rc = 0, zr;

	while (n && !rc && !st->partial) {
		size_t take, used;

		switch (st->zip_state) {
		case ZIP_HEADER:
		case ZIP_DESCRIPTOR:
			take = 30 - st->zip_have;
			if (st->zip_state == ZIP_DESCRIPTOR)
				take = 4 - st->zip_have;
			take = take < n ? take : n;
			memcpy(st->zip_hdr + st->zip_have, p, take);
			st->zip_have += take;
			p += take;
			n -= take;
			if (st->zip_state == ZIP_DESCRIPTOR) {
				if (st->zip_have < 4)
					break;
				/* crc, sizes, after an optional signature */
				st->zip_skip = le32(st->zip_hdr) == 0x08074b50
						       ? 12
						       : 8;
				st->zip_have = 0;
				st->zip_state = ZIP_SKIP;
				break;
			}
			if (st->zip_have < 30)
				break;
			st->zip_have = 0;
			if (le32(st->zip_hdr) != 0x04034b50) {
				st->zip_state = ZIP_END;
				break;
			}
			st->zip_flags = le16(st->zip_hdr + 6);
			st->zip_method = le16(st->zip_hdr + 8);
			st->zip_size = le32(st->zip_hdr + 18);
			st->zip_skip = (uint64_t)le16(st->zip_hdr + 26) +
				       le16(st->zip_hdr + 28);
			st->zip_state = ZIP_NAME;
			break;
		case ZIP_NAME:
		case ZIP_SKIP:
			take = st->zip_skip < n ? (size_t)st->zip_skip : n;
			p += take;
			n -= take;
			st->zip_skip -= take;
			if (st->zip_skip)
				break;
			if (st->zip_state == ZIP_SKIP) {
				st->zip_state = ZIP_HEADER;
			} else if (st->zip_method == 8) {
				inflateReset2(st->z, -MAX_WBITS);
				st->zip_state = ZIP_INFLATE;
			} else if (st->zip_flags & 8) {
				st->zip_state = ZIP_END;
			} else {
				st->zip_skip = st->zip_size;
				st->zip_state = ZIP_SKIP;
			}
			break;
		case ZIP_INFLATE:
			rc = inflate_some(st, p, n, &used, &zr);
			p += used;
			n -= used;
			if (zr == Z_OK || rc)
				break;
			if (zr != Z_STREAM_END) {
				st->zip_state = ZIP_END;
				break;
			}
			/* members are scanned as texts of their own */
			rc = inner_add(st, (const uint8_t *)"\n", 1);
			st->zip_state =
				st->zip_flags & 8 ? ZIP_DESCRIPTOR : ZIP_HEADER;
			break;
		default:
			return 0;
		}
	}
	return rc;
}

static int whole_feed(struct scan_stream *st, const uint8_t *p, size_t n)
{
	if (st->whole_len + n > SCAN_DECODE_MAX) {
		n = SCAN_DECODE_MAX - st->whole_len;
		st->partial = true;
	}
	if (st->whole_len + n > st->whole_cap) {
		size_t cap = st->whole_cap ? st->whole_cap : 64 << 10;
		uint8_t *b;

		while (cap < st->whole_len + n)
			cap *= 2;
		b = realloc(st->whole, cap);
		if (!b)
			return -ENOMEM;
		st->whole = b;
		st->whole_cap = cap;
	}
	memcpy(st->whole + st->whole_len, p, n);
	st->whole_len += n;
	return 0;
}

/*
 * A vim swap file holds the buffer's lines in data blocks ("ad"), each
 * line NUL-terminated, the first line at the block's end and later ones
 * below it, so the bytes as they lie read a block's lines backwards. This
 * puts each block's lines back in order (blocks stay in file order, which
 * for a buffer written once is its line order). Layout as vim writes it
 * on a little-endian 64-bit host: page size in block 0 at offset 12; in a
 * data block, db_txt_end at 12, db_line_count (8 bytes) at 16, the line
 * index (4 bytes each, top bit a mark) from 24.
 */
static int swap_decode(struct scan_stream *st)
{
	const uint8_t *b = st->whole;
	size_t len = st->whole_len, page, off;
	int rc = 0;

	if (len < 16)
		return 0;
	page = le32(b + 12);
	if (page < 512 || page > (1u << 20) || (page & (page - 1)))
		return 0;
	for (off = page; off + 24 <= len && !rc; off += page) {
		const uint8_t *blk = b + off;
		size_t end = le32(blk + 12), count = le32(blk + 16), i,
		       prev_start, blk_len;

		/* DATA_ID, the short ('d' << 8) + 'a', little-endian */
		if (blk[0] != 'a' || blk[1] != 'd')
			continue;
		/* a block with one long line spans several pages */
		blk_len = len - off;
		if (end > blk_len || 24 + count * 4 > end)
			continue;
		prev_start = end;
		for (i = 0; i < count && !rc; i++) {
			size_t start = le32(blk + 24 + 4 * i) & 0x7fffffffu;
			const uint8_t *nul;

			if (start >= prev_start || start < 24 + count * 4)
				break;
			nul = memchr(blk + start, '\0', prev_start - start);
			rc = inner_add(st, blk + start,
				       nul ? (size_t)(nul - (blk + start))
					   : prev_start - start);
			if (!rc)
				rc = inner_add(st, (const uint8_t *)"\n", 1);
			prev_start = start;
		}
		if (end > page)
			off += (end - 1) / page * page;
	}
	return rc;
}

/*
 * Compressed bytes are noise to the rules: of a gzip (xz, zstd, bzip2)
 * file only the header (its first SCAN_OVERLAP bytes, where a name or
 * comment lies) and what follows the compressed data are scanned as they
 * lie.
 */
static int compressed_window_add(struct scan_stream *st, const uint8_t *data,
				 size_t n, size_t rest_at)
{
	uint64_t before = st->fed - n;
	size_t head = 0;
	int rc = 0;

	if (before < SCAN_OVERLAP)
		head = SCAN_OVERLAP - before < n
			       ? (size_t)(SCAN_OVERLAP - before)
			       : n;
	if (head)
		rc = window_add(st, data, head);
	if (!rc && rest_at < n) {
		size_t from = rest_at > head ? rest_at : head;

		rc = window_add(st, data + from, n - from);
	}
	return rc;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * A vim undo file keeps the lines an edit replaced in entries: the
 * entry magic 0xf518, top, bottom, line count and size (4 bytes each,
 * big-endian), then each line as a 4-byte length and its bytes. The
 * length words would glue a byte to the start of every line (64 is '@'),
 * so the lines are taken out one by one. An entry whose lines do not
 * parse ends there; the search goes on after it.
 */
static int undo_decode(struct scan_stream *st)
{
	const uint8_t *b = st->whole;
	size_t len = st->whole_len, i = 0;
	int rc = 0;

	while (!rc && i + 18 <= len) {
		const uint8_t *m = memchr(b + i, 0xf5, len - 18 - i + 1);
		size_t pos, lines, k;

		if (!m)
			break;
		i = (size_t)(m - b) + 1;
		if (m[1] != 0x18)
			continue;
		lines = be32(m + 14);
		pos = (size_t)(m - b) + 18;
		for (k = 0; k < lines && !rc && pos + 4 <= len; k++) {
			size_t l = be32(b + pos);

			if (l > len - pos - 4)
				break;
			rc = inner_add(st, b + pos + 4, l);
			if (!rc)
				rc = inner_add(st, (const uint8_t *)"\n", 1);
			pos += 4 + l;
		}
		if (pos > i)
			i = pos;
	}
	return rc;
}

int scan_stream_feed(struct scan_stream *st, const uint8_t *data, size_t n)
{
	size_t rest_at = n;
	int rc = 0;

	if (st->result || !n)
		return st->result;
	if (st->form == SCAN_FORM_UNKNOWN)
		rc = form_decide(st, data, n);
	st->fed += n;
	if (!rc) {
		switch (st->form) {
		case SCAN_FORM_UTF16LE:
		case SCAN_FORM_UTF16BE:
			rc = utf16_feed(st, data, n);
			break;
		case SCAN_FORM_GZIP:
			rc = gzip_feed(st, data, n, &rest_at);
			break;
		case SCAN_FORM_CODEC:
			rc = codec_feed(st, data, n, &rest_at);
			break;
		case SCAN_FORM_ZIP:
			rc = zip_feed(st, data, n);
			break;
		case SCAN_FORM_VIMSWAP:
		case SCAN_FORM_VIMUNDO:
			rc = whole_feed(st, data, n);
			break;
		default:
			break;
		}
	}
	if (rc == 1)
		st->finding = st->inner->finding;
	if (!rc && (st->form == SCAN_FORM_GZIP || st->form == SCAN_FORM_CODEC))
		rc = compressed_window_add(st, data, n, rest_at);
	else if (!rc)
		rc = window_add(st, data, n);
	st->result = rc;
	return rc;
}

int scan_stream_finish(struct scan_stream *st, struct gfs_scan_finding *finding,
		       bool *partial)
{
	int rc = st->result;

	if (!rc && st->form == SCAN_FORM_VIMSWAP)
		rc = swap_decode(st);
	if (!rc && st->form == SCAN_FORM_VIMUNDO)
		rc = undo_decode(st);
	if (!rc && st->inner) {
		bool inner_partial = false;

		rc = scan_stream_finish(st->inner, &st->finding,
					&inner_partial);
		st->partial |= inner_partial;
	}
	if (!rc)
		rc = window_scan(st);
	st->result = rc;
	if (rc == 1)
		*finding = st->finding;
	if (partial)
		*partial = st->partial;
	return rc;
}

int scan_buffer(const struct gfs_scanner *s, const uint8_t *p, size_t len,
		struct gfs_scan_finding *finding, bool *partial)
{
	struct scan_stream *st;
	int rc;

	if (partial)
		*partial = false;
	/* plain text of one window, the common case: scanned in place */
	if (len <= SCAN_WINDOW && len >= 3 &&
	    !memchr(p, '\0',
		    len < SCAN_BINARY_PROBE ? len : SCAN_BINARY_PROBE) &&
	    p[0] != 0x1f && p[0] != 0xff && p[0] != 0xfe &&
	    (len < 4 || memcmp(p, "PK\3\4", 4)) &&
	    memcmp(p, "b0VIM ", len < 6 ? len : 6) &&
	    memcmp(p, "Vim\237UnDo", len < 8 ? len : 8) &&
	    scan_codec_detect(p, len) == SCAN_CODEC_NONE)
		return scan_text(s, p, len, finding);
	rc = scan_stream_new(&st, s, 0);
	if (rc)
		return rc;
	rc = scan_stream_feed(st, p, len);
	if (rc >= 0)
		rc = scan_stream_finish(st, finding, partial);
	scan_stream_free(st);
	return rc;
}

int gfs_scanner_scan(const struct gfs_scanner *s, const void *data, size_t len,
		     struct gfs_scan_finding *finding)
{
	return scan_buffer(s, data, len, finding, NULL);
}
