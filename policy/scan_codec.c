/*
 * xz, zstd and bzip2 streams, decoded for the scanner.
 *
 * A credential compressed with any of the usual tools is as readable to
 * the agent as one in gzip: it only has to run the tool. So the scanner
 * decodes these too, told apart by their magic bytes, under the same
 * bounds as gzip (scan_stream.c: SCAN_DECODE_MAX bytes of output, two
 * levels deep). Each decoder is asked for at most DECODER_MEMORY: an
 * xz or zstd stream that wants a larger window is not decoded, and is
 * scanned as the bytes it is (a file made with `xz --lzma2=dict=1GiB`
 * is not one a user keeps a token in, and the guard must not be made to
 * allocate a gigabyte per open). Several streams one after the other
 * (`cat a.xz b.xz`, pbzip2, zstd's frames) are all decoded.
 */
#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "scan_internal.h"

/* A decoder's memory: xz -9 and zstd -19 need 65 and 9 MiB. */
#define DECODER_MEMORY	   (128u << 20)
#define DECODER_WINDOW_LOG 27 /* 128 MiB, zstd's own default ceiling */
#define CODEC_CHUNK	   (64u << 10)

struct scan_codec {
	enum scan_codec_kind kind;
	uint8_t *out; /* CODEC_CHUNK bytes */
	lzma_stream xz;
	ZSTD_DStream *zstd;
	bz_stream bz;
	bool bz_open;
};

static const uint8_t xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
/* bzip2: "BZh", the block size, then a block's or the end's magic */
static const uint8_t bz_block[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
static const uint8_t bz_end[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};

static bool bzip2_starts(const uint8_t *p, size_t n)
{
	return n >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' &&
	       p[3] >= '1' && p[3] <= '9' &&
	       (!memcmp(p + 4, bz_block, 6) || !memcmp(p + 4, bz_end, 6));
}

enum scan_codec_kind scan_codec_detect(const uint8_t *p, size_t n)
{
	if (n >= sizeof(xz_magic) && !memcmp(p, xz_magic, sizeof(xz_magic)))
		return SCAN_CODEC_XZ;
	if (n >= sizeof(zstd_magic) &&
	    !memcmp(p, zstd_magic, sizeof(zstd_magic)))
		return SCAN_CODEC_ZSTD;
	if (bzip2_starts(p, n))
		return SCAN_CODEC_BZIP2;
	return SCAN_CODEC_NONE;
}

static bool bz_init(struct scan_codec *c)
{
	memset(&c->bz, 0, sizeof(c->bz));
	c->bz_open = BZ2_bzDecompressInit(&c->bz, 0, 0) == BZ_OK;
	return c->bz_open;
}

int scan_codec_new(struct scan_codec **out, enum scan_codec_kind kind)
{
	struct scan_codec *c = calloc(1, sizeof(*c));
	bool ok = false;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->out = malloc(CODEC_CHUNK);
	if (!c->out)
		goto fail;
	switch (kind) {
	case SCAN_CODEC_XZ:
		c->xz = (lzma_stream)LZMA_STREAM_INIT;
		ok = lzma_stream_decoder(&c->xz, DECODER_MEMORY,
					 LZMA_CONCATENATED) == LZMA_OK;
		break;
	case SCAN_CODEC_ZSTD:
		c->zstd = ZSTD_createDStream();
		ok = c->zstd &&
		     !ZSTD_isError(ZSTD_DCtx_setParameter(
			     c->zstd, ZSTD_d_windowLogMax, DECODER_WINDOW_LOG));
		break;
	case SCAN_CODEC_BZIP2:
		ok = bz_init(c);
		break;
	default:
		break;
	}
	if (ok) {
		*out = c;
		return 0;
	}
fail:
	scan_codec_free(c);
	return -ENOMEM;
}

void scan_codec_free(struct scan_codec *c)
{
	if (!c)
		return;
	if (c->kind == SCAN_CODEC_XZ)
		lzma_end(&c->xz);
	ZSTD_freeDStream(c->zstd);
	if (c->bz_open)
		BZ2_bzDecompressEnd(&c->bz);
	free(c->out);
	free(c);
}

/*
 * One step of an xz or zstd decoder: takes input, fills out; false once
 * the data ended or broke.
 */
static bool step(struct scan_codec *c, const uint8_t **p, size_t *n,
		 size_t *made)
{
	if (c->kind == SCAN_CODEC_XZ) {
		lzma_ret r;

		c->xz.next_in = *p;
		c->xz.avail_in = *n;
		c->xz.next_out = c->out;
		c->xz.avail_out = CODEC_CHUNK;
		r = lzma_code(&c->xz, LZMA_RUN);
		*made = CODEC_CHUNK - c->xz.avail_out;
		*p += *n - c->xz.avail_in;
		*n = c->xz.avail_in;
		/* LZMA_BUF_ERROR: no progress possible until more input */
		return r == LZMA_OK || r == LZMA_BUF_ERROR;
	} else {
		ZSTD_inBuffer in = {*p, *n, 0};
		ZSTD_outBuffer out = {c->out, CODEC_CHUNK, 0};
		size_t r = ZSTD_decompressStream(c->zstd, &out, &in);

		*made = out.pos;
		*p += in.pos;
		*n -= in.pos;
		/* 0: a frame ended; the next call starts the next one */
		return !ZSTD_isError(r);
	}
}

/*
 * One step of bzip2, which ends each stream on its own: a stream that
 * follows (pbzip2, `cat a.bz2 b.bz2`) gets a fresh decoder.
 */
static bool bz_step(struct scan_codec *c, const uint8_t **p, size_t *n,
		    size_t *made, int *err)
{
	const uint8_t *at = *p;
	int r;

	*made = 0;
	if (!c->bz_open) {
		if (!bzip2_starts(*p, *n))
			return false;
		if (!bz_init(c)) {
			*err = -ENOMEM;
			return false;
		}
	}
	c->bz.next_in = (char *)*p;
	c->bz.avail_in = (unsigned)(*n > 1u << 30 ? 1u << 30 : *n);
	c->bz.next_out = (char *)c->out;
	c->bz.avail_out = CODEC_CHUNK;
	r = BZ2_bzDecompress(&c->bz);
	*made = CODEC_CHUNK - c->bz.avail_out;
	*p = (const uint8_t *)c->bz.next_in;
	*n -= (size_t)(*p - at);
	if (r == BZ_STREAM_END) {
		BZ2_bzDecompressEnd(&c->bz);
		c->bz_open = false;
		/* the end of the input, or another stream: go on */
		return !*n || bzip2_starts(*p, *n);
	}
	return r == BZ_OK;
}

int scan_codec_feed(struct scan_codec *c, const uint8_t *p, size_t n,
		    size_t *used, bool *ended, scan_codec_emit emit, void *arg)
{
	const uint8_t *start = p;
	int rc = 0;

	*ended = false;
	while (!rc) {
		size_t made = 0, before = n;
		bool going;

		if (c->kind == SCAN_CODEC_BZIP2)
			going = bz_step(c, &p, &n, &made, &rc);
		else
			going = step(c, &p, &n, &made);
		if (!rc && made)
			rc = emit(arg, c->out, made);
		if (rc)
			break;
		if (!going) {
			*ended = true;
			break;
		}
		/* all input taken and the output not full: wait for more */
		if ((!n && made < CODEC_CHUNK) || (n == before && !made))
			break;
	}
	*used = (size_t)(p - start);
	return rc;
}
