/* avatar-test-http.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small scripted HTTP server on a loopback port for the client's unit
 * tests: each test answers requests with its own handler, and every
 * request is recorded so the test can look at what the client sent.
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _AvatarTestHttp AvatarTestHttp;

typedef struct
{
  char               *method;
  char               *path;
  char               *query;
  SoupMessageHeaders *headers;
  GBytes             *body;
} AvatarTestRequest;

typedef void (*AvatarTestHandler) (AvatarTestHttp          *http,
                                   SoupServerMessage       *msg,
                                   const AvatarTestRequest *request,
                                   gpointer                 user_data);

AvatarTestHttp *avatar_test_http_new          (AvatarTestHandler   handler,
                                               gpointer            user_data);
void            avatar_test_http_free         (AvatarTestHttp     *http);
/* "http://127.0.0.1:<port>", without a trailing slash. */
const char     *avatar_test_http_get_url      (AvatarTestHttp     *http);
/* The recorded requests, in arrival order. */
GPtrArray      *avatar_test_http_get_requests (AvatarTestHttp     *http);
/* How many requests had this method and path (either may be NULL: any). */
guint           avatar_test_http_count        (AvatarTestHttp     *http,
                                               const char         *method,
                                               const char         *path);
/* The last request with this path, or NULL. */
const AvatarTestRequest *avatar_test_http_last (AvatarTestHttp    *http,
                                               const char         *path);

/* While holding, the server stops reading a request body after its first
 * chunk, as a peer on a slow link would. From the first hold on, the
 * server's connections take a small receive buffer, so that little more
 * than what it read reaches it: a client can only have handed the rest to
 * its own send buffer. Hold before the request connects. Releasing reads
 * every held body on. */
void            avatar_test_http_hold_bodies  (AvatarTestHttp     *http);
void            avatar_test_http_release      (AvatarTestHttp     *http);
/* How many request bodies are held now. */
guint           avatar_test_http_get_held     (AvatarTestHttp     *http);
/* Request body bytes the server has read so far, over all requests; what
 * the kernel holds for it unread is not counted. */
guint64         avatar_test_http_get_body_read (AvatarTestHttp    *http);

void            avatar_test_respond           (SoupServerMessage  *msg,
                                               guint               status,
                                               const char         *content_type,
                                               const char         *body);
void            avatar_test_respond_json      (SoupServerMessage  *msg,
                                               guint               status,
                                               const char         *json);

/* A response body sent in chunks of zero bytes after an optional start,
 * one chunk at a time, so that what was queued is about what the client
 * read and the server never holds the whole body. */
typedef struct
{
  /* Sent as Content-Length when TRUE; otherwise the body is chunked. */
  gboolean announce_length;
  /* The size of the whole body, start included. */
  gsize    total;
  /* How much was handed to the connection before the client stopped it. */
  gsize    queued;
} AvatarTestStream;

/* Answers @msg with @status and @stream's body, which begins with @start
 * (nullable); @stream must outlive the message. */
void            avatar_test_respond_streamed  (SoupServerMessage  *msg,
                                               guint               status,
                                               const char         *content_type,
                                               const char         *start,
                                               AvatarTestStream   *stream);

/* A GAsyncReadyCallback that stores a reference to the result in the
 * GAsyncResult * that @user_data points at. */
void            avatar_test_store_result      (GObject            *source,
                                               GAsyncResult       *result,
                                               gpointer            user_data);
/* Iterates the main context until *@slot is set, failing the test after a
 * generous bound; returns *@slot, whose reference the caller then owns. */
GAsyncResult   *avatar_test_wait_result       (GAsyncResult      **slot);
/* Iterates the main context until *@flag is TRUE, with the same bound. */
void            avatar_test_wait_flag         (gboolean           *flag);
/* Iterates the main context until @http has had a request with this method
 * and path (either may be NULL: any), with the same bound. */
void            avatar_test_http_wait_request (AvatarTestHttp     *http,
                                               const char         *method,
                                               const char         *path);
/* Adds one to *@count at each emission of @detailed_signal on @instance,
 * for as long as @instance lives (the signal's arguments are ignored). */
void            avatar_test_count_signal      (gpointer            instance,
                                               const char         *detailed_signal,
                                               guint              *count);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarTestHttp, avatar_test_http_free)

G_END_DECLS
