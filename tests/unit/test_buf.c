/* common/buf.c: the growing buffer, its hex encoding and decoding. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "guardfs/buf.h"

static void test_hex(void)
{
	static const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff, '\n'};
	struct gfs_buf b = GFS_BUF_INIT, back = GFS_BUF_INIT;

	CHECK(gfs_buf_add_hex(&b, bytes, sizeof(bytes)) == 0);
	CHECK_STR(b.data, "000fa5ff0a");
	CHECK(gfs_buf_add_unhex(&back, b.data, b.len) == 0);
	CHECK(back.len == sizeof(bytes) && !memcmp(back.data, bytes, back.len));
	/* either case; nothing appended from a bad one */
	gfs_buf_reset(&back);
	CHECK(gfs_buf_add_unhex(&back, "A5fF", 4) == 0);
	CHECK(back.len == 2 && (unsigned char)back.data[0] == 0xa5);
	CHECK(gfs_buf_add_unhex(&back, "abc", 3) == -EINVAL);
	CHECK(gfs_buf_add_unhex(&back, "zz", 2) == -EINVAL);
	CHECK(gfs_buf_add_unhex(&back, "00g0", 4) == -EINVAL);
	CHECK(back.len == 2 && back.data[2] == '\0');
	gfs_buf_reset(&b);
	CHECK(gfs_buf_add_hex(&b, "", 0) == 0 && b.len == 0);
	gfs_buf_release(&b);
	gfs_buf_release(&back);
}

int main(void)
{
	test_hex();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
