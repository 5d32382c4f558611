/* avatar-test-server.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char        *base_url;
  char        *cdn_base_url;
  char        *app_id;
  char        *user_id;
  char        *access_token;
  char        *refresh_token;
  char        *s3_endpoint;
  char        *bucket;
  char        *region;
  char        *access_key;
  char        *secret_key;
  SoupSession *session;
} AvatarTestServer;

/* Spawns $AVATAR_DEVSERVER with --port 0 --faults and @extra_args
 * (NULL-terminated, nullable) and waits for its ready line. */
AvatarTestServer *avatar_test_server_start          (const char * const  *extra_args);
/* Like avatar_test_server_start, with or without --faults. */
AvatarTestServer *avatar_test_server_start_full     (gboolean             faults,
                                                     const char * const  *extra_args);
/* Like avatar_test_server_start, with every log level on and the server's
 * stderr written to @log_path. */
AvatarTestServer *avatar_test_server_start_logged   (const char          *log_path,
                                                     const char * const  *extra_args);
/* Sends SIGTERM, waits for the exit (asserting it is clean) and frees. */
void              avatar_test_server_stop           (AvatarTestServer    *server);
/* Like stop, but returns the exit status instead of asserting on it. */
int               avatar_test_server_stop_status    (AvatarTestServer    *server);
void              avatar_test_server_set_fault      (AvatarTestServer    *server,
                                                     const char          *rule_json);
void              avatar_test_server_clear_faults   (AvatarTestServer    *server);
void              avatar_test_server_login          (AvatarTestServer    *server,
                                                     const char          *username,
                                                     char               **access_token,
                                                     char               **refresh_token,
                                                     char               **user_id);
guint             avatar_test_server_call           (AvatarTestServer    *server,
                                                     const char          *method,
                                                     const char          *path,
                                                     const char          *json_body,
                                                     JsonNode           **out_body);
/* A request for @path with the app id, "Bearer @access_token" (nullable:
 * none) and the JSON @json_body (nullable), not sent yet. */
SoupMessage      *avatar_test_server_new_call       (AvatarTestServer    *server,
                                                     const char          *access_token,
                                                     const char          *method,
                                                     const char          *path,
                                                     const char          *json_body);
/* Sends @msg, hands a reference to it to @out_msg (nullable) for its
 * headers, and returns its status. */
guint             avatar_test_server_send_for_status (AvatarTestServer   *server,
                                                      SoupMessage        *msg,
                                                      SoupMessage       **out_msg);
/* Like avatar_test_server_call with another user's access token (nullable
 * for none) and any SoupMessage headers left to the caller. */
guint             avatar_test_server_call_as        (AvatarTestServer    *server,
                                                     const char          *access_token,
                                                     const char          *method,
                                                     const char          *path,
                                                     const char          *json_body,
                                                     JsonNode           **out_body);
/* The avatarUrl of @access_token's profile (NULL: the demo user's), or
 * NULL when it has none. */
char             *avatar_test_server_dup_avatar_url (AvatarTestServer    *server,
                                                     const char          *access_token);
/* Requests an upload URL for @content_type as @access_token (NULL: the
 * demo user) and returns it.  Out arguments are nullable. */
char             *avatar_test_server_request_upload (AvatarTestServer    *server,
                                                     const char          *access_token,
                                                     const char          *content_type,
                                                     char               **asset_key,
                                                     char               **cdn_url);
/* Requests an upload URL as @access_token (NULL: the demo user) and PUTs
 * @data to it; returns the PUT status.  Out arguments are nullable. */
guint             avatar_test_server_upload         (AvatarTestServer    *server,
                                                     const char          *access_token,
                                                     const char          *content_type,
                                                     GBytes              *data,
                                                     char               **asset_key,
                                                     char               **cdn_url);
/* Sends @msg synchronously and returns the body. */
GBytes           *avatar_test_server_send           (AvatarTestServer    *server,
                                                     SoupMessage         *msg);
/* The state of an asset from /_dev/assets/ ("processing", "ready", ...). */
char             *avatar_test_server_dup_asset_state (AvatarTestServer   *server,
                                                      const char         *asset_key,
                                                      char              **reason);
/* Waits until the asset left "pending"/"processing"; returns the state. */
char             *avatar_test_server_wait_processed (AvatarTestServer    *server,
                                                     const char          *asset_key);
/* A PNG of @width × @height filled with a gradient. */
GBytes           *avatar_test_make_png              (int                  width,
                                                     int                  height);
/* GET @url without any credentials; returns the status and the body. */
guint             avatar_test_server_fetch          (AvatarTestServer    *server,
                                                     const char          *url,
                                                     GBytes             **body);
gboolean          avatar_test_wait_until            (gboolean           (*cond) (gpointer data),
                                                     gpointer             data,
                                                     guint                timeout_ms);

/* A GTest fixture with one devserver, started with --faults for each test
 * and stopped cleanly after it. */
typedef struct
{
  AvatarTestServer *server;
} AvatarTestServerFixture;

void              avatar_test_server_fixture_setup    (AvatarTestServerFixture *fixture,
                                                       gconstpointer            data);
void              avatar_test_server_fixture_teardown (AvatarTestServerFixture *fixture,
                                                       gconstpointer            data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarTestServer, avatar_test_server_stop)

G_END_DECLS
