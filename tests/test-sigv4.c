/* test-sigv4.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "avatar-sigv4.h"

#define EXAMPLE_ACCESS_KEY "AKIAIOSFODNN7EXAMPLE"
#define EXAMPLE_SECRET_KEY "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EXAMPLE_SIGNATURE "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

static const AvatarSigv4Credentials example_credentials = {
  EXAMPLE_ACCESS_KEY, EXAMPLE_SECRET_KEY, "us-east-1", "s3"
};

static GDateTime *
example_date (void)
{
  return g_date_time_new_utc (2013, 5, 24, 0, 0, 0);
}

/* AWS's published example of query-string authentication. */
static void
test_aws_example (void)
{
  g_autoptr(GDateTime) when = example_date ();
  g_autofree char *url = avatar_sigv4_presign_url (&example_credentials, "GET",
                                                   "https://examplebucket.s3.amazonaws.com",
                                                   "examplebucket.s3.amazonaws.com",
                                                   "/test.txt", NULL, when, 86400);

  g_assert_cmpstr (url, ==,
                   "https://examplebucket.s3.amazonaws.com/test.txt"
                   "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                   "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                   "&X-Amz-Date=20130524T000000Z"
                   "&X-Amz-Expires=86400"
                   "&X-Amz-SignedHeaders=host"
                   "&X-Amz-Signature=" EXAMPLE_SIGNATURE);
}

static GHashTable *
host_headers (const char *host)
{
  GHashTable *headers = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (headers, (gpointer) "host", (gpointer) host);

  return headers;
}

static const char *
query_of (const char *url)
{
  return strchr (url, '?') + 1;
}

static void
test_verify_example (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2013, 5, 24, 1, 0, 0);
  g_autoptr(GHashTable) headers = host_headers ("examplebucket.s3.amazonaws.com");
  const char *query =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=" EXAMPLE_SIGNATURE;

  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "GET", "/test.txt", query,
                                        headers, now, NULL), ==, AVATAR_SIGV4_OK);
}

static void
test_verify_rejects (void)
{
  g_autoptr(GDateTime) signed_at = g_date_time_new_utc (2024, 1, 2, 3, 4, 5);
  g_autoptr(GDateTime) soon = g_date_time_add_seconds (signed_at, 30);
  g_autoptr(GDateTime) late = g_date_time_add_seconds (signed_at, 601);
  const char *extra[] = { "content-type", "image/png", NULL };
  g_autofree char *url = avatar_sigv4_presign_url (&example_credentials, "PUT", "http://127.0.0.1:8080",
                                                   "127.0.0.1:8080", "/s3/b/avatars/u_1/k1", extra,
                                                   signed_at, 600);
  g_autoptr(GHashTable) headers = host_headers ("127.0.0.1:8080");
  g_autofree char *tampered = NULL;
  g_autofree char *message = NULL;
  char *signature;
  AvatarSigv4Credentials other = example_credentials;

  g_hash_table_insert (headers, (gpointer) "content-type", (gpointer) "image/png");
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_OK);

  /* Expired */
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, late, &message), ==, AVATAR_SIGV4_EXPIRED);
  g_assert_cmpstr (message, ==, "Request has expired");

  /* Another method, path, host or content type */
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "GET", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_2/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);
  g_hash_table_insert (headers, (gpointer) "content-type", (gpointer) "image/jpeg");
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);
  g_hash_table_remove (headers, "content-type");
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);
  g_hash_table_insert (headers, (gpointer) "content-type", (gpointer) "image/png");
  g_hash_table_insert (headers, (gpointer) "host", (gpointer) "localhost:8080");
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);
  g_hash_table_insert (headers, (gpointer) "host", (gpointer) "127.0.0.1:8080");

  /* Tampered signature: flip its last digit */
  tampered = g_strdup (url);
  signature = strstr (tampered, "X-Amz-Signature=") + strlen ("X-Amz-Signature=");
  signature[63] = signature[63] == '0' ? '1' : '0';
  g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (tampered), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);

  /* Wrong secret, unknown key */
  other.secret_key = "another secret";
  g_assert_cmpint (avatar_sigv4_verify (&other, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_SIGNATURE_MISMATCH);
  other = example_credentials;
  other.access_key = "AKIAOTHER";
  g_assert_cmpint (avatar_sigv4_verify (&other, "PUT", "/s3/b/avatars/u_1/k1",
                                        query_of (url), headers, soon, NULL), ==, AVATAR_SIGV4_UNKNOWN_KEY);
}

static void
test_verify_malformed (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2013, 5, 24, 1, 0, 0);
  g_autoptr(GHashTable) headers = host_headers ("examplebucket.s3.amazonaws.com");
  const char * const queries[] = {
    "",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    /* no signature */
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
    /* more than seven days */
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
    /* bad date */
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=2013-05-24&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
    /* other algorithm */
    "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
    /* host not signed */
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=&X-Amz-Signature=00",
    /* a signing parameter twice, the valid signature last: S3 takes neither */
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=00&X-Amz-Signature=" EXAMPLE_SIGNATURE,
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=" EXAMPLE_SIGNATURE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    g_assert_cmpint (avatar_sigv4_verify (&example_credentials, "GET", "/test.txt", queries[i],
                                          headers, now, NULL), ==, AVATAR_SIGV4_MALFORMED);
}

static void
test_uri_encode (void)
{
  g_autofree char *plain = avatar_sigv4_uri_encode ("AZaz09-_.~", FALSE);
  g_autofree char *reserved = avatar_sigv4_uri_encode ("a b/c+d=é", FALSE);
  g_autofree char *path = avatar_sigv4_uri_encode ("/a b/c", TRUE);

  g_assert_cmpstr (plain, ==, "AZaz09-_.~");
  g_assert_cmpstr (reserved, ==, "a%20b%2Fc%2Bd%3D%C3%A9");
  g_assert_cmpstr (path, ==, "/a%20b/c");
}

/* A name that is a prefix of another sorts first, whatever follows. */
static void
test_canonical_query_order (void)
{
  g_autoptr(GHashTable) params = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *canonical = NULL;

  g_hash_table_insert (params, (gpointer) "X-Amz-Date-Extra", (gpointer) "1");
  g_hash_table_insert (params, (gpointer) "X-Amz-Date", (gpointer) "2");
  g_hash_table_insert (params, (gpointer) "a b", (gpointer) "c/d");
  g_hash_table_insert (params, (gpointer) "Z", (gpointer) "");

  canonical = avatar_sigv4_canonical_query (params);
  g_assert_cmpstr (canonical, ==, "X-Amz-Date=2&X-Amz-Date-Extra=1&Z=&a%20b=c%2Fd");
}

static void
test_constant_time_equal (void)
{
  g_assert_true (avatar_sigv4_equal_constant_time ("abc", "abc"));
  g_assert_false (avatar_sigv4_equal_constant_time ("abc", "abd"));
  g_assert_false (avatar_sigv4_equal_constant_time ("abc", "ab"));
  g_assert_false (avatar_sigv4_equal_constant_time ("ab", "abc"));
  g_assert_true (avatar_sigv4_equal_constant_time ("", ""));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sigv4/aws-example", test_aws_example);
  g_test_add_func ("/sigv4/verify-aws-example", test_verify_example);
  g_test_add_func ("/sigv4/verify-rejects", test_verify_rejects);
  g_test_add_func ("/sigv4/verify-malformed", test_verify_malformed);
  g_test_add_func ("/sigv4/uri-encode", test_uri_encode);
  g_test_add_func ("/sigv4/canonical-query-order", test_canonical_query_order);
  g_test_add_func ("/sigv4/constant-time-equal", test_constant_time_equal);

  return g_test_run ();
}
