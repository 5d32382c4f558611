/* avatar-sigv4.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* AWS Signature Version 4 for query-string authentication (presigned URLs),
 * as S3 computes it: the canonical request, the string to sign, the derived
 * signing key and the final HMAC.  The functions are pure so that they can be
 * checked against the published AWS examples.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "avatar-sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

char *
avatar_sigv4_uri_encode (const char *text,
                         gboolean    keep_slash)
{
  GString *out = g_string_sized_new (strlen (text) * 3 / 2 + 1);

  for (const guchar *p = (const guchar *) text; *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
          (keep_slash && *p == '/'))
        g_string_append_c (out, *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }

  return g_string_free (out, FALSE);
}

static GBytes *
hmac_sha256 (const guint8 *key,
             gsize         key_len,
             const char   *data)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) data, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);

  return g_bytes_new (digest, digest_len);
}

static GBytes *
hmac_sha256_bytes (GBytes     *key,
                   const char *data)
{
  gsize len;
  const guint8 *raw = g_bytes_get_data (key, &len);

  return hmac_sha256 (raw, len, data);
}

GBytes *
avatar_sigv4_signing_key (const char *secret_key,
                          const char *date,
                          const char *region,
                          const char *service)
{
  g_autofree char *k_secret = g_strconcat ("AWS4", secret_key, NULL);
  g_autoptr(GBytes) k_date = hmac_sha256 ((const guint8 *) k_secret, strlen (k_secret), date);
  g_autoptr(GBytes) k_region = hmac_sha256_bytes (k_date, region);
  g_autoptr(GBytes) k_service = hmac_sha256_bytes (k_region, service);

  return hmac_sha256_bytes (k_service, "aws4_request");
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

typedef struct
{
  char *name;
  char *value;
} QueryPair;

static void
query_pair_clear (QueryPair *pair)
{
  g_free (pair->name);
  g_free (pair->value);
}

static int
compare_query_pairs (gconstpointer a,
                     gconstpointer b)
{
  const QueryPair *pa = a;
  const QueryPair *pb = b;
  int by_name = strcmp (pa->name, pb->name);

  return by_name != 0 ? by_name : strcmp (pa->value, pb->value);
}

/* @params maps decoded names to decoded values; the result is sorted by
 * encoded name, then encoded value, as AWS specifies. */
char *
avatar_sigv4_canonical_query (GHashTable *params)
{
  g_autoptr(GArray) pairs = g_array_new (FALSE, FALSE, sizeof (QueryPair));
  GHashTableIter iter;
  gpointer key, value;
  GString *out = g_string_new (NULL);

  g_array_set_clear_func (pairs, (GDestroyNotify) query_pair_clear);

  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      QueryPair pair = {
        avatar_sigv4_uri_encode (key, FALSE),
        avatar_sigv4_uri_encode (value, FALSE),
      };

      g_array_append_val (pairs, pair);
    }

  g_array_sort (pairs, compare_query_pairs);

  for (guint i = 0; i < pairs->len; i++)
    {
      const QueryPair *pair = &g_array_index (pairs, QueryPair, i);

      g_string_append_printf (out, "%s%s=%s", i > 0 ? "&" : "", pair->name, pair->value);
    }

  return g_string_free (out, FALSE);
}

static char *
trim_header_value (const char *value)
{
  g_autofree char *copy = g_strstrip (g_strdup (value));
  GString *out = g_string_new (NULL);
  gboolean in_space = FALSE;

  /* Sequential spaces collapse to one, as in the AWS canonical form. */
  for (const char *p = copy; *p; p++)
    {
      if (*p == ' ' || *p == '\t')
        {
          if (!in_space)
            g_string_append_c (out, ' ');
          in_space = TRUE;
        }
      else
        {
          g_string_append_c (out, *p);
          in_space = FALSE;
        }
    }

  return g_string_free (out, FALSE);
}

/* @headers holds lower-case name/value pairs, NULL-terminated. */
static void
canonical_headers (const char * const *headers,
                   GString            *canonical,
                   GString            *signed_names)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; headers[i] && headers[i + 1]; i += 2)
    {
      g_ptr_array_add (names, (gpointer) headers[i]);
      g_hash_table_insert (values, (gpointer) headers[i], (gpointer) headers[i + 1]);
    }
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *value = trim_header_value (g_hash_table_lookup (values, name));

      g_string_append_printf (canonical, "%s:%s\n", name, value);
      if (i > 0)
        g_string_append_c (signed_names, ';');
      g_string_append (signed_names, name);
    }
}

/* @path is the decoded path; it is encoded once, as S3 does. */
char *
avatar_sigv4_canonical_request (const char         *method,
                                const char         *path,
                                GHashTable         *query,
                                const char * const *headers,
                                const char         *payload_hash)
{
  g_autofree char *encoded_path = avatar_sigv4_uri_encode (path, TRUE);
  g_autofree char *canonical_query = avatar_sigv4_canonical_query (query);
  g_autoptr(GString) header_block = g_string_new (NULL);
  g_autoptr(GString) signed_names = g_string_new (NULL);

  canonical_headers (headers, header_block, signed_names);

  return g_strdup_printf ("%s\n%s\n%s\n%s\n%s\n%s",
                          method, encoded_path, canonical_query,
                          header_block->str, signed_names->str, payload_hash);
}

char *
avatar_sigv4_string_to_sign (const char *amz_date,
                             const char *scope,
                             const char *canonical_request)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical_request, -1);

  return g_strdup_printf (ALGORITHM "\n%s\n%s\n%s", amz_date, scope, hash);
}

char *
avatar_sigv4_sign (GBytes     *signing_key,
                   const char *string_to_sign)
{
  g_autoptr(GBytes) signature = hmac_sha256_bytes (signing_key, string_to_sign);
  gsize len;
  const guint8 *raw = g_bytes_get_data (signature, &len);
  GString *hex = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", raw[i]);

  return g_string_free (hex, FALSE);
}

static char *
signed_header_names (const char * const *headers)
{
  g_autoptr(GString) canonical = g_string_new (NULL);
  GString *names = g_string_new (NULL);

  canonical_headers (headers, canonical, names);

  return g_string_free (names, FALSE);
}

static GPtrArray *
headers_with_host (const char         *host,
                   const char * const *extra_headers)
{
  GPtrArray *headers = g_ptr_array_new ();

  g_ptr_array_add (headers, (gpointer) "host");
  g_ptr_array_add (headers, (gpointer) host);
  for (guint i = 0; extra_headers && extra_headers[i] && extra_headers[i + 1]; i += 2)
    {
      g_ptr_array_add (headers, (gpointer) extra_headers[i]);
      g_ptr_array_add (headers, (gpointer) extra_headers[i + 1]);
    }
  g_ptr_array_add (headers, NULL);

  return headers;
}

/* Signs @method on @endpoint + @path (decoded, starting with '/'),
 * with the Host header @host and any lower-case @extra_headers pairs. */
char *
avatar_sigv4_presign_url (const AvatarSigv4Credentials *credentials,
                          const char                   *method,
                          const char                   *endpoint,
                          const char                   *host,
                          const char                   *path,
                          const char * const           *extra_headers,
                          GDateTime                    *when,
                          guint                         expires_s)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (when);
  g_autofree char *date = g_date_time_format (utc, "%Y%m%d");
  g_autofree char *amz_date = g_date_time_format (utc, "%Y%m%dT%H%M%SZ");
  g_autofree char *scope = g_strdup_printf ("%s/%s/%s/aws4_request", date,
                                            credentials->region, credentials->service);
  g_autofree char *credential = g_strdup_printf ("%s/%s", credentials->access_key, scope);
  g_autofree char *expires = g_strdup_printf ("%u", expires_s);
  g_autoptr(GPtrArray) headers = headers_with_host (host, extra_headers);
  g_autofree char *names = signed_header_names ((const char * const *) headers->pdata);
  g_autoptr(GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *canonical_request = NULL;
  g_autofree char *string_to_sign = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *canonical_query = NULL;
  g_autofree char *encoded_path = NULL;
  g_autoptr(GBytes) key = NULL;

  g_hash_table_insert (query, (gpointer) "X-Amz-Algorithm", (gpointer) ALGORITHM);
  g_hash_table_insert (query, (gpointer) "X-Amz-Credential", credential);
  g_hash_table_insert (query, (gpointer) "X-Amz-Date", amz_date);
  g_hash_table_insert (query, (gpointer) "X-Amz-Expires", expires);
  g_hash_table_insert (query, (gpointer) "X-Amz-SignedHeaders", names);

  canonical_request = avatar_sigv4_canonical_request (method, path, query,
                                                      (const char * const *) headers->pdata,
                                                      UNSIGNED_PAYLOAD);
  string_to_sign = avatar_sigv4_string_to_sign (amz_date, scope, canonical_request);
  key = avatar_sigv4_signing_key (credentials->secret_key, date,
                                  credentials->region, credentials->service);
  signature = avatar_sigv4_sign (key, string_to_sign);

  canonical_query = avatar_sigv4_canonical_query (query);
  encoded_path = avatar_sigv4_uri_encode (path, TRUE);

  return g_strdup_printf ("%s%s?%s&X-Amz-Signature=%s",
                          endpoint, encoded_path, canonical_query, signature);
}

gboolean
avatar_sigv4_equal_constant_time (const char *a,
                                  const char *b)
{
  gsize len_a = strlen (a);
  gsize len_b = strlen (b);
  guint8 diff = len_a != len_b;

  /* Always walk the expected length so timing does not reveal how many
   * leading characters matched. */
  for (gsize i = 0; i < len_a; i++)
    diff |= (guint8) a[i] ^ (guint8) (i < len_b ? b[i] : 0);

  return diff == 0;
}

/* Returns NULL when a signing parameter (X-Amz-*) comes more than once:
 * S3 refuses that rather than pick one. */
static GHashTable *
parse_query (const char *raw_query)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) parts = NULL;

  if (raw_query == NULL || *raw_query == '\0')
    return g_steal_pointer (&params);

  parts = g_strsplit (raw_query, "&", -1);
  for (guint i = 0; parts[i]; i++)
    {
      char *eq = strchr (parts[i], '=');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (*parts[i] == '\0')
        continue;

      if (eq)
        *eq = '\0';
      name = g_uri_unescape_string (parts[i], NULL);
      value = eq ? g_uri_unescape_string (eq + 1, NULL) : g_strdup ("");
      if (name == NULL || value == NULL)
        continue;

      if (g_ascii_strncasecmp (name, "X-Amz-", 6) == 0 && g_hash_table_contains (params, name))
        return NULL;

      g_hash_table_replace (params, g_steal_pointer (&name), g_steal_pointer (&value));
    }

  return g_steal_pointer (&params);
}

static GDateTime *
parse_amz_date (const char *text)
{
  int year, month, day, hour, minute, second;
  char tail;

  if (text == NULL || strlen (text) != 16 ||
      sscanf (text, "%4d%2d%2dT%2d%2d%2d%c", &year, &month, &day, &hour, &minute, &second, &tail) != 7 ||
      tail != 'Z')
    return NULL;

  return g_date_time_new_utc (year, month, day, hour, minute, second);
}

static gboolean
parse_expires (const char *text,
               guint64    *expires)
{
  return text != NULL &&
         g_ascii_string_to_unsigned (text, 10, 1, AVATAR_SIGV4_MAX_EXPIRES, expires, NULL);
}

static AvatarSigv4Result
fail (AvatarSigv4Result   result,
      char              **message,
      const char         *text)
{
  if (message)
    *message = g_strdup (text);
  return result;
}

/* The query-string authentication parameters of a presigned request. */
typedef struct
{
  /* Stolen from the query, so owned here */
  char       *signature_name;
  char       *given_signature;
  /* Values in the query */
  const char *amz_date;
  const char *names;
  guint64     expires;
  GDateTime  *signed_at;
  /* access key, date, region, service, "aws4_request" */
  GStrv       credential_parts;
} PresignParams;

static void
presign_params_clear (PresignParams *params)
{
  g_clear_pointer (&params->signature_name, g_free);
  g_clear_pointer (&params->given_signature, g_free);
  g_clear_pointer (&params->signed_at, g_date_time_unref);
  g_clear_pointer (&params->credential_parts, g_strfreev);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PresignParams, presign_params_clear)

/* Takes X-Amz-Signature out of @query and checks that the other parameters
 * are there and well formed. */
static AvatarSigv4Result
read_presign_params (GHashTable     *query,
                     PresignParams  *params,
                     char          **message)
{
  const char *algorithm = g_hash_table_lookup (query, "X-Amz-Algorithm");
  const char *credential = g_hash_table_lookup (query, "X-Amz-Credential");
  const char *expires_text = g_hash_table_lookup (query, "X-Amz-Expires");

  params->amz_date = g_hash_table_lookup (query, "X-Amz-Date");
  params->names = g_hash_table_lookup (query, "X-Amz-SignedHeaders");

  /* Stealing takes both the key and the value out of the table without
   * freeing them, so both must be owned here. */
  if (!g_hash_table_steal_extended (query, "X-Amz-Signature",
                                    (gpointer *) &params->signature_name,
                                    (gpointer *) &params->given_signature) ||
      algorithm == NULL || credential == NULL || params->amz_date == NULL ||
      expires_text == NULL || params->names == NULL)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                 "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                 "and X-Amz-Expires parameters.");

  if (g_strcmp0 (algorithm, ALGORITHM) != 0)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");

  if (!parse_expires (expires_text, &params->expires))
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "X-Amz-Expires must be a number of seconds between 1 and 604800");

  params->signed_at = parse_amz_date (params->amz_date);
  if (params->signed_at == NULL)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");

  params->credential_parts = g_strsplit (credential, "/", -1);
  if (g_strv_length (params->credential_parts) != 5 ||
      g_strcmp0 (params->credential_parts[4], "aws4_request") != 0)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "Error parsing the X-Amz-Credential parameter");

  return AVATAR_SIGV4_OK;
}

/* Checks the credential's key and scope, and the time the signature is
 * valid for. */
static AvatarSigv4Result
check_credential (const AvatarSigv4Credentials  *credentials,
                  const PresignParams           *params,
                  GDateTime                     *now,
                  char                         **message)
{
  char **parts = params->credential_parts;
  g_autofree char *date = NULL;
  g_autoptr(GDateTime) expires_at = NULL;

  if (!avatar_sigv4_equal_constant_time (credentials->access_key, parts[0]))
    return fail (AVATAR_SIGV4_UNKNOWN_KEY, message,
                 "The AWS Access Key Id you provided does not exist in our records.");

  if (g_strcmp0 (parts[2], credentials->region) != 0 ||
      g_strcmp0 (parts[3], credentials->service) != 0)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "Error parsing the X-Amz-Credential parameter; the region or service is wrong");

  date = g_date_time_format (params->signed_at, "%Y%m%d");
  if (g_strcmp0 (date, parts[1]) != 0)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "Error parsing the X-Amz-Credential parameter; the date does not match X-Amz-Date");

  /* S3 tolerates a small clock skew for requests signed "in the future". */
  if (g_date_time_difference (params->signed_at, now) > 15 * G_TIME_SPAN_MINUTE)
    return fail (AVATAR_SIGV4_NOT_YET_VALID, message, "Request is not valid yet");

  expires_at = g_date_time_add_seconds (params->signed_at, (gdouble) params->expires);
  if (g_date_time_compare (now, expires_at) > 0)
    return fail (AVATAR_SIGV4_EXPIRED, message, "Request has expired");

  return AVATAR_SIGV4_OK;
}

/* Fills @signed_headers with the name, value pairs of the @header_names
 * that were signed, then a NULL. */
static AvatarSigv4Result
collect_signed_headers (GHashTable          *headers,
                        const char * const  *header_names,
                        GPtrArray           *signed_headers,
                        char               **message)
{
  for (guint i = 0; header_names[i]; i++)
    {
      const char *value = g_hash_table_lookup (headers, header_names[i]);

      if (value == NULL)
        return fail (AVATAR_SIGV4_SIGNATURE_MISMATCH, message,
                     "There were headers present in the request which were not signed, "
                     "or a signed header is missing");

      g_ptr_array_add (signed_headers, (gpointer) header_names[i]);
      g_ptr_array_add (signed_headers, (gpointer) value);
    }
  g_ptr_array_add (signed_headers, NULL);

  if (!g_strv_contains (header_names, "host"))
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "The host header must be signed");

  return AVATAR_SIGV4_OK;
}

/* The signature @credentials give the request; %NULL if @path is not a
 * valid percent-encoded path. */
static char *
dup_expected_signature (const AvatarSigv4Credentials *credentials,
                        const char                   *method,
                        const char                   *path,
                        GHashTable                   *query,
                        const PresignParams          *params,
                        GPtrArray                    *signed_headers)
{
  char **parts = params->credential_parts;
  g_autofree char *decoded_path = g_uri_unescape_string (path, NULL);
  g_autofree char *scope = NULL;
  g_autofree char *canonical_request = NULL;
  g_autofree char *string_to_sign = NULL;
  g_autoptr(GBytes) key = NULL;
  const char *payload_hash;

  if (decoded_path == NULL)
    return NULL;

  scope = g_strdup_printf ("%s/%s/%s/aws4_request", parts[1], parts[2], parts[3]);
  /* Some SDKs put the payload hash in the query; it is then what was signed. */
  payload_hash = g_hash_table_lookup (query, "X-Amz-Content-Sha256");
  canonical_request = avatar_sigv4_canonical_request (method, decoded_path, query,
                                                      (const char * const *) signed_headers->pdata,
                                                      payload_hash ? payload_hash : UNSIGNED_PAYLOAD);
  string_to_sign = avatar_sigv4_string_to_sign (params->amz_date, scope, canonical_request);
  key = avatar_sigv4_signing_key (credentials->secret_key, parts[1], parts[2], parts[3]);

  return avatar_sigv4_sign (key, string_to_sign);
}

/* Checks a presigned request the way S3 does.  @path is the request path as
 * sent (percent-encoded), @raw_query the query as sent, @headers maps
 * lower-case header names to values. */
AvatarSigv4Result
avatar_sigv4_verify (const AvatarSigv4Credentials  *credentials,
                     const char                    *method,
                     const char                    *path,
                     const char                    *raw_query,
                     GHashTable                    *headers,
                     GDateTime                     *now,
                     char                         **message)
{
  g_autoptr(GHashTable) query = parse_query (raw_query);
  g_auto(PresignParams) params = { 0 };
  g_autoptr(GPtrArray) signed_headers = g_ptr_array_new ();
  g_auto(GStrv) header_names = NULL;
  g_autofree char *expected = NULL;
  AvatarSigv4Result result;

  if (query == NULL)
    return fail (AVATAR_SIGV4_MALFORMED, message,
                 "A query-string authentication parameter was given more than once.");

  result = read_presign_params (query, &params, message);
  if (result == AVATAR_SIGV4_OK)
    result = check_credential (credentials, &params, now, message);
  if (result != AVATAR_SIGV4_OK)
    return result;

  header_names = g_strsplit (params.names, ";", -1);
  result = collect_signed_headers (headers, (const char * const *) header_names, signed_headers, message);
  if (result != AVATAR_SIGV4_OK)
    return result;

  expected = dup_expected_signature (credentials, method, path, query, &params, signed_headers);
  if (expected == NULL)
    return fail (AVATAR_SIGV4_MALFORMED, message, "The request path is not valid");

  if (!avatar_sigv4_equal_constant_time (expected, params.given_signature))
    return fail (AVATAR_SIGV4_SIGNATURE_MISMATCH, message,
                 "The request signature we calculated does not match the signature you provided. "
                 "Check your key and signing method.");

  return AVATAR_SIGV4_OK;
}
