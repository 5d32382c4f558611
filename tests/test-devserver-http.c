/* test-devserver-http.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* HTTP hygiene of avatar-devserver, spoken to over raw loopback sockets:
 * the listen backlog, request framing that every parser reads the same
 * way, oversized heads, and clients too slow to send a request. */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "avatar-http-guard.h"
#include "avatar-test-server.h"

/* Generous: only a broken server makes a test wait this long. */
#define RAW_TIMEOUT_S 30

static GSocketConnection *
raw_connect (AvatarTestServer *server)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, RAW_TIMEOUT_S);
  connection = g_socket_client_connect_to_uri (client, server->base_url, 80, NULL, &error);
  g_assert_no_error (error);

  return connection;
}

static void
raw_send (GSocketConnection *connection,
          const char        *data,
          gsize              len)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Reads until the server closes the connection; fails the test if it does
 * not within RAW_TIMEOUT_S.  A reset after the answer counts as closing. */
static char *
raw_read_all (GSocketConnection *connection)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GString *text = g_string_new (NULL);

  while (TRUE)
    {
      g_autoptr(GError) error = NULL;
      char buffer[4096];
      gssize n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error);

      if (n == 0 || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        break;
      g_assert_no_error (error);
      g_string_append_len (text, buffer, n);
    }

  return g_string_free (text, FALSE);
}

static guint
status_of (const char *response)
{
  g_autofree char *code = NULL;
  guint64 status = 0;

  if (!g_str_has_prefix (response, "HTTP/1.") || strlen (response) < 12)
    return 0;
  code = g_strndup (response + 9, 3);
  if (!g_ascii_string_to_unsigned (code, 10, 100, 599, &status, NULL))
    return 0;

  return (guint) status;
}

/* Sends @request on a connection of its own and returns the status of the
 * answer, after the server closed the connection. */
static guint
raw_exchange (AvatarTestServer *server,
              const char       *request)
{
  g_autoptr(GSocketConnection) connection = raw_connect (server);
  g_autofree char *response = NULL;

  raw_send (connection, request, strlen (request));
  response = raw_read_all (connection);

  return status_of (response);
}

static char *
dup_host (AvatarTestServer *server)
{
  return g_strdup (server->base_url + strlen ("http://"));
}

static void
assert_still_serving (AvatarTestServer *server)
{
  g_autoptr(JsonNode) profile = NULL;

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, &profile), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (profile), "id"), ==, server->user_id);
}

/* The framing check itself, as libsoup would otherwise read the heads. */
static void
test_check_head (void)
{
  const struct {
    const char *head;
    guint       status;
    AvatarHttpBody body;
    guint64     length;
  } cases[] = {
    { "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, AVATAR_HTTP_BODY_NONE, 0 },
    { "PUT / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", 0, AVATAR_HTTP_BODY_LENGTH, 12 },
    { "PUT / HTTP/1.1\r\ncontent-length:  7 \r\nContent-Length: 7\r\n\r\n", 0, AVATAR_HTTP_BODY_LENGTH, 7 },
    { "PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0, AVATAR_HTTP_BODY_NONE, 0 },
    { "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", 0, AVATAR_HTTP_BODY_CHUNKED, 0 },
    { "PUT / HTTP/1.1\r\nContent-Length: 10\r\nContent-Length: 48972\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: 10, 10\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: 12345678901234567890\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
    { "PUT / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501 },
    { "PUT / HTTP/1.1\r\nX-A: b\r\n  folded\r\n\r\n", 400 },
    { "PUT / HTTP/1.1\r\nContent-Length: 1\r\n 0\r\n\r\n", 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      AvatarHttpBody body;
      guint64 length;
      guint status = avatar_http_check_head (cases[i].head, strlen (cases[i].head), &body, &length);

      g_test_message ("%s", cases[i].head);
      g_assert_cmpuint (status, ==, cases[i].status);
      if (status == 0)
        {
          g_assert_cmpint (body, ==, cases[i].body);
          g_assert_cmpuint (length, ==, cases[i].length);
        }
    }

  {
    const char with_nul[] = "PUT / HTTP/1.1\r\nContent-Le\0ngth: 5\r\n\r\n";
    AvatarHttpBody body;
    guint64 length;

    g_assert_cmpuint (avatar_http_check_head (with_nul, sizeof with_nul - 1, &body, &length), ==, 400);
  }
}

/* Conflicting or malformed framing is answered at once with 400 (501 for
 * a transfer coding the server does not speak), before anything is stored,
 * and the connection is closed. */
static void
test_content_length (AvatarTestServerFixture *fixture,
                     gconstpointer            data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *host = dup_host (server);
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  g_autofree char *state = NULL;
  const struct {
    const char *headers;
    guint       status;
  } cases[] = {
    { "Content-Length: 10\r\nContent-Length: 48972\r\n", 400 },
    { "Content-Length: -1\r\n", 400 },
    { "Content-Length: 12345678901234567890\r\n", 400 },
    { "Content-Length: 4x\r\n", 400 },
    { "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", 400 },
    { "Transfer-Encoding: gzip\r\n", 501 },
  };

  g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar",
                                             "{\"contentType\": \"image/png\"}", &body), ==, 200);
  {
    JsonObject *object = json_node_get_object (body);
    g_autoptr(GUri) uri = g_uri_parse (json_object_get_string_member (object, "uploadUrl"), G_URI_FLAGS_ENCODED, NULL);

    path = g_strdup_printf ("%s?%s", g_uri_get_path (uri), g_uri_get_query (uri));
    key = g_strdup (json_object_get_string_member (object, "assetKey"));
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *request = g_strdup_printf ("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: image/png\r\n"
                                                  "%s\r\n\x89PNG", path, host, cases[i].headers);

      g_test_message ("%s", cases[i].headers);
      g_assert_cmpuint (raw_exchange (server, request), ==, cases[i].status);
    }

  /* The API is guarded the same way. */
  {
    g_autofree char *request = g_strdup_printf ("POST /auth/refresh HTTP/1.1\r\nHost: %s\r\n"
                                                "Content-Length: 2\r\nContent-Length: 70000\r\n\r\n{}", host);

    g_assert_cmpuint (raw_exchange (server, request), ==, 400);
  }

  state = avatar_test_server_dup_asset_state (server, key, NULL);
  g_assert_cmpstr (state, ==, "pending");
  assert_still_serving (server);
}

/* A head larger than the server takes gets 431 and the connection closed,
 * whether it arrives whole or never ends. */
static void
test_huge_head (AvatarTestServerFixture *fixture,
                gconstpointer            data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *host = dup_host (server);
  g_autofree char *filler = g_strnfill (AVATAR_HTTP_MAX_HEAD * 3, 'a');
  g_autofree char *whole = g_strdup_printf ("GET /users/me HTTP/1.1\r\nHost: %s\r\nX-Filler: %s\r\n\r\n", host, filler);
  g_autofree char *endless = g_strdup_printf ("GET /users/me HTTP/1.1\r\nHost: %s\r\nX-Filler: %s", host, filler);

  g_assert_cmpuint (raw_exchange (server, whole), ==, 431);
  g_assert_cmpuint (raw_exchange (server, endless), ==, 431);
  assert_still_serving (server);
}

/* A head that the client's end of the stream cuts short is checked like a
 * whole one: libsoup 3.6 would read its header lines as the head, and take
 * a Content-Length past 2^63 for a negative one. */
static void
test_cut_short_head (AvatarTestServerFixture *fixture,
                     gconstpointer            data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *host = dup_host (server);
  const char * const headers[] = {
    "Content-Length: 18446744073709551608\r\n",
    "Content-Length: 4\r\nContent-Length: 5\r\nX-Cut: ",
    "Transfer-Encoding: gzip",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr(GSocketConnection) connection = raw_connect (server);
      g_autofree char *request = g_strdup_printf ("POST /users/me/avatar HTTP/1.1\r\nHost: %s\r\n%s",
                                                  host, headers[i]);
      g_autofree char *response = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", headers[i]);
      raw_send (connection, request, strlen (request));
      g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, &error);
      g_assert_no_error (error);
      response = raw_read_all (connection);
      g_assert_cmpuint (status_of (response), >=, 400);
      g_assert_cmpuint (status_of (response), <, 502);
    }

  assert_still_serving (server);
}

/* A head that never completes and a connection on which nothing comes are
 * closed by the server, while other clients are served meanwhile. */
static void
test_slow_sender (void)
{
  const char * const args[] = { "--header-timeout-s", "2", "--idle-timeout-s", "3", NULL };
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (args);
  g_autoptr(GSocketConnection) slow = raw_connect (server);
  g_autoptr(GSocketConnection) silent = raw_connect (server);
  g_autofree char *host = dup_host (server);
  g_autofree char *start = g_strdup_printf ("GET /users/me HTTP/1.1\r\nHost: %s\r\nX-Slow: ", host);
  g_autofree char *slow_response = NULL;
  g_autofree char *silent_response = NULL;

  raw_send (slow, start, strlen (start));
  /* One byte at a time, a normal client served between them; on a busy
   * machine the server may close the slow connection before the last. */
  for (guint i = 0; i < 3; i++)
    {
      if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (slow)), "a", 1,
                                      NULL, NULL, NULL))
        break;
      assert_still_serving (server);
    }

  /* No answer: the connection is just closed. */
  slow_response = raw_read_all (slow);
  g_assert_cmpstr (slow_response, ==, "");
  silent_response = raw_read_all (silent);
  g_assert_cmpstr (silent_response, ==, "");

  assert_still_serving (server);
}

/* libsoup 3.2 leaks the request path of a head with an unknown transfer
 * coding or a Content-Length with trailing characters; the guard refuses
 * those heads before libsoup parses them, and the server, run under
 * LeakSanitizer, exits cleanly. */
static void
test_refused_heads_do_not_leak (void)
{
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (NULL);
  g_autofree char *host = dup_host (server);
  g_autofree char *long_path = g_strnfill (600, 'p');
  const char * const headers[] = {
    "Transfer-Encoding: gzip\r\n",
    "Content-Length: 5x\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *request = g_strdup_printf ("POST /users/%s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
                                                  long_path, host, headers[i]);

      g_assert_cmpuint (raw_exchange (server, request), >=, 400);
    }

  assert_still_serving (server);
  /* Stopping asserts a clean exit, which LeakSanitizer would spoil. */
  avatar_test_server_stop (g_steal_pointer (&server));
}

typedef struct
{
  GPtrArray *sockets;
  guint      needed;
} Connecting;

static gboolean
socket_writable (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  /* Wakes the wait below; once is enough. */
  return G_SOURCE_REMOVE;
}

static void
source_destroy_and_unref (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static gboolean
enough_connected (gpointer data)
{
  Connecting *connecting = data;
  guint connected = 0;

  /* A connection still waiting for its handshake is not writable yet. */
  for (guint i = 0; i < connecting->sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (connecting->sockets, i);

      if ((g_socket_condition_check (socket, G_IO_OUT) & G_IO_OUT) &&
          g_socket_check_connect_result (socket, NULL))
        connected++;
    }

  return connected >= connecting->needed;
}

/* While the server accepts nothing (stopped), the kernel completes as
 * many connections as the listen backlog holds; GLib's default of 10
 * resets or stalls clients that arrive together. */
static void
test_backlog (void)
{
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (NULL);
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_destroy_and_unref);
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (g_uri_get_host (uri));
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, (guint16) g_uri_get_port (uri));
  const char *pid_text = g_subprocess_get_identifier (server->process);
  Connecting connecting = { sockets, 128 };
  pid_t pid;

  g_assert_nonnull (pid_text);
  pid = (pid_t) g_ascii_strtoll (pid_text, NULL, 10);
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);

  for (guint i = 0; i < 140; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

      g_assert_no_error (error);
      g_socket_set_blocking (socket, FALSE);
      if (!g_socket_connect (socket, address, NULL, &error))
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
      g_ptr_array_add (sockets, socket);

      g_ptr_array_add (sources, g_socket_create_source (socket, G_IO_OUT, NULL));
      g_source_set_callback (g_ptr_array_index (sources, i), G_SOURCE_FUNC (socket_writable), NULL, NULL);
      g_source_attach (g_ptr_array_index (sources, i), NULL);
    }

  g_assert_true (avatar_test_wait_until (enough_connected, &connecting, RAW_TIMEOUT_S * 1000));

  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  g_ptr_array_set_size (sources, 0);
  g_ptr_array_set_size (sockets, 0);
  assert_still_serving (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/devserver/http/check-head", test_check_head);
  g_test_add ("/devserver/http/content-length", AvatarTestServerFixture, NULL,
              avatar_test_server_fixture_setup, test_content_length, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/http/huge-head", AvatarTestServerFixture, NULL,
              avatar_test_server_fixture_setup, test_huge_head, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/http/cut-short-head", AvatarTestServerFixture, NULL,
              avatar_test_server_fixture_setup, test_cut_short_head, avatar_test_server_fixture_teardown);
  g_test_add_func ("/devserver/http/slow-sender", test_slow_sender);
  g_test_add_func ("/devserver/http/refused-heads-do-not-leak", test_refused_heads_do_not_leak);
  g_test_add_func ("/devserver/http/backlog", test_backlog);

  return g_test_run ();
}
