/* avatar-test-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An AvatarClient signed in to a scripted API on a loopback port, with a
 * second server on another origin: the fixture of the client's and the
 * request engine's tests. Each test sets what the API answers.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "avatar-client.h"
#include "avatar-test-http.h"

G_BEGIN_DECLS

typedef struct
{
  AvatarTestHttp *api;
  AvatarTestHttp *other;
  AvatarClient   *client;
  /* What the handlers answer, set by each test. */
  const char     *profile_json;
  const char     *ticket_json;
  guint           status;
  guint           failures_left;
  const char     *retry_after;
  const char     *redirect_to;
  char           *valid_token;
  guint           refreshes;
  guint           refresh_status;
  guint           tokens_changed;
  guint           error_status;
  guint           refresh_delay_ms;
  const char     *error_body;
  GPtrArray      *paused;
} AvatarTestApi;

/* Adds a test at @path run between the fixture's setup and teardown. */
void           avatar_test_api_add               (const char               *path,
                                                  gconstpointer             data,
                                                  void                    (*test) (AvatarTestApi *, gconstpointer));

/* A client of the service at @url, signed in with the first tokens,
 * "access-0" and "refresh-0", as the app "test-app". */
AvatarClient  *avatar_test_client_new            (const char               *url);
/* The calls, each run to its end. */
AvatarProfile *avatar_test_client_get_profile    (AvatarClient             *client,
                                                  GError                  **error);
/* Asks for a ticket for "image/png". */
AvatarTicket  *avatar_test_client_request_upload (AvatarClient             *client,
                                                  GError                  **error);

/* Whether @request carried @token as its bearer. */
gboolean       avatar_test_has_bearer            (const AvatarTestRequest  *request,
                                                  const char               *token);
/* The request carried the API's headers, with @token as the bearer. */
void           avatar_test_assert_api_headers    (const AvatarTestRequest  *request,
                                                  const char               *token);
/* The request's JSON body, which must parse to an object. */
JsonNode      *avatar_test_request_json          (const AvatarTestRequest  *request);

G_END_DECLS
