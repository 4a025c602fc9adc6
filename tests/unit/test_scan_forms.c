/*
 * Unit tests of the forms a credential may take in a file besides plain
 * text, and of streaming large files: binary content, UTF-16, gzip, vim
 * swap files, windows and their overlap, holes, max_size and the taint.
 *
 * Every credential below is fake: random characters in the right format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "guardfs/scan.h"

#include "check.h"
#include "scan_check.h"

static void test_binary(void)
{
	char buf[256];
	size_t n;

	/* truncate -s +1: a NUL after a dotenv line */
	n = strlen(PASSWORD_LINE);
	memcpy(buf, PASSWORD_LINE, n);
	buf[n] = '\0';
	CHECK(!strcmp(scan(buf, n + 1), "generic-secret-assignment"));
	/* a key among NULs and control bytes, as in an object file */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 3, "\x01\x02", 2);
	memcpy(buf + 9, AWS_LINE, strlen(AWS_LINE) - 1);
	CHECK(!strcmp(scan(buf, sizeof(buf)), "aws-access-key-id"));
	/* binary without a credential stays clean */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 9,
	       "\x7f"
	       "ELF password",
	       13);
	CHECK(!strcmp(scan(buf, sizeof(buf)), ""));
}

/* Writes text as UTF-16 into out; returns the byte count. */
static size_t utf16(uint8_t *out, const char *text, bool le, bool bom)
{
	size_t n = 0, i;

	if (bom) {
		out[n++] = le ? 0xff : 0xfe;
		out[n++] = le ? 0xfe : 0xff;
	}
	for (i = 0; text[i]; i++) {
		out[n++] = le ? (uint8_t)text[i] : 0;
		out[n++] = le ? 0 : (uint8_t)text[i];
	}
	return n;
}

static void test_utf16(void)
{
	static const char text[] = "# settings\r\n" AWS_LINE "end\r\n";
	static const char clean[] = "# settings\r\nname = build server\r\n";
	uint8_t buf[512];
	int le, bom;

	for (le = 0; le < 2; le++) {
		for (bom = 0; bom < 2; bom++) {
			size_t n = utf16(buf, text, le, bom);

			if (strcmp(scan(buf, n), "aws-access-key-id")) {
				fprintf(stderr, "utf-16 le=%d bom=%d missed\n",
					le, bom);
				failures++;
			}
			n = utf16(buf, clean, le, bom);
			CHECK(!strcmp(scan(buf, n), ""));
		}
	}
}

/* gzip-compresses n bytes into out; returns the compressed size. */
static size_t gzip(uint8_t *out, size_t cap, const void *in, size_t n)
{
	z_stream z = {0};
	size_t len;

	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return 0;
	}
	len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

static void test_gzip(void)
{
	static const char text[] = "host=db\n" PASSWORD_LINE;
	uint8_t buf[4096];
	size_t n, m;
	char *big;

	n = gzip(buf, sizeof(buf), text, strlen(text));
	CHECK(n > 0);
	CHECK(!strcmp(scan(buf, n), "generic-secret-assignment"));
	/* a clean member, then a member with the key (gzip -c a b) */
	n = gzip(buf, sizeof(buf), "hello\n", 6);
	m = gzip(buf + n, sizeof(buf) - n, PEM_LINES, strlen(PEM_LINES));
	CHECK(!strcmp(scan(buf, n + m), "private-key"));
	/* clean text stays clean, and junk after a member is ignored */
	n = gzip(buf, sizeof(buf), "hello\n", 6);
	memcpy(buf + n, "\x1f\x8b\x08junk", 7);
	CHECK(!strcmp(scan(buf, n + 7), ""));
	/* a stream cut short: what decodes before the cut is scanned */
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	memcpy(big + 100, AWS_LINE, strlen(AWS_LINE));
	big[99] = '\n';
	{
		uint8_t *z = malloc(1 << 20);

		n = gzip(z, 1 << 20, big, 1 << 20);
		CHECK(n > 64);
		CHECK(!strcmp(scan(z, n / 2), "aws-access-key-id"));
		free(z);
	}
	free(big);
}

/* Appends a zip local header and a member (deflated or stored). */
static size_t zip_member(uint8_t *out, const char *name, const char *text,
			 bool deflated, bool descriptor)
{
	size_t n = strlen(text), nl = strlen(name), len = 30 + nl, data;
	z_stream z = {0};

	memset(out, 0, 30);
	memcpy(out, "PK\3\4", 4);
	out[6] = descriptor ? 8 : 0;
	out[8] = deflated ? 8 : 0;
	out[26] = (uint8_t)nl;
	memcpy(out + 30, name, nl);
	if (deflated) {
		deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY);
		z.next_in = (Bytef *)text;
		z.avail_in = (uInt)n;
		z.next_out = out + len;
		z.avail_out = 65536;
		deflate(&z, Z_FINISH);
		data = z.total_out;
		deflateEnd(&z);
	} else {
		memcpy(out + len, text, n);
		data = n;
	}
	if (!descriptor) {
		out[18] = (uint8_t)data;
		out[19] = (uint8_t)(data >> 8);
	}
	len += data;
	if (descriptor) {
		memcpy(out + len, "PK\7\10", 4);
		memset(out + len + 4, 0, 12);
		out[len + 8] = (uint8_t)data;
		out[len + 9] = (uint8_t)(data >> 8);
		len += 16;
	}
	return len;
}

static void test_zip(void)
{
	static uint8_t buf[1 << 17];
	char text[8192];
	size_t n, i;

	/* a text that deflate shrinks, so the key's bytes are not stored */
	for (i = 0, n = 0; i < 100; i++)
		n += (size_t)sprintf(text + n, "line %zu of the readme\n", i);
	strcpy(text + n, AWS_LINE);
	n = zip_member(buf, "a.txt", "hello\n", true, false);
	n += zip_member(buf + n, "b.txt", text, true, false);
	memcpy(buf + n, "PK\1\2", 4); /* the central directory follows */
	CHECK(!strcmp(scan(buf, n + 4), "aws-access-key-id"));
	/* sizes only in a data descriptor after the member */
	n = zip_member(buf, "a.txt", "hello\n", true, true);
	n += zip_member(buf + n, "b.txt", text, true, true);
	CHECK(!strcmp(scan(buf, n), "aws-access-key-id"));
	/* a stored member before it is skipped by its size */
	n = zip_member(buf, "a.txt", "hello\n", false, false);
	n += zip_member(buf + n, "b.txt", text, true, false);
	CHECK(!strcmp(scan(buf, n), "aws-access-key-id"));
	/* clean members stay clean */
	text[strlen(text) - strlen(AWS_LINE)] = '\0';
	n = zip_member(buf, "b.txt", text, true, false);
	CHECK(!strcmp(scan(buf, n), ""));
}

static void test_base64_key(void)
{
	static const char pem[] = "notes\n" PEM_LINES;
	static const char cert[] = "-----BEGIN CERTIFICATE-----\n"
				   "MIIBszCCAVmgAwIBAgIUQ3Vp7hXxZP1oYBEgD3OaLZ8"
				   "y9kQwCgYIKoZIzj0EAwIw\n"
				   "-----END CERTIFICATE-----\n";
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
				     "pqrstuvwxyz0123456789+/";
	char out[2048];
	size_t i, n, o;

	for (i = 0; i < 4; i++) {
		/* the armour at each alignment, and a certificate */
		const char *in = i == 3 ? cert : pem + 6 - i;

		n = strlen(in);
		for (o = 0; n >= 3; in += 3, n -= 3) {
			uint32_t v = (uint32_t)(uint8_t)in[0] << 16 |
				     (uint32_t)(uint8_t)in[1] << 8 |
				     (uint8_t)in[2];

			out[o++] = digits[v >> 18];
			out[o++] = digits[(v >> 12) & 63];
			out[o++] = digits[(v >> 6) & 63];
			out[o++] = digits[v & 63];
		}
		out[o] = '\0';
		CHECK(!strcmp(scan(out, o),
			      i == 3 ? "" : "private-key-base64"));
	}
}

static void test_hex_key(void)
{
	static const char pem[] = "notes\n" PEM_LINES;
	static const char cert[] =
		"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmg\n";
	char out[2048];
	size_t i, o;

	/* xxd -p: 60 hex digits a line */
	for (i = 0, o = 0; pem[i]; i++) {
		o += (size_t)sprintf(out + o, "%02x", (uint8_t)pem[i]);
		if (i % 30 == 29)
			out[o++] = '\n';
	}
	out[o] = '\0';
	CHECK(!strcmp(scan(out, o), "private-key-hex"));
	for (i = 0, o = 0; cert[i]; i++)
		o += (size_t)sprintf(out + o, "%02X", (uint8_t)cert[i]);
	CHECK(!strcmp(scan(out, o), ""));
}

/*
 * A vim swap file as vim 9 writes it on x86-64: block 0, a pointer block
 * and one data block whose lines lie from the block's end downwards.
 */
static size_t vim_swap(uint8_t *out, const char *text, const char *magic)
{
	const size_t page = 4096;
	uint8_t *blk = out + 2 * page;
	uint32_t count = 0, pos = (uint32_t)page, idx[64], v;
	const char *line = text;
	size_t i;

	memset(out, 0, 3 * page);
	memcpy(out, magic, 10);
	v = (uint32_t)page;
	memcpy(out + 12, &v, 4);
	memcpy(out + page, "pt", 2);
	while (*line && count < 64) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		pos -= (uint32_t)(len + 1);
		memcpy(blk + pos, line, len);
		blk[pos + len] = '\0';
		idx[count++] = pos;
		line += len + (nl ? 1 : 0);
	}
	memcpy(blk, "ad", 2);
	memcpy(blk + 8, &pos, 4);
	v = (uint32_t)page;
	memcpy(blk + 12, &v, 4);
	memcpy(blk + 16, &count, 4);
	for (i = 0; i < count; i++)
		memcpy(blk + 24 + 4 * i, &idx[i], 4);
	return 3 * page;
}

/* A vim undo file: header, then one entry holding the replaced lines. */
static size_t vim_undo(uint8_t *out, const char *text)
{
	size_t n = 0, count = 0, count_at;
	const char *line = text;

	memcpy(out, "Vim\237UnDo\345\0\3", 11);
	n = 11;
	memset(out + n, 0, 64); /* hash, line count, header fields */
	n += 64;
	out[n++] = 0xf5;
	out[n++] = 0x18;
	memset(out + n, 0, 16); /* top, bottom, line count, size */
	count_at = n + 12;
	n += 16;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		out[n++] = 0;
		out[n++] = 0;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
		memcpy(out + n, line, len);
		n += len;
		count++;
		line += len + (nl ? 1 : 0);
	}
	out[count_at + 3] = (uint8_t)count;
	out[n++] = 0x35;
	out[n++] = 0x81;
	return n;
}

static void test_vim_swap(void)
{
	static uint8_t buf[3 * 4096];
	size_t n;

	n = vim_swap(buf, "notes\n" PEM_LINES, "b0VIM 9.0\0");
	CHECK(!strcmp(scan(buf, n), "private-key"));
	/* the same bytes not known as a swap file: lines read backwards */
	n = vim_swap(buf, "notes\n" PEM_LINES, "b0XIM 9.0\0");
	CHECK(!strcmp(scan(buf, n), ""));
	n = vim_swap(buf, "host=db\n" PASSWORD_LINE, "b0VIM 9.0\0");
	CHECK(!strcmp(scan(buf, n), "generic-secret-assignment"));
	n = vim_swap(buf, "host=db\nport=5432\n", "b0VIM 9.0\0");
	CHECK(!strcmp(scan(buf, n), ""));
	/* an undo file: 64-byte lines carry a length word ending in '@' */
	n = vim_undo(buf, "notes\n" PEM_LINES);
	CHECK(!strcmp(scan(buf, n), "private-key"));
	buf[0] = 'X';
	CHECK(!strcmp(scan(buf, n), ""));
	n = vim_undo(buf, "host=db\nport=5432\n");
	CHECK(!strcmp(scan(buf, n), ""));
}

static int put(int fd, off_t off, const char *text)
{
	size_t n = strlen(text);

	return pwrite(fd, text, n, off) == (ssize_t)n ? 0 : -1;
}

/* Fills [0, size) with short clean lines. */
static int fill_lines(int fd, size_t size)
{
	size_t chunk = 1 << 20, off;
	char *buf = malloc(chunk);
	int rc = 0;

	for (off = 0; off < chunk; off++)
		buf[off] = off % 32 == 31 ? '\n' : 'a' + (char)(off % 7);
	for (off = 0; off < size && !rc; off += chunk)
		if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk)
			rc = -1;
	free(buf);
	return ftruncate(fd, (off_t)size) ? -1 : rc;
}

static void test_stream(void)
{
	char path[] = "/tmp/gfs-test-scan-forms-XXXXXX";
	struct gfs_verdict_cache *c;
	struct gfs_verdict v;
	off_t at;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(gfs_verdict_cache_new(&c, 64) == 0);

	/* across the first window's edge, and at a read chunk's edge */
	{
		static const off_t edges[] = {
			(8 << 20) + (64 << 10) - 10,
			(1 << 20) - 10,
			(16 << 20) + (64 << 10) - 7,
			(19 << 20) + 3,
		};
		size_t i;

		for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
			CHECK(fill_lines(fd, 20 << 20) == 0);
			CHECK(put(fd, edges[i], "\n" AWS_LINE) == 0);
			memset(&v, 0, sizeof(v));
			if (gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) != 1) {
				fprintf(stderr, "missed at %lld\n",
					(long long)edges[i]);
				failures++;
			}
		}
		/* the line number counts lines of earlier windows */
		CHECK(fill_lines(fd, 20 << 20) == 0);
		CHECK(put(fd, (off_t)(12 << 20) + 32, AWS_LINE) == 0);
		CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 1);
		CHECK(v.finding.line == (12u << 20) / 32 + 2);
		CHECK(!v.partial);
	}

	/* line breaks only, then the key: lines counted exactly */
	{
		size_t n = 20 << 20;
		char *nl = malloc(n);

		memset(nl, '\n', n);
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, nl, n, 0) == (ssize_t)n);
		CHECK(put(fd, (off_t)n, AWS_LINE) == 0);
		CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 1);
		CHECK(v.finding.line == (20u << 20) + 1);
		free(nl);
	}

	/* truncate -s 4G after a key: the hole costs nothing to scan */
	{
		struct timespec t0, t1;

		CHECK(ftruncate(fd, 0) == 0);
		CHECK(put(fd, 0, AWS_LINE) == 0);
		CHECK(ftruncate(fd, (off_t)4 << 30) == 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(gfs_scan_fd(scanner, c, fd, 256 << 20, &v) == 1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK(t1.tv_sec - t0.tv_sec < 2);
		CHECK(!v.partial);
	}

	/*
	 * max_size: the first max_size bytes of data are scanned; a key
	 * deeper than that in a file never found before is missed.
	 */
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 0);
	CHECK(fill_lines(fd, 12 << 20) == 0);
	CHECK(put(fd, 11 << 20, "\n" AWS_LINE) == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 0);
	CHECK(v.partial && !v.secret);
	/*
	 * The taint: once found, a file stays refused whatever is done to
	 * its bytes (the near key overwritten, the far one out of reach or
	 * gone too) until it is emptied.
	 */
	CHECK(put(fd, 100, "\n" AWS_LINE) == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 1);
	CHECK(v.secret && !v.tainted);
	CHECK(put(fd, 100, "\nkey AKIAxxxxxxxxxxxxxxxx\n") == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 1);
	CHECK(v.secret && v.partial && v.tainted);
	CHECK(!strcmp(v.finding.rule_id, "aws-access-key-id"));
	/* cached, and still tainted */
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 1 && v.tainted);
	/* without the cache (and its taint) the far key is found itself */
	CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 1 && !v.tainted);
	CHECK(put(fd, 11 << 20, "\nkey AKIAxxxxxxxxxxxxxxxx\n") == 0);
	CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 64 << 20, &v) == 1 && v.tainted);
	/* emptied: the taint is gone */
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 0);
	CHECK(put(fd, 0, "clean again\n") == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 0);
	/* untaint, as the mount does when it empties or creates a file */
	CHECK(put(fd, 0, AWS_LINE) == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 1);
	CHECK(put(fd, 0, "clean clean clean clean\n") == 0);
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 1 && v.tainted);
	{
		struct stat st;

		CHECK(fstat(fd, &st) == 0);
		CHECK(gfs_verdict_tainted(c, &st, NULL));
		gfs_verdict_untaint(c, &st);
		CHECK(!gfs_verdict_tainted(c, &st, NULL));
		gfs_verdict_untaint(NULL, &st);
	}
	CHECK(gfs_scan_fd(scanner, c, fd, 10 << 20, &v) == 0);

	/* a gzip file larger than a window, the key near its end */
	{
		size_t n = 20 << 20, zn;
		char *text = malloc(n);
		uint8_t *z = malloc(n);

		for (at = 0; at < (off_t)n; at++)
			text[at] = at % 40 == 39 ? '\n' : "qwzxv"[at % 5];
		memcpy(text + n - 100, "\n" AWS_LINE, strlen(AWS_LINE) + 1);
		zn = gzip(z, n, text, n);
		CHECK(zn > 0);
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, z, zn, 0) == (ssize_t)zn);
		CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 1);
		free(text);
		free(z);
	}

	/* a gzip bomb: 80 MiB of zeros, decoded up to the 64 MiB cap */
	{
		size_t n = 80 << 20, zn;
		char *zeros = calloc(1, n);
		uint8_t *z = malloc(1 << 20);

		zn = gzip(z, 1 << 20, zeros, n);
		CHECK(zn > 0);
		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, z, zn, 0) == (ssize_t)zn);
		CHECK(gfs_scan_fd(scanner, NULL, fd, 64 << 20, &v) == 0);
		CHECK(v.partial);
		free(zeros);
		free(z);
	}

	gfs_verdict_cache_free(c);
	close(fd);
	unlink(path);
}

int main(void)
{
	if (gfs_scanner_new(&scanner)) {
		fprintf(stderr, "cannot build the scanner\n");
		return 1;
	}
	test_binary();
	test_utf16();
	test_gzip();
	test_vim_swap();
	test_zip();
	test_base64_key();
	test_hex_key();
	test_stream();
	gfs_scanner_free(scanner);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
