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
  /* Seconds a client may take to send a request's line and headers, from
   * their first byte; 0: AVATAR_SERVER_HEADER_TIMEOUT_S. */
  guint       header_timeout_s;
  /* Seconds a connection may stay silent while a request is expected or
   * being read; 0: AVATAR_SERVER_IDLE_TIMEOUT_S. */
  guint       idle_timeout_s;
} AvatarServerOptions;

#define AVATAR_SERVER_HEADER_TIMEOUT_S 10
#define AVATAR_SERVER_IDLE_TIMEOUT_S 60
/* Connections the kernel keeps waiting for the server to accept them. */
#define AVATAR_SERVER_LISTEN_BACKLOG 128

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
