#ifndef GUARDFS_TESTS_SCAN_CHECK_H
#define GUARDFS_TESTS_SCAN_CHECK_H

/*
 * What the tests of the scanner's forms share (test_scan_forms,
 * test_scan_codecs): the scanner, fake credentials (random characters in
 * the right format) and a scan of a buffer that names the rule found.
 */

#include <string.h>

#include "guardfs/scan.h"

static struct gfs_scanner *scanner;

#define AWS_LINE      "key AKIAUVW75EFR6EDT4SYW\n"
#define PASSWORD_LINE "DB_PASSWORD=Qx7vLp2mZr9sKw4T\n"
#define PEM_LINES                                                              \
	"-----BEGIN RSA PRIVATE KEY-----\n"                                    \
	"bqaHdm6s+5zwXpFf/OtiRKpRdyMHMqcvVf/W3V6DOK1QuqUBNoCcVoZTtoBRdLZ2\n"   \
	"Hdv25c2KzZrXRLAU4piCVUer5I3++7bv+MbcnXakObMPJXgKbM5qusNtB2Ggul4r\n"   \
	"Z0oXtMQsO/KQpLdzVIKG81XinbkXpC5spnM7KIUYHissXu48FjokDakOZxxvpOYh\n"   \
	"O9magbNlKd/fG4DsqRmx/dpRJpdfPDYQapcyxgGnPbDm2zdix+Qiyo0YAL8quyPj\n"   \
	"-----END RSA PRIVATE KEY-----\n"

/* Scans n bytes; returns the rule found or "" when clean. */
static const char *scan(const void *data, size_t n)
{
	static struct gfs_scan_finding f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = gfs_scanner_scan(scanner, data, n, &f);
	if (rc < 0)
		return "<error>";
	return rc == 1 ? f.rule_id : "";
}

#endif
