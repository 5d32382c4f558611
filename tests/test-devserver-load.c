/* test-devserver-load.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* One avatar-devserver under load and abuse, loopback only, bounded in
 * count and time: 50 avatar-upload processes at once, each a different
 * user; then 1,000 malformed requests of every kind; then the server must
 * still answer normal requests correctly and have lost nothing. */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "avatar-test-server.h"

#define N_USERS 50
#define N_MALFORMED 1000
/* Raw requests in flight at once. */
#define N_SENDERS 8
#define N_SLOW 20
/* Only a broken server makes anything wait this long. */
#define IO_TIMEOUT_S 60

typedef struct
{
  guint        index;
  char        *username;
  char        *user_id;
  char        *access_token;
  char        *picture;
  GSubprocess *process;
  char        *output;
  gboolean     done;
  gboolean     succeeded;
} User;

static void
user_free (User *user)
{
  g_clear_object (&user->process);
  if (user->picture)
    g_unlink (user->picture);
  g_free (user->picture);
  g_free (user->username);
  g_free (user->user_id);
  g_free (user->access_token);
  g_free (user->output);
  g_free (user);
}

/* The colour that tells a user's picture apart. */
static guint32
user_colour (guint index)
{
  return ((guint32) (index * 5) << 24) | ((guint32) (255 - index * 5) << 16) | 0x8000ffu;
}

/* A small square picture of the user's colour. */
static char *
write_picture (const char *dir,
               guint       index)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("user%02u.png", index);
  char *path = g_build_filename (dir, name, NULL);

  gdk_pixbuf_fill (pixbuf, user_colour (index));
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);

  return path;
}

static void
upload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  User *user = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *errors = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &user->output, &errors, &error);
  g_assert_no_error (error);
  user->succeeded = g_subprocess_get_if_exited (user->process) &&
                    g_subprocess_get_exit_status (user->process) == 0;
  if (!user->succeeded)
    g_test_message ("avatar-upload for %s failed: %s", user->username, errors);
  user->done = TRUE;
}

static void
start_upload (AvatarTestServer *server,
              User             *user)
{
  const char *cli = g_getenv ("AVATAR_UPLOAD_CLI");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (cli);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_REFRESH_TOKEN");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "AVATAR_SERVER", server->base_url, TRUE);
  g_subprocess_launcher_setenv (launcher, "AVATAR_APP_ID", server->app_id, TRUE);
  g_subprocess_launcher_setenv (launcher, "AVATAR_TOKEN", user->access_token, TRUE);

  /* The CLI's defaults, its 30 s processing timeout included. */
  user->process = g_subprocess_launcher_spawn (launcher, &error, cli, user->picture, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (user->process, NULL, NULL, upload_done, user);
}

static gboolean
all_done (gpointer data)
{
  GPtrArray *users = data;

  for (guint i = 0; i < users->len; i++)
    if (!((User *) g_ptr_array_index (users, i))->done)
      return FALSE;

  return TRUE;
}

/* The user's avatar is the picture they uploaded, at every size. */
static void
assert_own_avatar (AvatarTestServer *server,
                   User             *user)
{
  g_autoptr(JsonNode) profile = NULL;
  g_autoptr(GBytes) original = NULL;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  const char *avatar_url;
  GdkPixbuf *pixbuf;

  g_assert_cmpuint (avatar_test_server_call_as (server, user->access_token, "GET", "/users/me", NULL, &profile), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (profile), "id"), ==, user->user_id);
  avatar_url = json_object_get_string_member (json_node_get_object (profile), "avatarUrl");
  g_assert_nonnull (avatar_url);
  g_assert_true (strstr (avatar_url, user->user_id) != NULL);

  g_assert_cmpuint (avatar_test_server_fetch (server, avatar_url, &original), ==, 200);
  gdk_pixbuf_loader_write_bytes (loader, original, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 64);
  {
    const guint8 *pixel = gdk_pixbuf_read_pixels (pixbuf) + 32 * gdk_pixbuf_get_rowstride (pixbuf) +
                          32 * gdk_pixbuf_get_n_channels (pixbuf);
    guint32 colour = user_colour (user->index);

    /* WebP is lossy, but not by half the distance between two users. */
    g_assert_cmpint (ABS ((int) pixel[0] - (int) (colour >> 24)), <=, 2);
    g_assert_cmpint (ABS ((int) pixel[1] - (int) ((colour >> 16) & 0xff)), <=, 2);
  }

  /* The CLI said so too. */
  g_assert_nonnull (user->output);
  g_assert_nonnull (strstr (user->output, avatar_url));
}

/* Malformed requests */

typedef enum
{
  BAD_JSON,
  NOT_AN_OBJECT,
  HUGE_HEADER,
  BAD_SIGNATURE,
  DUPLICATE_SIGNATURE,
  WRONG_METHOD_API,
  WRONG_METHOD_S3,
  CONFLICTING_LENGTH,
  NEGATIVE_LENGTH,
  UNKNOWN_CODING,
  NO_TOKEN,
  GARBAGE,
  N_KINDS
} BadKind;

typedef struct
{
  GSocketAddress *address;
  char           *host;
  char           *token;
  char           *upload_path;
  char           *upload_query;
  guint           answered[N_KINDS];
  guint           wrong[N_KINDS];
  GMutex          lock;
} Abuse;

static char *
malformed_request (Abuse   *abuse,
                   BadKind  kind,
                   guint    n)
{
  static char *filler = NULL;

  if (g_once_init_enter (&filler))
    g_once_init_leave (&filler, g_strnfill (40000, 'x'));

  switch (kind)
    {
    case BAD_JSON:
      return g_strdup_printf ("POST /users/me/avatar HTTP/1.1\r\nHost: %s\r\nx-app-id: %s\r\n"
                              "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                              "Content-Length: 17\r\n\r\n{\"contentType\": \"", abuse->host, BASE_APP_ID, abuse->token);
    case NOT_AN_OBJECT:
      return g_strdup_printf ("PATCH /users/me HTTP/1.1\r\nHost: %s\r\nx-app-id: %s\r\n"
                              "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                              "Content-Length: 9\r\n\r\n[1, 2, 3]", abuse->host, BASE_APP_ID, abuse->token);
    case HUGE_HEADER:
      return g_strdup_printf ("GET /users/me HTTP/1.1\r\nHost: %s\r\nX-Filler: %s\r\n\r\n", abuse->host, filler);
    case BAD_SIGNATURE:
      return g_strdup_printf ("PUT %s?%s%064u HTTP/1.1\r\nHost: %s\r\nContent-Type: image/png\r\n"
                              "Content-Length: 4\r\n\r\n\x89PNG", abuse->upload_path, abuse->upload_query, n,
                              abuse->host);
    case DUPLICATE_SIGNATURE:
      return g_strdup_printf ("PUT %s?%s%064u&X-Amz-Signature=%064u HTTP/1.1\r\nHost: %s\r\n"
                              "Content-Type: image/png\r\nContent-Length: 4\r\n\r\n\x89PNG",
                              abuse->upload_path, abuse->upload_query, n, n + 1, abuse->host);
    case WRONG_METHOD_API:
      return g_strdup_printf ("DELETE /users/me HTTP/1.1\r\nHost: %s\r\nx-app-id: %s\r\n"
                              "Authorization: Bearer %s\r\n\r\n", abuse->host, BASE_APP_ID, abuse->token);
    case WRONG_METHOD_S3:
      return g_strdup_printf ("POST %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
                              abuse->upload_path, abuse->upload_query, abuse->host);
    case CONFLICTING_LENGTH:
      return g_strdup_printf ("PUT %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Type: image/png\r\n"
                              "Content-Length: 4\r\nContent-Length: 48972\r\n\r\n\x89PNG",
                              abuse->upload_path, abuse->upload_query, abuse->host);
    case NEGATIVE_LENGTH:
      return g_strdup_printf ("POST /auth/refresh HTTP/1.1\r\nHost: %s\r\nContent-Length: -1\r\n\r\n{}", abuse->host);
    case UNKNOWN_CODING:
      return g_strdup_printf ("POST /auth/refresh HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: gzip\r\n\r\n", abuse->host);
    case NO_TOKEN:
      return g_strdup_printf ("GET /users/me HTTP/1.1\r\nHost: %s\r\nx-app-id: %s\r\n\r\n", abuse->host, BASE_APP_ID);
    case GARBAGE:
    case N_KINDS:
    default:
      /* The start of a TLS hello: no NUL, which a C string cannot hold. */
      return g_strdup ("\x16\x03\x01\x02\xfc\x03\x03 not HTTP at all\r\n\r\n");
    }
}

static gboolean
status_expected (BadKind kind,
                 guint   status)
{
  switch (kind)
    {
    case BAD_JSON:
    case NOT_AN_OBJECT:
    case DUPLICATE_SIGNATURE:
    case CONFLICTING_LENGTH:
    case NEGATIVE_LENGTH:
    case GARBAGE:
      return status == 400;
    case HUGE_HEADER:
      return status == 431;
    case BAD_SIGNATURE:
      return status == 403;
    case WRONG_METHOD_API:
    case WRONG_METHOD_S3:
      return status == 405;
    case UNKNOWN_CODING:
      return status == 501;
    case NO_TOKEN:
      return status == 401;
    case N_KINDS:
    default:
      return FALSE;
    }
}

static guint
exchange (Abuse      *abuse,
          const char *request)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  guint64 status = 0;

  g_socket_client_set_timeout (client, IO_TIMEOUT_S);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (abuse->address), NULL, &error);
  if (connection == NULL)
    return 0;

  /* A refused head may be answered before all of it is sent. */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, NULL);

  while (TRUE)
    {
      char buffer[4096];
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                      buffer, sizeof buffer, NULL, NULL);

      if (n <= 0)
        break;
      g_string_append_len (response, buffer, n);
    }

  if (g_str_has_prefix (response->str, "HTTP/1.") && response->len >= 12)
    {
      g_autofree char *code = g_strndup (response->str + 9, 3);

      g_ascii_string_to_unsigned (code, 10, 100, 599, &status, NULL);
    }

  return (guint) status;
}

static void
send_malformed (gpointer data,
                gpointer user_data)
{
  Abuse *abuse = user_data;
  guint n = GPOINTER_TO_UINT (data) - 1;
  BadKind kind = n % N_KINDS;
  g_autofree char *request = malformed_request (abuse, kind, n);
  guint status = exchange (abuse, request);

  g_mutex_lock (&abuse->lock);
  if (status_expected (kind, status))
    abuse->answered[kind]++;
  else
    {
      abuse->wrong[kind]++;
      g_test_message ("Malformed request %u (kind %d) got status %u", n, kind, status);
    }
  g_mutex_unlock (&abuse->lock);
}

/* Slow senders: a head that trickles and never ends, which the server
 * closes once its header timeout passes. */
static void
send_slowly (gpointer data,
             gpointer user_data)
{
  Abuse *abuse = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *start = g_strdup_printf ("GET /users/me HTTP/1.1\r\nHost: %s\r\nX-Slow: ", abuse->host);
  GOutputStream *output;
  char buffer[64];
  gssize n;

  g_socket_client_set_timeout (client, IO_TIMEOUT_S);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (abuse->address), NULL, NULL);
  g_assert_nonnull (connection);
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_output_stream_write_all (output, start, strlen (start), NULL, NULL, NULL);

  /* A byte every half second, until the server gives up on the head. */
  while (g_output_stream_write_all (output, "s", 1, NULL, NULL, NULL) &&
         !g_socket_condition_timed_wait (g_socket_connection_get_socket (connection), G_IO_IN | G_IO_HUP,
                                         G_USEC_PER_SEC / 2, NULL, NULL))
    ;

  n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                           buffer, sizeof buffer, NULL, NULL);

  g_mutex_lock (&abuse->lock);
  if (n > 0)
    abuse->wrong[GARBAGE]++;
  g_mutex_unlock (&abuse->lock);
}

static void
abuse (AvatarTestServer *server,
       Abuse            *abuse)
{
  GThreadPool *pool;
  GThreadPool *slow_pool;
  g_autoptr(GError) error = NULL;

  slow_pool = g_thread_pool_new (send_slowly, abuse, N_SLOW, TRUE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_SLOW; i++)
    g_thread_pool_push (slow_pool, GUINT_TO_POINTER (i + 1), NULL);

  pool = g_thread_pool_new (send_malformed, abuse, N_SENDERS, TRUE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_MALFORMED; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);

  /* Waits for every request to be answered. */
  g_thread_pool_free (pool, FALSE, TRUE);
  g_thread_pool_free (slow_pool, FALSE, TRUE);
}

/* First, 50 users upload at once, each with the avatar-upload command, a
 * picture of their own colour written to @dir; each gets it as avatar. */
static void
upload_all_at_once (AvatarTestServer *server,
                    GPtrArray        *users,
                    const char       *dir)
{
  for (guint i = 0; i < N_USERS; i++)
    {
      User *user = g_new0 (User, 1);

      user->index = i;
      user->username = g_strdup_printf ("load_user_%02u", i);
      avatar_test_server_login (server, user->username, &user->access_token, NULL, &user->user_id);
      user->picture = write_picture (dir, i);
      g_ptr_array_add (users, user);
    }
  for (guint i = 0; i < users->len; i++)
    start_upload (server, g_ptr_array_index (users, i));

  g_assert_true (avatar_test_wait_until (all_done, users, 240 * 1000));
  for (guint i = 0; i < users->len; i++)
    {
      User *user = g_ptr_array_index (users, i);

      g_assert_true (user->succeeded);
      assert_own_avatar (server, user);
    }
}

/* Aims @abuse at @server, with the query of a signed upload URL up to its
 * signature's value, which each request adds. */
static void
abuse_init (Abuse            *abuse,
            AvatarTestServer *server)
{
  g_autoptr(GUri) base = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (g_uri_get_host (base));
  g_autoptr(JsonNode) upload = NULL;
  g_autoptr(GUri) url = NULL;
  g_autofree char *query = NULL;
  char *signature;

  abuse->address = g_inet_socket_address_new (inet, (guint16) g_uri_get_port (base));
  abuse->host = g_strdup_printf ("%s:%d", g_uri_get_host (base), g_uri_get_port (base));
  abuse->token = g_strdup (server->access_token);
  g_mutex_init (&abuse->lock);
  g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar",
                                             "{\"contentType\": \"image/png\"}", &upload), ==, 200);
  url = g_uri_parse (json_object_get_string_member (json_node_get_object (upload), "uploadUrl"),
                     G_URI_FLAGS_ENCODED, NULL);
  query = g_strdup (g_uri_get_query (url));
  signature = strstr (query, "X-Amz-Signature=");

  g_assert_nonnull (signature);
  signature[strlen ("X-Amz-Signature=")] = '\0';
  abuse->upload_path = g_strdup (g_uri_get_path (url));
  abuse->upload_query = g_steal_pointer (&query);
}

static void
abuse_clear (Abuse *abuse)
{
  g_clear_object (&abuse->address);
  g_free (abuse->host);
  g_free (abuse->token);
  g_free (abuse->upload_path);
  g_free (abuse->upload_query);
  g_mutex_clear (&abuse->lock);
}

/* Then 1,000 malformed requests, and slow senders beside them: each is
 * answered as its kind must be. */
static void
send_all_malformed (AvatarTestServer *server)
{
  Abuse bad = { 0 };
  guint total = 0;

  abuse_init (&bad, server);
  abuse (server, &bad);

  for (guint kind = 0; kind < N_KINDS; kind++)
    {
      g_assert_cmpuint (bad.wrong[kind], ==, 0);
      total += bad.answered[kind];
    }
  g_assert_cmpuint (total, ==, N_MALFORMED);

  abuse_clear (&bad);
}

/* The server still answers correctly and lost nothing: every avatar is
 * still its user's, and the first user uploads again. */
static void
assert_lost_nothing (AvatarTestServer *server,
                     GPtrArray        *users)
{
  User *again = g_ptr_array_index (users, 0);
  g_autofree char *before = NULL;

  for (guint i = 0; i < users->len; i++)
    assert_own_avatar (server, g_ptr_array_index (users, i));

  before = g_steal_pointer (&again->output);
  g_clear_object (&again->process);
  again->done = FALSE;
  start_upload (server, again);
  avatar_test_wait_until (all_done, users, 60 * 1000);
  g_assert_true (again->succeeded);
  g_assert_cmpstr (again->output, !=, before);
  assert_own_avatar (server, again);
}

static void
test_load (void)
{
  const char * const args[] = { "--header-timeout-s", "3", NULL };
  g_autoptr(AvatarTestServer) server = avatar_test_server_start_full (FALSE, args);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) user_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("avatar-load-XXXXXX", &error);

  g_assert_no_error (error);

  upload_all_at_once (server, users, dir);
  send_all_malformed (server);
  assert_lost_nothing (server, users);

  g_ptr_array_set_size (users, 0);
  g_rmdir (dir);

  /* A clean exit: LeakSanitizer finds nothing in the server either. */
  avatar_test_server_stop (g_steal_pointer (&server));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/devserver/load/many-users-then-abuse", test_load);

  return g_test_run ();
}
