/* avatar-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Runs avatar-devserver for a test: one private server per fixture on a
 * free loopback port, stopped again with SIGTERM. */

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "avatar-test-server.h"

#define START_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 60000
#define PROCESSING_TIMEOUT_MS 60000

typedef struct
{
  char     *line;
  GError   *error;
  gboolean  done;
} ReadLine;

static gboolean
deadline_passed (gpointer data)
{
  gboolean *passed = data;

  *passed = TRUE;

  return G_SOURCE_REMOVE;
}

gboolean
avatar_test_wait_until (gboolean (*cond) (gpointer data),
                        gpointer   data,
                        guint      timeout_ms)
{
  gboolean passed = FALSE;
  guint timeout_id = g_timeout_add (timeout_ms, deadline_passed, &passed);
  gboolean result;

  while (!(result = cond (data)) && !passed)
    g_main_context_iteration (NULL, TRUE);

  if (!passed)
    g_source_remove (timeout_id);

  return result;
}

static void
read_line_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ReadLine *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &read->error);
  read->done = TRUE;
}

static gboolean
read_line_is_done (gpointer data)
{
  return ((ReadLine *) data)->done;
}

static void
die_with_parent (gpointer user_data)
{
  /* A failed assertion aborts the test without teardown; the server must
   * not outlive it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static char *
dup_member (JsonObject *object,
            const char *name)
{
  g_assert_true (json_object_has_member (object, name));

  return g_strdup (json_object_get_string_member (object, name));
}

static void
read_ready_line (AvatarTestServer *server,
                 const char       *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *ready, *s3;

  json_parser_load_from_data (parser, line, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  ready = json_node_get_object (json_parser_get_root (parser));
  server->base_url = dup_member (ready, "baseUrl");
  server->cdn_base_url = dup_member (ready, "cdnBaseUrl");
  server->app_id = dup_member (ready, "appId");
  server->user_id = dup_member (ready, "userId");
  server->access_token = dup_member (ready, "accessToken");
  server->refresh_token = dup_member (ready, "refreshToken");

  s3 = json_object_get_object_member (ready, "s3");
  g_assert_nonnull (s3);
  server->s3_endpoint = dup_member (s3, "endpoint");
  server->bucket = dup_member (s3, "bucket");
  server->region = dup_member (s3, "region");
  server->access_key = dup_member (s3, "accessKey");
  server->secret_key = dup_member (s3, "secretKey");
}

AvatarTestServer *
avatar_test_server_start (const char * const *extra_args)
{
  return avatar_test_server_start_full (TRUE, extra_args);
}

static AvatarTestServer *
server_spawn (gboolean            faults,
              const char         *log_path,
              const char * const *extra_args);

AvatarTestServer *
avatar_test_server_start_full (gboolean            faults,
                               const char * const *extra_args)
{
  return server_spawn (faults, NULL, extra_args);
}

AvatarTestServer *
avatar_test_server_start_logged (const char         *log_path,
                                 const char * const *extra_args)
{
  g_assert_nonnull (log_path);

  return server_spawn (TRUE, log_path, extra_args);
}

static AvatarTestServer *
server_spawn (gboolean            faults,
              const char         *log_path,
              const char * const *extra_args)
{
  const char *binary = g_getenv ("AVATAR_DEVSERVER");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) stdout_lines = NULL;
  g_autoptr(GError) error = NULL;
  AvatarTestServer *server;
  ReadLine read = { 0 };

  g_assert_nonnull (binary);

  g_ptr_array_add (argv, (gpointer) binary);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  if (faults)
    g_ptr_array_add (argv, (gpointer) "--faults");
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (log_path != NULL)
    {
      g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
      g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
    }

  server = g_new0 (AvatarTestServer, 1);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  g_data_input_stream_read_line_async (stdout_lines, G_PRIORITY_DEFAULT, NULL, read_line_done, &read);
  avatar_test_wait_until (read_line_is_done, &read, START_TIMEOUT_MS);
  g_assert_true (read.done);
  g_assert_no_error (read.error);
  g_assert_nonnull (read.line);

  read_ready_line (server, read.line);
  g_free (read.line);

  server->session = soup_session_new_with_options ("timeout", 120, "idle-timeout", 120, NULL);

  return server;
}

static void
server_free (AvatarTestServer *server)
{
  g_clear_object (&server->process);
  g_clear_object (&server->session);
  g_free (server->base_url);
  g_free (server->cdn_base_url);
  g_free (server->app_id);
  g_free (server->user_id);
  g_free (server->access_token);
  g_free (server->refresh_token);
  g_free (server->s3_endpoint);
  g_free (server->bucket);
  g_free (server->region);
  g_free (server->access_key);
  g_free (server->secret_key);
  g_free (server);
}

static void
wait_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

int
avatar_test_server_stop_status (AvatarTestServer *server)
{
  gboolean exited = FALSE;
  int status;

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait_async (server->process, NULL, wait_done, &exited);
  if (!avatar_test_wait_until (flag_is_set, &exited, STOP_TIMEOUT_MS))
    {
      g_subprocess_force_exit (server->process);
      g_subprocess_wait (server->process, NULL, NULL);
      server_free (server);
      return -1;
    }

  status = g_subprocess_get_if_exited (server->process) ? g_subprocess_get_exit_status (server->process) : -1;
  server_free (server);

  return status;
}

void
avatar_test_server_stop (AvatarTestServer *server)
{
  if (server == NULL)
    return;

  g_assert_cmpint (avatar_test_server_stop_status (server), ==, 0);
}

GBytes *
avatar_test_server_send (AvatarTestServer *server,
                         SoupMessage      *msg)
{
  g_autoptr(GError) error = NULL;
  GBytes *body = soup_session_send_and_read (server->session, msg, NULL, &error);

  g_assert_no_error (error);

  return body;
}

SoupMessage *
avatar_test_server_new_call (AvatarTestServer *server,
                             const char       *access_token,
                             const char       *method,
                             const char       *path,
                             const char       *json_body)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  g_assert_nonnull (msg);
  soup_message_headers_replace (headers, "x-app-id", server->app_id);
  if (access_token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", access_token, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  if (json_body)
    {
      g_autoptr(GBytes) request = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }

  return msg;
}

guint
avatar_test_server_send_for_status (AvatarTestServer  *server,
                                    SoupMessage       *msg,
                                    SoupMessage      **out_msg)
{
  g_autoptr(GBytes) body = avatar_test_server_send (server, msg);

  if (out_msg)
    *out_msg = g_object_ref (msg);

  return soup_message_get_status (msg);
}

guint
avatar_test_server_call_as (AvatarTestServer  *server,
                            const char        *access_token,
                            const char        *method,
                            const char        *path,
                            const char        *json_body,
                            JsonNode         **out_body)
{
  g_autoptr(SoupMessage) msg = avatar_test_server_new_call (server, access_token, method, path, json_body);
  g_autoptr(GBytes) body = avatar_test_server_send (server, msg);

  if (out_body)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      *out_body = NULL;
      if (g_bytes_get_size (body) > 0 &&
          json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
        *out_body = json_node_copy (json_parser_get_root (parser));
    }

  return soup_message_get_status (msg);
}

guint
avatar_test_server_call (AvatarTestServer  *server,
                         const char        *method,
                         const char        *path,
                         const char        *json_body,
                         JsonNode         **out_body)
{
  return avatar_test_server_call_as (server, server->access_token, method, path, json_body, out_body);
}

void
avatar_test_server_set_fault (AvatarTestServer *server,
                              const char       *rule_json)
{
  guint status = avatar_test_server_call (server, "POST", "/_dev/faults", rule_json, NULL);

  g_assert_cmpuint (status, >=, 200);
  g_assert_cmpuint (status, <, 300);
}

void
avatar_test_server_clear_faults (AvatarTestServer *server)
{
  guint status = avatar_test_server_call (server, "DELETE", "/_dev/faults", NULL, NULL);

  g_assert_cmpuint (status, >=, 200);
  g_assert_cmpuint (status, <, 300);
}

void
avatar_test_server_login (AvatarTestServer  *server,
                          const char        *username,
                          char             **access_token,
                          char             **refresh_token,
                          char             **user_id)
{
  g_autofree char *request = g_strdup_printf ("{\"username\": \"%s\"}", username);
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;

  g_assert_cmpuint (avatar_test_server_call_as (server, NULL, "POST", "/auth/dev-login", request, &body), ==, 200);
  g_assert_true (body && JSON_NODE_HOLDS_OBJECT (body));
  object = json_node_get_object (body);

  if (access_token)
    *access_token = g_strdup (json_object_get_string_member (object, "accessToken"));
  if (refresh_token)
    *refresh_token = g_strdup (json_object_get_string_member (object, "refreshToken"));
  if (user_id)
    *user_id = g_strdup (json_object_get_string_member (object, "userId"));
}

char *
avatar_test_server_request_upload (AvatarTestServer  *server,
                                   const char        *access_token,
                                   const char        *content_type,
                                   char             **asset_key,
                                   char             **cdn_url)
{
  g_autofree char *request = g_strdup_printf ("{\"contentType\": \"%s\"}", content_type);
  g_autoptr(JsonNode) answer = NULL;
  JsonObject *object;

  g_assert_cmpuint (avatar_test_server_call_as (server, access_token ? access_token : server->access_token,
                                                "POST", "/users/me/avatar", request, &answer), ==, 200);
  object = json_node_get_object (answer);

  if (asset_key)
    *asset_key = g_strdup (json_object_get_string_member (object, "assetKey"));
  if (cdn_url)
    *cdn_url = g_strdup (json_object_get_string_member (object, "cdnUrl"));

  return g_strdup (json_object_get_string_member (object, "uploadUrl"));
}

guint
avatar_test_server_upload (AvatarTestServer  *server,
                           const char        *access_token,
                           const char        *content_type,
                           GBytes            *data,
                           char             **asset_key,
                           char             **cdn_url)
{
  g_autofree char *upload_url = avatar_test_server_request_upload (server, access_token, content_type,
                                                                   asset_key, cdn_url);
  g_autoptr(SoupMessage) put = soup_message_new ("PUT", upload_url);

  soup_message_set_request_body_from_bytes (put, content_type, data);

  return avatar_test_server_send_for_status (server, put, NULL);
}

char *
avatar_test_server_dup_asset_state (AvatarTestServer  *server,
                                    const char        *asset_key,
                                    char             **reason)
{
  g_autofree char *path = g_strconcat ("/_dev/assets/", asset_key, NULL);
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;

  g_assert_cmpuint (avatar_test_server_call (server, "GET", path, NULL, &body), ==, 200);
  object = json_node_get_object (body);

  if (reason)
    *reason = g_strdup (json_object_get_string_member_with_default (object, "reason", NULL));

  return g_strdup (json_object_get_string_member (object, "state"));
}

typedef struct
{
  AvatarTestServer *server;
  const char       *asset_key;
  char             *state;
} AssetWait;

static gboolean
asset_processed (gpointer data)
{
  AssetWait *wait = data;

  g_free (wait->state);
  wait->state = avatar_test_server_dup_asset_state (wait->server, wait->asset_key, NULL);

  return g_strcmp0 (wait->state, "processing") != 0 && g_strcmp0 (wait->state, "pending") != 0;
}

static gboolean
poll_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

char *
avatar_test_server_wait_processed (AvatarTestServer *server,
                                   const char       *asset_key)
{
  AssetWait wait = { server, asset_key, NULL };
  guint tick = g_timeout_add (20, poll_tick, NULL);

  avatar_test_wait_until (asset_processed, &wait, PROCESSING_TIMEOUT_MS);
  g_source_remove (tick);

  return wait.state;
}

GBytes *
avatar_test_make_png (int width,
                      int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  char *data = NULL;
  gsize len = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * stride + x * 3;

        p[0] = (guint8) (255 * x / MAX (width - 1, 1));
        p[1] = (guint8) (255 * y / MAX (height - 1, 1));
        p[2] = 128;
      }

  gdk_pixbuf_save_to_buffer (pixbuf, &data, &len, "png", &error, NULL);
  g_assert_no_error (error);

  return g_bytes_new_take (data, len);
}

guint
avatar_test_server_fetch (AvatarTestServer  *server,
                          const char        *url,
                          GBytes           **body)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_nonnull (msg);
  bytes = avatar_test_server_send (server, msg);
  if (body)
    *body = g_steal_pointer (&bytes);

  return soup_message_get_status (msg);
}

void
avatar_test_server_fixture_setup (AvatarTestServerFixture *fixture,
                                  gconstpointer            data)
{
  fixture->server = avatar_test_server_start (NULL);
}

void
avatar_test_server_fixture_teardown (AvatarTestServerFixture *fixture,
                                     gconstpointer            data)
{
  g_clear_pointer (&fixture->server, avatar_test_server_stop);
}

char *
avatar_test_server_dup_avatar_url (AvatarTestServer *server,
                                   const char       *access_token)
{
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;

  g_assert_cmpuint (avatar_test_server_call_as (server, access_token, "GET", "/users/me", NULL, &body), ==, 200);
  object = json_node_get_object (body);
  if (json_object_get_null_member (object, "avatarUrl"))
    return NULL;

  return g_strdup (json_object_get_string_member (object, "avatarUrl"));
}
