#include <string.h>

static const char pem_header[] = "-----BEGIN RSA PRIVATE KEY-----";

int is_private_key(const char *buf)
{
	return strstr(buf, pem_header) != NULL ||
	       strstr(buf, "-----BEGIN OPENSSH PRIVATE KEY-----") != NULL;
}
