/* avatar-server-cdn.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The CDN that serves the variants of processed avatars. */

#include "config.h"

#include <string.h>

#include "avatar-server-private.h"

static const char * const variants[] = {
  "44.webp", "48.webp", "60.webp", "original.webp", "raw", NULL
};

static gboolean
etag_matches (const char *if_none_match,
              const char *etag)
{
  g_auto(GStrv) tags = NULL;

  if (if_none_match == NULL)
    return FALSE;

  tags = g_strsplit (if_none_match, ",", -1);
  for (guint i = 0; tags[i]; i++)
    {
      const char *tag = g_strstrip (tags[i]);

      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (g_strcmp0 (tag, "*") == 0 || g_strcmp0 (tag, etag) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
respond_cdn_not_found (SoupServerMessage *msg)
{
  static const char text[] = "Not found\n";

  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, text, strlen (text));
}

static void
serve_variant (AvatarServer      *self,
               SoupServerMessage *msg,
               AvatarStoreAsset  *asset,
               const char        *variant)
{
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  const char *if_none_match = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                             "If-None-Match");
  g_autofree char *dir = avatar_server_dup_asset_dir (self, asset->user_id, asset->key);
  g_autofree char *file_path = g_build_filename (dir, variant, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *etag = NULL;
  gsize len;

  if (!g_file_get_contents (file_path, &contents, &len, NULL))
    {
      respond_cdn_not_found (msg);
      return;
    }

  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
  etag = g_strdup_printf ("\"%.32s\"", digest);
  soup_message_headers_replace (response_headers, "ETag", etag);
  soup_message_headers_replace (response_headers, "Cache-Control", "public, max-age=31536000, immutable");

  if (etag_matches (if_none_match, etag))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg,
                                    g_str_equal (variant, "raw") ? asset->content_type : "image/webp",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&contents), len);
}

/* GET /cdn/avatars/<user>/<key>/<variant> */
void
avatar_server_cdn_handler (SoupServer        *server,
                           SoupServerMessage *msg,
                           const char        *path,
                           GHashTable        *query,
                           gpointer           user_data)
{
  AvatarServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(AvatarStoreAsset) asset = NULL;
  AvatarFault fault;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (self->faults_enabled && avatar_faults_take (self->faults, "cdn", &fault))
    {
      avatar_server_respond_later (msg, fault.delay_ms);
      if (fault.status)
        {
          if (fault.retry_after_s >= 0)
            {
              g_autofree char *value = g_strdup_printf ("%d", fault.retry_after_s);

              soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", value);
            }
          soup_server_message_set_status (msg, fault.status, NULL);
          return;
        }
    }

  /* Only the exact shape with known names: nothing else on disk is reachable. */
  if (g_strv_length (parts) != 6 || g_strcmp0 (parts[2], "avatars") != 0 ||
      !avatar_server_check_name (parts[3]) || !avatar_server_check_name (parts[4]) ||
      !g_strv_contains (variants, parts[5]) ||
      !(asset = avatar_store_get_asset (self->store, parts[4])) ||
      g_strcmp0 (asset->user_id, parts[3]) != 0 ||
      asset->state != AVATAR_ASSET_READY)
    {
      respond_cdn_not_found (msg);
      return;
    }

  serve_variant (self, msg, asset, parts[5]);
}
