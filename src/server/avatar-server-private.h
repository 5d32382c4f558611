/* avatar-server-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "avatar-faults.h"
#include "avatar-http-guard.h"
#include "avatar-processor.h"
#include "avatar-server.h"
#include "avatar-server-json.h"
#include "avatar-sigv4.h"
#include "avatar-store.h"

G_BEGIN_DECLS

#define AVATAR_MAX_OBJECT_BYTES 5242880
#define AVATAR_MAX_API_BODY 65536
#define AVATAR_PRESIGN_EXPIRES_S 600

struct _AvatarServer
{
  GObject          parent_instance;

  SoupServer      *soup;
  AvatarStore     *store;
  AvatarProcessor *processor;
  AvatarFaults    *faults;

  char            *address;
  guint            port;
  char            *data_dir;
  char            *objects_dir;
  gboolean         remove_data_dir;
  guint            processing_delay_ms;
  char            *access_key;
  char            *secret_key;
  char            *bucket;
  char            *region;
  guint            token_lifetime_s;
  gboolean         faults_enabled;
  guint            header_timeout_s;
  guint            idle_timeout_s;

  /* The server accepts connections itself, to put each behind an
   * AvatarHttpGuard before libsoup reads from it. */
  GSocket         *listen_socket;
  GSource         *accept_source;
  /* "address:port" of the peer → its AvatarHttpGuard, not owned */
  GHashTable      *connections;

  char            *base_url;
  char            *host;
  char            *demo_user_id;
  char            *demo_access_token;
  char            *demo_refresh_token;

  /* asset key → the processing that waits for its delay */
  GHashTable      *scheduled;
  /* Processing scheduled or running; shutdown waits until it is 0. */
  guint            in_flight;
  GTask           *shutdown_task;
};

/* avatar-server.c: the object, listening and routing */
gboolean    avatar_server_check_name                 (const char         *text);
char       *avatar_server_dup_asset_dir              (AvatarServer       *self,
                                                      const char         *user_id,
                                                      const char         *key);
char       *avatar_server_dup_cdn_url                (AvatarServer       *self,
                                                      const char         *user_id,
                                                      const char         *key,
                                                      const char         *variant);
void        avatar_server_respond_later              (SoupServerMessage  *msg,
                                                      guint               delay_ms);
/* Closes @msg's connection at once, as a network failure would. */
void        avatar_server_cut_connection             (AvatarServer       *self,
                                                      SoupServerMessage  *msg);
void        avatar_server_check_drained              (AvatarServer       *self);

/* avatar-server-api.c: /auth/ and /users/ */
void        avatar_server_api_handler                (SoupServer         *server,
                                                      SoupServerMessage  *msg,
                                                      const char         *path,
                                                      GHashTable         *query,
                                                      gpointer            user_data);

/* avatar-server-dev.c: /_dev/, present only with --faults */
void        avatar_server_handle_dev                 (AvatarServer       *self,
                                                      SoupServerMessage  *msg,
                                                      const char         *path);

/* avatar-server-s3.c: presigned uploads */
void        avatar_server_s3_early_handler           (SoupServer         *server,
                                                      SoupServerMessage  *msg,
                                                      const char         *path,
                                                      GHashTable         *query,
                                                      gpointer            user_data);
void        avatar_server_s3_handler                 (SoupServer         *server,
                                                      SoupServerMessage  *msg,
                                                      const char         *path,
                                                      GHashTable         *query,
                                                      gpointer            user_data);

/* avatar-server-processing.c: what follows an upload */
/* Processes the object just stored at @key, after the processing delay. */
void        avatar_server_schedule_processing        (AvatarServer       *self,
                                                      const char         *key);
GHashTable *avatar_server_new_schedule_table         (void);
void        avatar_server_flush_processing           (AvatarServer       *self);

/* avatar-server-cdn.c: the processed variants */
void        avatar_server_cdn_handler                (SoupServer         *server,
                                                      SoupServerMessage  *msg,
                                                      const char         *path,
                                                      GHashTable         *query,
                                                      gpointer            user_data);

G_END_DECLS
