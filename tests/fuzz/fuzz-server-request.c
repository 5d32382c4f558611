/* fuzz-server-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The devserver's reading of a request, from the bytes on the connection
 * to the JSON body a handler takes apart: each input is what a client
 * sends on one connection, handed to a server in this process through a
 * socket pair and the same AvatarHttpGuard that stands between every
 * accepted connection and libsoup. "@TOKEN@" in the input stands for the demo account's
 * access token, so that signed-in requests get past authentication.
 *
 * The body is also read as a rule for the fault injector, as POST
 * /_dev/faults does when the server runs with --faults (which this one
 * does not: its rules would slow or stop it for the following inputs).
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "avatar-server-private.h"
#include "fuzz-target.h"

/* Nothing a request does takes long: a connection the server has not
 * closed after this is a hang. */
#define TIMEOUT_S 10
/* When nothing at all happens for this long, the server waits for bytes
 * that will not come (libsoup 3.2 does not see the end of the stream while
 * it waits for a body after "100 Continue"): the server's end is closed,
 * as an idle timeout would. */
#define STALL_MS 200
/* A longer request might not fit in the socket's buffer before the server
 * reads it; the server refuses bodies this large anyway. */
#define MAX_REQUEST_BYTES (64 * 1024)

static AvatarServer *server;

static void
stop_server (void)
{
  g_clear_object (&server);
}

/* One request a connection: the server closes it after its answer, and
 * lets go of it. (libsoup keeps an idle connection whose client is gone.) */
static void
request_started_cb (SoupServer        *soup,
                    SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
}

static void
start_server (void)
{
  AvatarServerOptions options = {
    .address = "127.0.0.1",
    .access_key = FUZZ_SIGV4_ACCESS_KEY,
    .secret_key = FUZZ_SIGV4_SECRET_KEY,
    .bucket = "avatars",
    .region = FUZZ_SIGV4_REGION,
    .token_lifetime_s = 24 * 3600,
  };
  g_autoptr(GError) error = NULL;

  server = avatar_server_new (&options, &error);
  g_assert_no_error (error);
  /* Listening sets the addresses the answers name; nothing connects. */
  avatar_server_listen (server, &error);
  g_assert_no_error (error);
  g_signal_connect (server->soup, "request-started", G_CALLBACK (request_started_cb), NULL);
  atexit (stop_server);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static GBytes *
substitute_token (const uint8_t *data,
                  size_t         size)
{
  GByteArray *out = g_byte_array_sized_new (size);
  static const char placeholder[] = "@TOKEN@";
  const gsize placeholder_len = sizeof placeholder - 1;

  for (gsize i = 0; i < size;)
    {
      if (size - i >= placeholder_len && memcmp (data + i, placeholder, placeholder_len) == 0)
        {
          g_byte_array_append (out, (const guint8 *) server->demo_access_token,
                               strlen (server->demo_access_token));
          i += placeholder_len;
        }
      else
        {
          g_byte_array_append (out, data + i, 1);
          i++;
        }
    }

  return g_byte_array_free_to_bytes (out);
}

static void
add_fault_rule (GBytes *request)
{
  g_autoptr(AvatarFaults) faults = avatar_faults_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *routes[] = { "request-url", "upload", "profile", "patch", "cdn", "refresh" };
  gsize length;
  const char *text = g_bytes_get_data (request, &length);
  const char *body;
  gboolean expire_tokens = FALSE;
  JsonNode *root;
  AvatarFault fault;

  if (length == 0 || (body = g_strstr_len (text, length, "\r\n\r\n")) == NULL)
    return;
  body += 4;
  if (!json_parser_load_from_data (parser, body, length - (body - text), NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;

  if (!avatar_faults_add_rule (faults, json_node_get_object (root), &expire_tokens, &error))
    {
      g_assert (error != NULL);
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    avatar_faults_take (faults, routes[i], &fault);
  avatar_faults_take_processing (faults);
  avatar_faults_take_presign_expires (faults, 600);
  avatar_faults_get_processing_delay (faults, 0);
}

/* Reads and drops the answer; the end of the stream ends the exchange. */
static gboolean
client_readable_cb (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  gboolean *closed = user_data;
  char buffer[16384];
  gssize n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
    return G_SOURCE_CONTINUE;

  *closed = TRUE;
  return G_SOURCE_REMOVE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(AvatarHttpGuard) guard = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GError) error = NULL;
  gboolean closed = FALSE;
  gboolean timed_out = FALSE;
  guint timeout_id;
  const guint8 *bytes;
  gsize length;
  int fds[2];

  fuzz_init_logging ();
  if (server == NULL)
    start_server ();

  request = substitute_token (data, size);
  bytes = g_bytes_get_data (request, &length);
  if (length > MAX_REQUEST_BYTES)
    return -1;

  /* The server's end of the connection is a socket, as it would be; the
   * client's end writes the request, then says that nothing follows. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (socket);
  local = g_inet_socket_address_new_from_string ("127.0.0.1", server->port);
  remote = g_inet_socket_address_new_from_string ("127.0.0.1", 40000);

  for (gsize written = 0; written < length;)
    {
      gssize n = send (fds[1], bytes + written, length - written, MSG_NOSIGNAL);

      if (n < 0 && errno != EINTR)
        break; /* the server may close early; it has what it read */
      if (n > 0)
        written += n;
    }
  shutdown (fds[1], SHUT_WR);

  guard = avatar_http_guard_new (connection, TIMEOUT_S, TIMEOUT_S);
  if (!soup_server_accept_iostream (server->soup, G_IO_STREAM (guard), local, remote, &error))
    g_error ("The server did not take the connection: %s", error->message);

  /* Done when the client has read the whole answer and the server has
   * closed its end. */
  g_unix_fd_add (fds[1], G_IO_IN | G_IO_HUP | G_IO_ERR, client_readable_cb, &closed);
  timeout_id = g_timeout_add_seconds (TIMEOUT_S, set_flag, &timed_out);
  while (!(closed && g_io_stream_is_closed (G_IO_STREAM (guard))) && !timed_out)
    {
      gboolean stalled = FALSE;
      guint stall_id = g_timeout_add (STALL_MS, set_flag, &stalled);

      g_main_context_iteration (NULL, TRUE);
      if (stalled)
        g_io_stream_close (G_IO_STREAM (guard), NULL, NULL);
      else
        g_source_remove (stall_id);
    }
  g_assert (!timed_out);
  g_source_remove (timeout_id);

  close (fds[1]);

  add_fault_rule (request);

  return 0;
}
