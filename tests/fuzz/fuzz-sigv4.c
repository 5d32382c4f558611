/* fuzz-sigv4.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's reading and checking of a presigned request. The input is
 * lines: the raw query, then optionally the path (as sent), the method,
 * and "name: value" headers; the Host header is added when none is given.
 */

#include "config.h"

#include <string.h>

#include "avatar-sigv4.h"
#include "fuzz-target.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const AvatarSigv4Credentials credentials = {
    FUZZ_SIGV4_ACCESS_KEY, FUZZ_SIGV4_SECRET_KEY, FUZZ_SIGV4_REGION, "s3"
  };
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GHashTable) headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GDateTime) now = g_date_time_new_from_iso8601 (FUZZ_SIGV4_NOW, NULL);
  g_autofree char *message = NULL;
  const char *query, *path = "/s3/avatars/u/k", *method = "PUT";
  guint n_lines = g_strv_length (lines);
  AvatarSigv4Result result;

  fuzz_init_logging ();

  query = lines[0] != NULL ? lines[0] : "";
  if (n_lines > 1)
    path = lines[1];
  if (n_lines > 2)
    method = lines[2];

  for (guint i = 3; i < n_lines; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon == NULL || colon == lines[i])
        continue;
      g_hash_table_replace (headers,
                            g_ascii_strdown (lines[i], colon - lines[i]),
                            g_strstrip (g_strdup (colon + 1)));
    }
  if (!g_hash_table_contains (headers, "host"))
    g_hash_table_insert (headers, g_strdup ("host"), g_strdup (FUZZ_SIGV4_HOST));

  result = avatar_sigv4_verify (&credentials, method, path, query, headers, now, &message);
  g_assert ((result == AVATAR_SIGV4_OK) == (message == NULL));

  return 0;
}
