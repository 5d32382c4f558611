/* avatar-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The server object and its life cycle: the data directory and database,
 * the routes to the handlers of the REST API (avatar-server-api.c), the S3
 * endpoint (avatar-server-s3.c) and the CDN (avatar-server-cdn.c), accepting
 * connections behind an AvatarHttpGuard, and shutting down. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "avatar-server-private.h"

#define DEMO_USERNAME "demo"

G_DEFINE_FINAL_TYPE (AvatarServer, avatar_server, G_TYPE_OBJECT)

static gboolean
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir)
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }

  return g_rmdir (path) == 0;
}

static void stop_listening (AvatarServer *self);

static void
avatar_server_dispose (GObject *object)
{
  AvatarServer *self = (AvatarServer *) object;

  stop_listening (self);
  if (self->soup)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);

  if (self->scheduled)
    g_hash_table_remove_all (self->scheduled);

  if (self->store)
    avatar_store_close (self->store);
  g_clear_object (&self->store);
  g_clear_object (&self->processor);
  g_clear_object (&self->faults);

  G_OBJECT_CLASS (avatar_server_parent_class)->dispose (object);
}

static void
avatar_server_finalize (GObject *object)
{
  AvatarServer *self = (AvatarServer *) object;

  if (self->remove_data_dir && self->data_dir)
    remove_tree (self->data_dir);

  g_clear_pointer (&self->scheduled, g_hash_table_unref);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_free (self->address);
  g_free (self->data_dir);
  g_free (self->objects_dir);
  g_free (self->access_key);
  g_free (self->secret_key);
  g_free (self->bucket);
  g_free (self->region);
  g_free (self->base_url);
  g_free (self->host);
  g_free (self->demo_user_id);
  g_free (self->demo_access_token);
  g_free (self->demo_refresh_token);

  G_OBJECT_CLASS (avatar_server_parent_class)->finalize (object);
}

static void
avatar_server_class_init (AvatarServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = avatar_server_dispose;
  object_class->finalize = avatar_server_finalize;
}

static void
avatar_server_init (AvatarServer *self)
{
  self->scheduled = avatar_server_new_schedule_table ();
  self->connections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Names of users, user ids and asset keys: 1 or more of [A-Za-z0-9_]. */
gboolean
avatar_server_check_name (const char *text)
{
  if (text == NULL || *text == '\0')
    return FALSE;

  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;

  return TRUE;
}

char *
avatar_server_dup_asset_dir (AvatarServer *self,
                             const char   *user_id,
                             const char   *key)
{
  return g_build_filename (self->objects_dir, "avatars", user_id, key, NULL);
}

char *
avatar_server_dup_cdn_url (AvatarServer *self,
                           const char   *user_id,
                           const char   *key,
                           const char   *variant)
{
  return g_strdup_printf ("%s/cdn/avatars/%s/%s/%s", self->base_url, user_id, key, variant);
}

typedef struct
{
  SoupServerMessage *msg;
  guint              timeout_id;
  gulong             finished_id;
} LaterResponse;

static gboolean
later_response_send (gpointer data)
{
  LaterResponse *later = data;

  later->timeout_id = 0;
  g_signal_handler_disconnect (later->msg, later->finished_id);
  soup_server_message_unpause (later->msg);
  g_object_unref (later->msg);
  g_free (later);

  return G_SOURCE_REMOVE;
}

static void
later_response_abandoned (SoupServerMessage *msg,
                          LaterResponse     *later)
{
  g_clear_handle_id (&later->timeout_id, g_source_remove);
  g_signal_handler_disconnect (later->msg, later->finished_id);
  g_object_unref (later->msg);
  g_free (later);
}

/* Holds back an already prepared response for @delay_ms. */
void
avatar_server_respond_later (SoupServerMessage *msg,
                             guint              delay_ms)
{
  LaterResponse *later;

  if (delay_ms == 0)
    return;

  later = g_new0 (LaterResponse, 1);
  later->msg = g_object_ref (msg);
  later->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (later_response_abandoned), later);
  later->timeout_id = g_timeout_add (delay_ms, later_response_send, later);
  soup_server_message_pause (msg);
}

/* Every answer closes its connection: libsoup does so anyway for a
 * connection it did not accept itself, and this way clients know. */
static void
request_started (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

static void
fallback_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  avatar_server_respond_not_found (msg);
}

/* Life cycle */

static gboolean
prepare_data_dir (AvatarServer  *self,
                  const char    *data_dir,
                  GError       **error)
{
  if (data_dir)
    {
      self->data_dir = g_canonicalize_filename (data_dir, NULL);
      if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Cannot create the data directory %s: %s"),
                       self->data_dir, g_strerror (saved_errno));
          return FALSE;
        }
    }
  else
    {
      self->data_dir = g_dir_make_tmp ("avatar-devserver-XXXXXX", error);
      if (self->data_dir == NULL)
        return FALSE;
      self->remove_data_dir = TRUE;
    }

  self->objects_dir = g_build_filename (self->data_dir, "objects", NULL);
  if (g_mkdir_with_parents (self->objects_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), self->objects_dir, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/* SQLite gives its -wal and -shm files the mode of the database file, so
 * creating that one private keeps all of them private. */
static gboolean
create_private_file (const char  *path,
                     GError     **error)
{
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0 || fchmod (fd, 0600) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  close (fd);

  return TRUE;
}

static gboolean
prepare_demo_account (AvatarServer  *self,
                      GError       **error)
{
  self->demo_user_id = avatar_store_dup_setting (self->store, "demo-user-id");
  if (self->demo_user_id == NULL)
    {
      self->demo_user_id = avatar_store_ensure_user (self->store, DEMO_USERNAME, error);
      if (self->demo_user_id == NULL ||
          !avatar_store_set_setting (self->store, "demo-user-id", self->demo_user_id, error))
        return FALSE;
    }

  return avatar_store_issue_tokens (self->store, self->demo_user_id, self->token_lifetime_s,
                                    &self->demo_access_token, &self->demo_refresh_token, error);
}

AvatarServer *
avatar_server_new (const AvatarServerOptions  *options,
                   GError                    **error)
{
  g_autoptr(AvatarServer) self = NULL;
  g_autofree char *db_path = NULL;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->access_key != NULL && options->secret_key != NULL, NULL);
  g_return_val_if_fail (options->bucket != NULL && options->region != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (AVATAR_TYPE_SERVER, NULL);
  self->address = g_strdup (options->address ? options->address : "127.0.0.1");
  self->port = options->port;
  self->processing_delay_ms = options->processing_delay_ms;
  self->access_key = g_strdup (options->access_key);
  self->secret_key = g_strdup (options->secret_key);
  self->bucket = g_strdup (options->bucket);
  self->region = g_strdup (options->region);
  self->token_lifetime_s = options->token_lifetime_s;
  self->faults_enabled = options->faults;
  self->header_timeout_s = options->header_timeout_s > 0 ? options->header_timeout_s
                                                         : AVATAR_SERVER_HEADER_TIMEOUT_S;
  self->idle_timeout_s = options->idle_timeout_s > 0 ? options->idle_timeout_s
                                                     : AVATAR_SERVER_IDLE_TIMEOUT_S;
  self->faults = avatar_faults_new ();
  self->processor = avatar_processor_new (options->workers);

  /* The bucket name rules of S3, so that the name works with any client. */
  if (!g_regex_match_simple ("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", self->bucket, 0, 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid bucket name."), self->bucket);
      return NULL;
    }

  if (!prepare_data_dir (self, options->data_dir, error))
    return NULL;

  db_path = g_build_filename (self->data_dir, "avatar.db", NULL);
  if (!create_private_file (db_path, error))
    return NULL;

  self->store = avatar_store_open (db_path, error);
  if (self->store == NULL || !prepare_demo_account (self, error))
    return NULL;

  self->soup = soup_server_new ("server-header", "avatar-devserver", NULL);
  soup_server_add_early_handler (self->soup, "/s3", avatar_server_s3_early_handler, self, NULL);
  soup_server_add_handler (self->soup, "/s3", avatar_server_s3_handler, self, NULL);
  soup_server_add_handler (self->soup, "/cdn", avatar_server_cdn_handler, self, NULL);
  soup_server_add_early_handler (self->soup, "/users", avatar_server_api_early_handler, self, NULL);
  soup_server_add_early_handler (self->soup, "/auth", avatar_server_api_early_handler, self, NULL);
  soup_server_add_early_handler (self->soup, "/_dev", avatar_server_api_early_handler, self, NULL);
  soup_server_add_handler (self->soup, "/users", avatar_server_api_handler, self, NULL);
  soup_server_add_handler (self->soup, "/auth", avatar_server_api_handler, self, NULL);
  soup_server_add_handler (self->soup, "/_dev", avatar_server_api_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, fallback_handler, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started), NULL);

  return g_steal_pointer (&self);
}

/* Connections */

static char *
dup_peer_key (GSocketAddress *address)
{
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;

  ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));

  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

static void
connection_finalized (gpointer  data,
                      GObject  *where_the_guard_was)
{
  AvatarServer *self = data;
  GHashTableIter iter;
  gpointer guard;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &guard))
    if (guard == where_the_guard_was)
      {
        g_hash_table_iter_remove (&iter);
        break;
      }
}

void
avatar_server_cut_connection (AvatarServer      *self,
                              SoupServerMessage *msg)
{
  g_autofree char *key = dup_peer_key (soup_server_message_get_remote_address (msg));
  AvatarHttpGuard *guard = key ? g_hash_table_lookup (self->connections, key) : NULL;

  if (guard)
    avatar_http_guard_cut (guard);
}

static void
accept_connection (AvatarServer *self,
                   GSocket      *socket)
{
  g_autoptr(GSocketConnection) connection = g_socket_connection_factory_create_connection (socket);
  g_autoptr(AvatarHttpGuard) guard = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  if (local == NULL || remote == NULL)
    return;

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  guard = avatar_http_guard_new (connection, self->header_timeout_s, self->idle_timeout_s);

  key = dup_peer_key (remote);
  if (key)
    {
      AvatarHttpGuard *previous = g_hash_table_lookup (self->connections, key);

      if (previous)
        g_object_weak_unref (G_OBJECT (previous), connection_finalized, self);
      g_object_weak_ref (G_OBJECT (guard), connection_finalized, self);
      g_hash_table_replace (self->connections, g_steal_pointer (&key), guard);
    }

  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (guard), local, remote, &error))
    g_warning ("Cannot take a connection: %s", error->message);
}

static gboolean
on_incoming (GSocket      *listen_socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  AvatarServer *self = user_data;

  /* Everything waiting in the backlog, then back to the main loop. */
  while (TRUE)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_accept (listen_socket, NULL, &error);

      if (socket == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_warning ("Cannot accept a connection: %s", error->message);
          break;
        }

      accept_connection (self, socket);
    }

  return G_SOURCE_CONTINUE;
}

static void
stop_listening (AvatarServer *self)
{
  GHashTableIter iter;
  gpointer guard;

  if (self->accept_source)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->listen_socket)
    g_socket_close (self->listen_socket, NULL);
  g_clear_object (&self->listen_socket);

  /* Guards that outlive the server must not call back into it. */
  if (self->connections)
    {
      g_hash_table_iter_init (&iter, self->connections);
      while (g_hash_table_iter_next (&iter, NULL, &guard))
        g_object_weak_unref (guard, connection_finalized, self);
      g_hash_table_remove_all (self->connections);
    }
}

static GSocket *
listen_on (GSocketAddress  *address,
           GError         **error)
{
  g_autoptr(GSocket) socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return NULL;

  if (g_socket_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);

  /* GLib's default backlog is 10, which resets clients that arrive
   * together; the kernel may still cap it (net.core.somaxconn). */
  g_socket_set_listen_backlog (socket, AVATAR_SERVER_LISTEN_BACKLOG);
  g_socket_set_blocking (socket, FALSE);

  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;

  return g_steal_pointer (&socket);
}

gboolean
avatar_server_listen (AvatarServer  *self,
                      GError       **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *host_text = NULL;

  g_return_val_if_fail (AVATAR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->base_url == NULL, FALSE);

  inet = g_inet_address_new_from_string (self->address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address."), self->address);
      return FALSE;
    }

  address = g_inet_socket_address_new (inet, self->port);
  self->listen_socket = listen_on (address, error);
  if (self->listen_socket == NULL)
    return FALSE;

  bound = g_socket_get_local_address (self->listen_socket, error);
  if (bound == NULL)
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  self->accept_source = g_socket_create_source (self->listen_socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    host_text = g_strdup_printf ("[%s]", self->address);
  else
    host_text = g_strdup (self->address);

  self->host = g_strdup_printf ("%s:%u", host_text, self->port);
  self->base_url = g_strdup_printf ("http://%s", self->host);

  return TRUE;
}

char *
avatar_server_dup_ready_line (AvatarServer *self)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *cdn_base = NULL;
  g_autofree char *endpoint = NULL;

  g_return_val_if_fail (AVATAR_IS_SERVER (self), NULL);
  g_return_val_if_fail (self->base_url != NULL, NULL);

  builder = json_builder_new ();
  cdn_base = g_strdup_printf ("%s/cdn", self->base_url);
  endpoint = g_strdup_printf ("%s/s3", self->base_url);

  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "baseUrl", self->base_url);
  avatar_server_json_add_string (builder, "cdnBaseUrl", cdn_base);
  avatar_server_json_add_string (builder, "appId", BASE_APP_ID);
  avatar_server_json_add_string (builder, "userId", self->demo_user_id);
  avatar_server_json_add_string (builder, "accessToken", self->demo_access_token);
  avatar_server_json_add_string (builder, "refreshToken", self->demo_refresh_token);
  json_builder_set_member_name (builder, "s3");
  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "endpoint", endpoint);
  avatar_server_json_add_string (builder, "bucket", self->bucket);
  avatar_server_json_add_string (builder, "region", self->region);
  avatar_server_json_add_string (builder, "accessKey", self->access_key);
  avatar_server_json_add_string (builder, "secretKey", self->secret_key);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);

  return json_to_string (node, FALSE);
}

void
avatar_server_check_drained (AvatarServer *self)
{
  if (self->shutdown_task && self->in_flight == 0)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);

      avatar_store_close (self->store);
      g_task_return_boolean (task, TRUE);
    }
}

/* Stops accepting requests, lets processing that already started (or waits
 * for its delay) finish, then closes the database. */
void
avatar_server_shutdown_async (AvatarServer        *self,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AVATAR_IS_SERVER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, avatar_server_shutdown_async);

  if (self->shutdown_task)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The server is already shutting down");
      return;
    }

  stop_listening (self);
  soup_server_disconnect (self->soup);
  self->shutdown_task = g_steal_pointer (&task);
  avatar_server_flush_processing (self);
  avatar_server_check_drained (self);
}

gboolean
avatar_server_shutdown_finish (AvatarServer  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_server_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
