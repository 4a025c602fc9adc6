/*
 * A pack written straight from blobs in memory, with its index.
 *
 * The first baseline of a big folder wrote every file as a loose object
 * (84,000 files created for the kernel tree), and the packer then read
 * them all back, inflated, hashed and deflated each again, and deleted
 * them (bench/README.md, session 10). Here a baseline writer appends each
 * blob to a pack of its own: a type and size header and the blob's zlib
 * stream, the CRC-32 of both kept for the index. The stream is made by
 * libdeflate, whose whole-buffer compressor takes half of zlib's time at
 * level 1 for a smaller stream (the kernel tree: 5.0 s of CPU against
 * 9.9 s, 23.0% of the bytes against 24.7%; bench/README.md, session 14):
 * deflating was the larger half of the first mount's CPU. Its id is already
 * known (the reader hashed it), so nothing is inflated or hashed again,
 * which libgit2's indexer (git_odb_write_pack) would do for every object.
 *
 * The object count heads the pack and the pack's SHA-1 covers it, so the
 * count is written when the pack is finished and the file is then read
 * back once to checksum it (compressed bytes, from the page cache). The
 * index (version 2: fan-out, sorted ids, CRCs, offsets) follows. Both
 * are written under temporary names and renamed into objects/pack, the
 * pack first: a reader finds a pack through its index, so it never sees
 * one half written. Until gfs_store_packout_finish returns 0 none of
 * its objects is in the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <openssl/evp.h>

#include "guardfs/util.h"
#include "store_internal.h"

/* Bytes gathered before a write(2): small blobs are most of a folder. */
#define OUT_BUF_BYTES (1u << 20)
#define PACK_HEADER   12
#define SHA1_BYTES    20

struct gfs_store_packout_entry {
	git_oid oid;
	uint64_t offset;
	uint32_t crc;
};

static int packout_flush(struct gfs_store_packout *p)
{
	int rc = gfs_write_all(p->fd, p->out, p->out_len);

	if (!rc)
		p->out_len = 0;
	return rc;
}

/* Appends len bytes to the pack, counting them into the object's CRC. */
static int packout_put(struct gfs_store_packout *p, const void *data,
		       size_t len, uint32_t *crc)
{
	const unsigned char *from = data;
	int rc;

	*crc = libdeflate_crc32(*crc, from, len);
	p->offset += len;
	while (len) {
		size_t room = OUT_BUF_BYTES - p->out_len;
		size_t n = len < room ? len : room;

		memcpy(p->out + p->out_len, from, n);
		p->out_len += n;
		from += n;
		len -= n;
		if (p->out_len == OUT_BUF_BYTES) {
			rc = packout_flush(p);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Opens the temporary pack and leaves room for its header. */
static int packout_open(struct gfs_store_packout *p)
{
	snprintf(p->tmp, sizeof(p->tmp), "%s/pack/tmp_guardfs_XXXXXX",
		 p->objects);
	p->fd = mkostemp(p->tmp, O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	memset(p->out, 0, PACK_HEADER);
	p->out_len = PACK_HEADER;
	p->offset = PACK_HEADER;
	return 0;
}

int gfs_store_packout_init(struct gfs_store_packout *p, const char *objects)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	snprintf(p->objects, sizeof(p->objects), "%s", objects);
	p->out = malloc(OUT_BUF_BYTES);
	p->entries = calloc(GFS_STORE_PACK_OBJECTS_MAX, sizeof(*p->entries));
	/* twice the entries: an open-addressed set of ids, never full */
	p->slots = calloc(2 * GFS_STORE_PACK_OBJECTS_MAX, sizeof(*p->slots));
	p->compressor =
		libdeflate_alloc_compressor(GFS_STORE_BASELINE_ZLIB_LEVEL);
	if (!p->out || !p->entries || !p->slots || !p->compressor) {
		if (p->compressor)
			libdeflate_free_compressor(p->compressor);
		free(p->out);
		free(p->entries);
		free(p->slots);
		memset(p, 0, sizeof(*p));
		p->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

/* The slot of oid in the set: where it is, or the empty one it goes to. */
static uint32_t *packout_slot(struct gfs_store_packout *p, const git_oid *oid)
{
	const size_t mask = 2 * GFS_STORE_PACK_OBJECTS_MAX - 1;
	size_t i;

	/* ids are uniformly distributed: their first bytes are the hash */
	memcpy(&i, oid->id, sizeof(i));
	for (i &= mask;; i = (i + 1) & mask) {
		uint32_t *slot = &p->slots[i];

		if (!*slot || git_oid_equal(&p->entries[*slot - 1].oid, oid))
			return slot;
	}
}

/* The object's header: its type, then its size 4 and then 7 bits a byte. */
static size_t object_header(unsigned char *h, git_object_t type, size_t len)
{
	size_t n = 0;

	h[n] = (unsigned char)((type << 4) | (len & 0x0f));
	len >>= 4;
	while (len) {
		h[n++] |= 0x80;
		h[n] = len & 0x7f;
		len >>= 7;
	}
	return n + 1;
}

/*
 * Room for one object's stream larger than this is given back after the
 * object: zlib streamed through 64 KiB, and a writer should not keep a
 * 16 MiB file's worth for the rest of the baseline.
 */
#define ZBUF_KEEP (1u << 20)

/* Deflates data into the pack, as one zlib stream. */
static int packout_deflate(struct gfs_store_packout *p, const void *data,
			   size_t len, uint32_t *crc)
{
	size_t bound = libdeflate_zlib_compress_bound(p->compressor, len);
	size_t n;
	int rc;

	if (bound > p->zbuf_size) {
		unsigned char *grown = realloc(p->zbuf, bound);

		if (!grown)
			return -ENOMEM;
		p->zbuf = grown;
		p->zbuf_size = bound;
	}
	n = libdeflate_zlib_compress(p->compressor, data, len, p->zbuf,
				     p->zbuf_size);
	rc = n ? packout_put(p, p->zbuf, n, crc)
	       : -EIO; /* cannot happen with the bound's room */
	if (p->zbuf_size > ZBUF_KEEP) {
		free(p->zbuf);
		p->zbuf = NULL;
		p->zbuf_size = 0;
	}
	return rc;
}

/*
 * Stores data as a zlib stream of stored blocks (level 0): for bytes
 * already compressed, which deflate would only copy, slowly.
 */
static int packout_store(struct gfs_store_packout *p, const void *data,
			 size_t len, uint32_t *crc)
{
	static const unsigned char zlib_header[2] = {0x78, 0x01};
	const unsigned char *from = data;
	uint32_t adler = libdeflate_adler32(1, data, len);
	unsigned char trailer[4] = {adler >> 24, adler >> 16, adler >> 8,
				    adler};
	int rc = packout_put(p, zlib_header, sizeof(zlib_header), crc);

	/* one block at least, the last flagged final: empty data too */
	do {
		size_t n = len < 65535 ? len : 65535;
		unsigned char block[5] = {n == len, n & 0xff, n >> 8, ~n & 0xff,
					  (~n >> 8) & 0xff};

		if (!rc)
			rc = packout_put(p, block, sizeof(block), crc);
		if (!rc)
			rc = packout_put(p, from, n, crc);
		from += n;
		len -= n;
	} while (!rc && len);
	return rc ? rc : packout_put(p, trailer, sizeof(trailer), crc);
}

static int packout_add(struct gfs_store_packout *p, const git_oid *oid,
		       git_object_t type, const void *data, size_t len,
		       bool stored)
{
	struct gfs_store_packout_entry *e;
	unsigned char header[16];
	uint32_t *slot, crc = 0;
	uint64_t before;
	int rc;

	if (p->count == GFS_STORE_PACK_OBJECTS_MAX)
		return -ENOSPC;
	slot = packout_slot(p, oid);
	if (*slot)
		return 0; /* the same content twice in the folder */
	if (p->fd < 0) {
		rc = packout_open(p);
		if (rc)
			return rc;
	}
	before = p->offset;
	rc = packout_put(p, header, object_header(header, type, len), &crc);
	if (!rc && stored)
		rc = packout_store(p, data ? data : "", len, &crc);
	else if (!rc)
		rc = packout_deflate(p, data ? data : "", len, &crc);
	if (rc)
		return rc;
	e = &p->entries[p->count];
	git_oid_cpy(&e->oid, oid);
	e->offset = before;
	e->crc = crc;
	*slot = (uint32_t)++p->count;
	return 0;
}

int gfs_store_packout_add(struct gfs_store_packout *p, const git_oid *oid,
			  git_object_t type, const void *data, size_t len)
{
	return packout_add(p, oid, type, data, len, false);
}

int gfs_store_packout_add_stored(struct gfs_store_packout *p,
				 const git_oid *oid, git_object_t type,
				 const void *data, size_t len)
{
	return packout_add(p, oid, type, data, len, true);
}

bool gfs_store_packout_full(const struct gfs_store_packout *p)
{
	return p->count == GFS_STORE_PACK_OBJECTS_MAX;
}

/* SHA-1 of the pack's first len bytes, read back from its file. */
static int pack_checksum(struct gfs_store_packout *p, uint64_t len,
			 unsigned char *sum)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t at = 0;
	int rc = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	while (at < len) {
		size_t want =
			len - at < OUT_BUF_BYTES ? len - at : OUT_BUF_BYTES;
		ssize_t n = pread(p->fd, p->out, want, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		EVP_DigestUpdate(ctx, p->out, n);
		at += n;
	}
	if (!EVP_DigestFinal_ex(ctx, sum, NULL))
		rc = -EIO;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct gfs_store_packout_entry *x = a, *y = b;

	return git_oid_cmp(&x->oid, &y->oid);
}

static void put_be32(struct gfs_buf *b, uint32_t v)
{
	unsigned char be[4] = {v >> 24, v >> 16, v >> 8, v};

	memcpy(b->data + b->len, be, 4);
	b->len += 4;
}

/*
 * The index, version 2: magic and version, the fan-out (how many ids
 * begin with a byte up to each value), the ids sorted, their CRCs, their
 * offsets (those past 2 GiB through a table of 64-bit ones), the pack's
 * checksum and the index's own.
 */
static int index_build(struct gfs_store_packout *p, const unsigned char *sum,
		       struct gfs_buf *idx)
{
	static const unsigned char magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	size_t n = p->count, i, large = 0;
	uint32_t fanout[256] = {0};
	int rc;

	qsort(p->entries, n, sizeof(*p->entries), entry_cmp);
	rc = gfs_buf_grow(idx, 8 + 256 * 4 + n * (SHA1_BYTES + 4 + 4 + 8) +
				       2 * SHA1_BYTES);
	if (rc)
		return rc;
	memcpy(idx->data, magic, sizeof(magic));
	idx->len = sizeof(magic);
	for (i = 0; i < n; i++)
		fanout[p->entries[i].oid.id[0]]++;
	for (i = 1; i < 256; i++)
		fanout[i] += fanout[i - 1];
	for (i = 0; i < 256; i++)
		put_be32(idx, fanout[i]);
	for (i = 0; i < n; i++) {
		memcpy(idx->data + idx->len, p->entries[i].oid.id, SHA1_BYTES);
		idx->len += SHA1_BYTES;
	}
	for (i = 0; i < n; i++)
		put_be32(idx, p->entries[i].crc);
	for (i = 0; i < n; i++) {
		uint64_t off = p->entries[i].offset;

		put_be32(idx, off < 0x80000000u ? (uint32_t)off
						: 0x80000000u | large++);
	}
	for (i = 0; i < n; i++) {
		uint64_t off = p->entries[i].offset;

		if (off >= 0x80000000u) {
			put_be32(idx, off >> 32);
			put_be32(idx, (uint32_t)off);
		}
	}
	memcpy(idx->data + idx->len, sum, SHA1_BYTES);
	idx->len += SHA1_BYTES;
	if (!EVP_Digest(idx->data, idx->len,
			(unsigned char *)idx->data + idx->len, NULL, EVP_sha1(),
			NULL))
		return -EIO;
	idx->len += SHA1_BYTES;
	return 0;
}

/* Writes the index under a temporary name, then both under their own. */
static int packout_install(struct gfs_store_packout *p,
			   const unsigned char *sum)
{
	struct gfs_buf idx = GFS_BUF_INIT;
	char tmp_idx[sizeof(p->tmp)], name[sizeof(p->tmp) + 64];
	char pack[sizeof(p->tmp) + 64];
	char hex[2 * SHA1_BYTES + 1];
	size_t dir_len = strlen(p->objects) + strlen("/pack");
	int fd = -1, rc, i;

	for (i = 0; i < SHA1_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	rc = index_build(p, sum, &idx);
	if (rc)
		goto out;
	snprintf(tmp_idx, sizeof(tmp_idx), "%s/pack/tmp_guardfs_idx_XXXXXX",
		 p->objects);
	fd = mkostemp(tmp_idx, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = gfs_write_all(fd, idx.data, idx.len);
	if (!rc && close(fd) < 0)
		rc = -errno;
	fd = -1;
	/* read-only, as git leaves its packs */
	if (!rc && (fchmod(p->fd, 0444) < 0 || chmod(tmp_idx, 0444) < 0))
		rc = -errno;
	snprintf(pack, sizeof(pack), "%.*s/pack-%s.pack", (int)dir_len, p->tmp,
		 hex);
	if (!rc && rename(p->tmp, pack) < 0)
		rc = -errno;
	snprintf(name, sizeof(name), "%.*s/pack-%s.idx", (int)dir_len, p->tmp,
		 hex);
	if (!rc && rename(tmp_idx, name) < 0) {
		rc = -errno;
		unlink(pack); /* no pack without its index */
	}
	if (rc)
		unlink(tmp_idx);
out:
	if (fd >= 0)
		close(fd);
	gfs_buf_release(&idx);
	return rc;
}

int gfs_store_packout_finish(struct gfs_store_packout *p)
{
	unsigned char header[PACK_HEADER] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	unsigned char sum[EVP_MAX_MD_SIZE];
	uint64_t len;
	int rc;

	if (p->fd < 0)
		return 0;
	len = p->offset;
	header[8] = p->count >> 24;
	header[9] = p->count >> 16;
	header[10] = p->count >> 8;
	header[11] = p->count;
	rc = packout_flush(p);
	if (!rc && pwrite(p->fd, header, sizeof(header), 0) != sizeof(header))
		rc = -EIO;
	if (!rc)
		rc = pack_checksum(p, len, sum);
	if (!rc)
		rc = gfs_write_all(p->fd, sum, SHA1_BYTES);
	if (!rc)
		rc = packout_install(p, sum);
	if (rc)
		unlink(p->tmp);
	close(p->fd);
	p->fd = -1;
	if (!rc)
		p->packs++;
	p->count = 0;
	p->offset = 0;
	p->out_len = 0;
	memset(p->slots, 0, 2 * GFS_STORE_PACK_OBJECTS_MAX * sizeof(*p->slots));
	return rc;
}

void gfs_store_packout_release(struct gfs_store_packout *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		unlink(p->tmp);
	}
	if (p->compressor)
		libdeflate_free_compressor(p->compressor);
	free(p->zbuf);
	free(p->out);
	free(p->entries);
	free(p->slots);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}
