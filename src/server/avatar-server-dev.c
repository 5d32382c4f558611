/* avatar-server-dev.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The /_dev/ routes, present only with --faults: fault rules and the
 * state of an uploaded asset, for tests. */

#include "config.h"

#include <string.h>

#include "avatar-server-private.h"

static void
handle_dev_faults (AvatarServer      *self,
                   SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(JsonObject) rule = NULL;
  g_autoptr(GError) error = NULL;
  gboolean expire_tokens = FALSE;

  if (method == SOUP_METHOD_DELETE)
    {
      avatar_faults_clear (self->faults);
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (method != SOUP_METHOD_POST)
    {
      avatar_server_respond_method_not_allowed (msg, "POST, DELETE");
      return;
    }

  if (!(rule = avatar_server_read_json_object (msg)))
    return;

  if (!avatar_faults_add_rule (self->faults, rule, &expire_tokens, &error))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
      return;
    }

  if (expire_tokens)
    avatar_store_expire_access_tokens (self->store);

  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
handle_dev_asset (AvatarServer      *self,
                  SoupServerMessage *msg,
                  const char        *key)
{
  g_autoptr(AvatarStoreAsset) asset = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      avatar_server_respond_method_not_allowed (msg, "GET");
      return;
    }

  if (!avatar_server_check_name (key) || !(asset = avatar_store_get_asset (self->store, key)))
    {
      avatar_server_respond_not_found (msg);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "assetKey", asset->key);
  avatar_server_json_add_string (builder, "userId", asset->user_id);
  avatar_server_json_add_string (builder, "contentType", asset->content_type);
  avatar_server_json_add_string (builder, "state", avatar_asset_state_to_string (asset->state));
  avatar_server_json_add_string (builder, "reason", asset->reason);
  avatar_server_json_add_int (builder, "size", asset->size);
  avatar_server_json_add_int (builder, "width", asset->width);
  avatar_server_json_add_int (builder, "height", asset->height);
  json_builder_end_object (builder);

  avatar_server_respond_json (msg, SOUP_STATUS_OK, builder);
}

void
avatar_server_handle_dev (AvatarServer      *self,
                          SoupServerMessage *msg,
                          const char        *path)
{
  if (!self->faults_enabled)
    avatar_server_respond_not_found (msg);
  else if (g_strcmp0 (path, "/_dev/faults") == 0)
    handle_dev_faults (self, msg);
  else if (g_str_has_prefix (path, "/_dev/assets/"))
    handle_dev_asset (self, msg, path + strlen ("/_dev/assets/"));
  else
    avatar_server_respond_not_found (msg);
}
