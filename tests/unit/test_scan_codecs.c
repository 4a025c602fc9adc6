/*
 * Unit tests of the scanner's xz, zstd and bzip2 decoding: a credential
 * compressed by any of them is found, in one stream or after others,
 * across read boundaries, one level inside another compressor; clean
 * data stays clean, junk after the data is ignored, a stream cut short
 * is scanned as far as it decodes, and a bomb stops at the output cap.
 */
#include <bzlib.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "guardfs/scan.h"

#include "check.h"
#include "scan_check.h"

enum codec { XZ, ZSTD, BZIP2, NCODECS };
static const char *const codec_names[NCODECS] = {"xz", "zstd", "bzip2"};
/* The tools' defaults; the fastest levels for the large inputs. */
static int level_xz = 6, level_zstd = 3, level_bzip2 = 9;

/* Compresses n bytes with codec into out (cap bytes); returns the size. */
static size_t compress_with(enum codec codec, uint8_t *out, size_t cap,
			    const void *in, size_t n)
{
	switch (codec) {
	case XZ: {
		size_t pos = 0;

		return lzma_easy_buffer_encode((uint32_t)level_xz,
					       LZMA_CHECK_CRC64, NULL, in, n,
					       out, &pos, cap) == LZMA_OK
			       ? pos
			       : 0;
	}
	case ZSTD: {
		size_t r = ZSTD_compress(out, cap, in, n, level_zstd);

		return ZSTD_isError(r) ? 0 : r;
	}
	case BZIP2: {
		unsigned len = (unsigned)cap;

		return BZ2_bzBuffToBuffCompress((char *)out, &len, (char *)in,
						(unsigned)n, level_bzip2, 0,
						0) == BZ_OK
			       ? len
			       : 0;
	}
	default:
		return 0;
	}
}

static void expect(const char *what, enum codec codec, const char *got,
		   const char *want)
{
	if (strcmp(got, want)) {
		fprintf(stderr, "FAIL %s (%s): got '%s', want '%s'\n", what,
			codec_names[codec], got, want);
		failures++;
	}
}

static void test_one_codec(enum codec codec)
{
	static uint8_t buf[1 << 16];
	static const char text[] = "host=db\n" AWS_LINE;
	size_t n, m;
	char *big;
	uint8_t *z;

	n = compress_with(codec, buf, sizeof(buf), text, strlen(text));
	CHECK(n > 0);
	expect("a key", codec, scan(buf, n), "aws-access-key-id");
	n = compress_with(codec, buf, sizeof(buf), "hello\n", 6);
	expect("clean text", codec, scan(buf, n), "");
	/* a clean stream, then one with the key (cat a.xz b.xz) */
	m = compress_with(codec, buf + n, sizeof(buf) - n, PEM_LINES,
			  strlen(PEM_LINES));
	CHECK(m > 0);
	expect("the key in a second stream", codec, scan(buf, n + m),
	       "private-key");
	/* junk after a clean stream is no stream, and no key */
	n = compress_with(codec, buf, sizeof(buf), "hello\n", 6);
	memcpy(buf + n, "junk after it", 13);
	expect("junk after the data", codec, scan(buf, n + 13), "");
	/* the key in the junk after the data: scanned as it lies */
	memcpy(buf + n, "\n" AWS_LINE, strlen(AWS_LINE) + 1);
	expect("a key after the data", codec,
	       scan(buf, n + strlen(AWS_LINE) + 1), "aws-access-key-id");

	/* a stream cut short: what decodes before the cut is scanned */
	big = malloc(4 << 20);
	z = malloc(4 << 20);
	CHECK(big && z);
	for (n = 0; n < (4u << 20); n++)
		big[n] = n % 41 == 40
				 ? '\n'
				 : "abcdefghijklmnopqrstuvwxyz"[(n + n / 977) %
								26];
	memcpy(big + 1000, "\n" AWS_LINE, strlen(AWS_LINE) + 1);
	n = compress_with(codec, z, 4 << 20, big, 4 << 20);
	CHECK(n > 1024);
	expect("cut short", codec, scan(z, n / 2), "aws-access-key-id");
	free(big);
	free(z);
}

/* Another compressor inside: gzip inside xz (a .tar.gz.xz). */
static void test_nested(void)
{
	static uint8_t inner[4096], outer[8192];
	z_stream g = {0};
	size_t n, m;

	CHECK(deflateInit2(&g, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			   Z_DEFAULT_STRATEGY) == Z_OK);
	g.next_in = (Bytef *)PEM_LINES;
	g.avail_in = strlen(PEM_LINES);
	g.next_out = inner;
	g.avail_out = sizeof(inner);
	CHECK(deflate(&g, Z_FINISH) == Z_STREAM_END);
	n = sizeof(inner) - g.avail_out;
	deflateEnd(&g);
	m = compress_with(XZ, outer, sizeof(outer), inner, n);
	CHECK(m > 0);
	expect("gzip inside xz", XZ, scan(outer, m), "private-key");
}

/* Through a file, read in pieces: a key past the 8 MiB window; a bomb. */
static void test_files(void)
{
	char path[] = "/tmp/gfs-test-codecs-XXXXXX";
	int fd = mkstemp(path);
	struct gfs_verdict v;
	enum codec codec;

	CHECK(fd >= 0);
	level_xz = 0;
	level_zstd = 1;
	level_bzip2 = 1;
	for (codec = XZ; codec < NCODECS; codec++) {
		size_t n = 12 << 20, zn, at;
		char *text = malloc(n);
		uint8_t *z = malloc(n);

		CHECK(text && z);
		for (at = 0; at < n; at++)
			text[at] = at % 40 == 39 ? '\n' : "qwzxv"[at % 5];
		memcpy(text + n - 100, "\n" AWS_LINE, strlen(AWS_LINE) + 1);
		zn = compress_with(codec, z, n, text, n);
		CHECK(zn > 0);
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, z, zn, 0) == (ssize_t)zn);
		if (gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) != 1) {
			fprintf(stderr, "FAIL %s: a key 12 MiB in not found\n",
				codec_names[codec]);
			failures++;
		}
		/* a bomb: 70 MiB of zeros, decoded up to the 64 MiB cap */
		memset(text, 0, n);
		free(text);
		text = calloc(1, 70 << 20);
		CHECK(text != NULL);
		zn = compress_with(codec, z, n, text, 70 << 20);
		CHECK(zn > 0);
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, z, zn, 0) == (ssize_t)zn);
		CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 0);
		if (!v.partial) {
			fprintf(stderr,
				"FAIL %s: a bomb is not cut at 64 MiB\n",
				codec_names[codec]);
			failures++;
		}
		free(text);
		free(z);
	}
	close(fd);
	unlink(path);
}

/* Text that only looks like a magic number is scanned as text. */
static void test_lookalikes(void)
{
	expect("BZh9 prose", BZIP2,
	       scan("BZh9 " AWS_LINE, 5 + strlen(AWS_LINE)),
	       "aws-access-key-id");
	expect("a paren first", ZSTD, scan("(" AWS_LINE, 1 + strlen(AWS_LINE)),
	       "aws-access-key-id");
}

int main(void)
{
	enum codec codec;

	if (gfs_scanner_new(&scanner)) {
		fprintf(stderr, "cannot build the scanner\n");
		return 1;
	}
	for (codec = XZ; codec < NCODECS; codec++)
		test_one_codec(codec);
	test_nested();
	test_files();
	test_lookalikes();
	gfs_scanner_free(scanner);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
