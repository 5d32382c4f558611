/* avatar-server.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AVATAR_TYPE_SERVER (avatar_server_get_type ())

G_DECLARE_FINAL_TYPE (AvatarServer, avatar_server, AVATAR, SERVER, GObject)

typedef struct
{
  const char *address;
  guint       port;
  const char *data_dir;
  guint       processing_delay_ms;
  const char *access_key;
  const char *secret_key;
  const char *bucket;
  const char *region;
  guint       token_lifetime_s;
  gboolean    faults;
  /* Uploads processed at once; 0: one per processor. */
  guint       workers;
} AvatarServerOptions;

/* Opens or creates the state under options->data_dir; nothing listens yet.
 * Returns: (transfer full) (nullable): the server, or %NULL with @error set. */
AvatarServer *avatar_server_new             (const AvatarServerOptions  *options,
                                             GError                    **error);
gboolean      avatar_server_listen          (AvatarServer               *self,
                                             GError                    **error);
/* Returns: (transfer full): the one-line JSON that tells clients where
 * everything is; only once avatar_server_listen() has succeeded. */
char         *avatar_server_dup_ready_line  (AvatarServer               *self);
/* Stops accepting requests, finishes the processing already scheduled,
 * then closes the database. */
void          avatar_server_shutdown_async  (AvatarServer               *self,
                                             GAsyncReadyCallback         callback,
                                             gpointer                    user_data);
gboolean      avatar_server_shutdown_finish (AvatarServer               *self,
                                             GAsyncResult               *result,
                                             GError                    **error);

G_END_DECLS
