/* avatar-server-s3.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The S3-compatible endpoint that takes presigned PUTs and stores the
 * objects; avatar-server-processing.c takes over from there. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "avatar-server-private.h"

typedef struct
{
  AvatarServer      *server;
  SoupServerMessage *msg;
  char              *user_id;
  char              *key;
  char              *dir;
  char              *part_path;
  GOutputStream     *out;
  GChecksum         *md5;
  gint64             expected;
  gint64             received;
  gint64             started_us;
  AvatarFault        fault;
  guint              resume_id;
  gboolean           aborted;
  gboolean           finished;
} Upload;

static void
upload_free (Upload *upload)
{
  g_clear_handle_id (&upload->resume_id, g_source_remove);
  if (upload->out)
    g_output_stream_close (upload->out, NULL, NULL);
  g_clear_object (&upload->out);
  if (upload->part_path)
    g_unlink (upload->part_path);
  g_clear_pointer (&upload->md5, g_checksum_free);
  g_free (upload->user_id);
  g_free (upload->key);
  g_free (upload->dir);
  g_free (upload->part_path);
  g_free (upload);
}

static void
respond_s3_error (SoupServerMessage *msg,
                  guint              status,
                  const char        *code,
                  const char        *message)
{
  g_autofree char *code_text = g_markup_escape_text (code, -1);
  g_autofree char *message_text = g_markup_escape_text (message, -1);
  g_autofree char *resource = g_markup_escape_text (g_uri_get_path (soup_server_message_get_uri (msg)), -1);
  g_autofree char *request_id = avatar_store_random_hex (8);
  char *body;

  body = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<Error><Code>%s</Code><Message>%s</Message>"
                          "<Resource>%s</Resource><RequestId>%s</RequestId></Error>",
                          code_text, message_text, resource, request_id);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/xml", SOUP_MEMORY_TAKE, body, strlen (body));

  /* When the refusal comes from the early handler, a body the client
   * sends anyway (without Expect: 100-continue) is read and dropped: it is
   * neither kept in memory nor stored. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
}

static void
respond_precondition_failed (SoupServerMessage *msg)
{
  respond_s3_error (msg, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold: "
                    "an object is already stored at this key");
}

static GHashTable *
request_headers_table (SoupServerMessage *msg)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);
      const char *previous = g_hash_table_lookup (table, lower);

      if (previous)
        g_hash_table_replace (table, g_steal_pointer (&lower), g_strconcat (previous, ",", value, NULL));
      else
        g_hash_table_replace (table, g_steal_pointer (&lower), g_strdup (value));
    }

  /* An HTTP/1.0 request may come without Host; libsoup then fills the
   * URI from the listening address, which is what a client would sign. */
  if (!g_hash_table_contains (table, "host"))
    {
      GUri *uri = soup_server_message_get_uri (msg);

      g_hash_table_insert (table, g_strdup ("host"),
                           g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri)));
    }

  return table;
}

static gboolean
verify_signature (AvatarServer      *self,
                  SoupServerMessage *msg)
{
  AvatarSigv4Credentials credentials = { self->access_key, self->secret_key, self->region, "s3" };
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr(GHashTable) headers = request_headers_table (msg);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *message = NULL;

  switch (avatar_sigv4_verify (&credentials, soup_server_message_get_method (msg),
                               g_uri_get_path (uri), g_uri_get_query (uri), headers, now, &message))
    {
    case AVATAR_SIGV4_OK:
      return TRUE;
    case AVATAR_SIGV4_MALFORMED:
      respond_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "AuthorizationQueryParametersError", message);
      return FALSE;
    case AVATAR_SIGV4_UNKNOWN_KEY:
      respond_s3_error (msg, SOUP_STATUS_FORBIDDEN, "InvalidAccessKeyId", message);
      return FALSE;
    case AVATAR_SIGV4_NOT_YET_VALID:
    case AVATAR_SIGV4_EXPIRED:
      respond_s3_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied", message);
      return FALSE;
    case AVATAR_SIGV4_SIGNATURE_MISMATCH:
    default:
      respond_s3_error (msg, SOUP_STATUS_FORBIDDEN, "SignatureDoesNotMatch", message);
      return FALSE;
    }
}

/* Splits /s3/<bucket>/avatars/<user>/<key>. */
static gboolean
parse_object_path (AvatarServer       *self,
                   SoupServerMessage  *msg,
                   const char         *path,
                   char              **user_id,
                   char              **key)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);

  if (g_strv_length (parts) < 3 || g_strcmp0 (parts[2], self->bucket) != 0)
    {
      respond_s3_error (msg, SOUP_STATUS_NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist");
      return FALSE;
    }

  if (g_strv_length (parts) != 6 || g_strcmp0 (parts[3], "avatars") != 0 ||
      !avatar_server_check_name (parts[4]) || !avatar_server_check_name (parts[5]))
    {
      respond_s3_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied",
                        "Uploads are accepted only at avatars/<user>/<asset key>");
      return FALSE;
    }

  *user_id = g_strdup (parts[4]);
  *key = g_strdup (parts[5]);

  return TRUE;
}

static gboolean
apply_upload_status_fault (SoupServerMessage *msg,
                           const AvatarFault *fault)
{
  if (fault->status == 0)
    return FALSE;

  if (fault->retry_after_s >= 0)
    {
      g_autofree char *value = g_strdup_printf ("%d", fault->retry_after_s);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", value);
    }

  if (fault->status == 503)
    respond_s3_error (msg, fault->status, "SlowDown", "Please reduce your request rate.");
  else if (fault->status >= 500)
    respond_s3_error (msg, fault->status, "InternalError",
                      "We encountered an internal error. Please try again.");
  else
    respond_s3_error (msg, fault->status, "AccessDenied", "Access Denied");

  return TRUE;
}

/* Cuts the connection, as a flaky network or proxy would. */
static void
abort_upload (Upload *upload)
{
  upload->aborted = TRUE;
  g_clear_handle_id (&upload->resume_id, g_source_remove);
  avatar_server_cut_connection (upload->server, upload->msg);
}

static gboolean
resume_upload (gpointer data)
{
  Upload *upload = data;

  upload->resume_id = 0;
  if (!upload->finished)
    soup_server_message_unpause (upload->msg);

  return G_SOURCE_REMOVE;
}

static void
upload_got_chunk (SoupServerMessage *msg,
                  GBytes            *chunk,
                  Upload            *upload)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  if (upload->aborted)
    return;

  upload->received += size;

  /* The early handler checked Content-Length; count again in case the
   * framing says otherwise. */
  if (upload->received > AVATAR_MAX_OBJECT_BYTES || upload->received > upload->expected)
    {
      g_message ("Upload %s exceeded its declared length; closing the connection", upload->key);
      abort_upload (upload);
      return;
    }

  if (!g_output_stream_write_all (upload->out, data, size, NULL, NULL, &error))
    {
      g_warning ("Cannot store upload %s: %s", upload->key, error->message);
      abort_upload (upload);
      return;
    }
  g_checksum_update (upload->md5, data, size);

  if (upload->fault.reset_after_bytes > 0 && upload->received >= upload->fault.reset_after_bytes)
    {
      g_message ("Resetting upload %s after %" G_GINT64_FORMAT " bytes as a fault rule asks",
                 upload->key, upload->received);
      abort_upload (upload);
      return;
    }

  if (upload->fault.bytes_per_second > 0)
    {
      gint64 due_us = upload->started_us + upload->received * G_USEC_PER_SEC / upload->fault.bytes_per_second;
      gint64 now_us = g_get_monotonic_time ();

      if (due_us > now_us)
        {
          soup_server_message_pause (msg);
          upload->resume_id = g_timeout_add ((guint) ((due_us - now_us) / 1000) + 1, resume_upload, upload);
        }
    }
}

static void
upload_finished (SoupServerMessage *msg,
                 Upload            *upload)
{
  upload->finished = TRUE;
  g_clear_handle_id (&upload->resume_id, g_source_remove);
}

static gboolean
start_upload (AvatarServer      *self,
              SoupServerMessage *msg,
              Upload            *upload)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  upload->dir = avatar_server_dup_asset_dir (self, upload->user_id, upload->key);
  if (g_mkdir_with_parents (upload->dir, 0700) != 0)
    {
      respond_s3_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError",
                        "The object directory cannot be created");
      return FALSE;
    }

  {
    g_autofree char *suffix = avatar_store_random_hex (4);

    upload->part_path = g_strdup_printf ("%s/raw.%s.part", upload->dir, suffix);
  }
  file = g_file_new_for_path (upload->part_path);
  upload->out = G_OUTPUT_STREAM (g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, &error));
  if (upload->out == NULL)
    {
      g_warning ("Cannot store upload %s: %s", upload->key, error->message);
      respond_s3_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError",
                        "The object cannot be stored");
      return FALSE;
    }

  upload->md5 = g_checksum_new (G_CHECKSUM_MD5);
  upload->started_us = g_get_monotonic_time ();

  /* Stream the body to disk instead of buffering all of it. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (upload_got_chunk), upload);
  g_signal_connect (msg, "finished", G_CALLBACK (upload_finished), upload);

  return TRUE;
}

static gboolean
check_upload_target (AvatarServer      *self,
                     SoupServerMessage *msg,
                     Upload            *upload)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(AvatarStoreAsset) asset = avatar_store_get_asset (self->store, upload->key);
  const char *content_type = soup_message_headers_get_one (headers, "Content-Type");

  if (asset == NULL || g_strcmp0 (asset->user_id, upload->user_id) != 0)
    {
      respond_s3_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied",
                        "No upload was requested for this object");
      return FALSE;
    }

  /* Objects are written once, as S3 does for a conditional write: the CDN
   * serves the variants as immutable, and a user's live avatar must not
   * change or break behind the same address. */
  if (asset->upload_seq > 0)
    {
      respond_precondition_failed (msg);
      return FALSE;
    }

  if (g_strcmp0 (content_type, asset->content_type) != 0)
    {
      respond_s3_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied",
                        "The Content-Type differs from the type the upload was requested for");
      return FALSE;
    }

  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      respond_s3_error (msg, SOUP_STATUS_LENGTH_REQUIRED, "MissingContentLength",
                        "You must provide the Content-Length HTTP header.");
      return FALSE;
    }

  upload->expected = soup_message_headers_get_content_length (headers);

  /* S3 itself would take an empty object, but for an avatar it is always
   * a client bug (typically a retry that lost its body), so say so now. */
  if (upload->expected == 0)
    {
      respond_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "EntityTooSmall",
                        "Your proposed upload is empty; an avatar needs the image bytes");
      return FALSE;
    }

  if (upload->expected > AVATAR_MAX_OBJECT_BYTES)
    {
      respond_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size");
      return FALSE;
    }

  return TRUE;
}

/* Everything that can be decided from the request line and headers is
 * decided here, before a byte of the body is read. */
void
avatar_server_s3_early_handler (SoupServer        *server,
                                SoupServerMessage *msg,
                                const char        *path,
                                GHashTable        *query,
                                gpointer           user_data)
{
  AvatarServer *self = user_data;
  Upload *upload;
  AvatarFault fault = { .retry_after_s = -1 };

  if (soup_server_message_get_method (msg) != SOUP_METHOD_PUT)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "PUT");
      respond_s3_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.");
      return;
    }

  if (self->faults_enabled && avatar_faults_take (self->faults, "upload", &fault) &&
      apply_upload_status_fault (msg, &fault))
    {
      /* A delay rule holds back the refusal too. */
      avatar_server_respond_later (msg, fault.delay_ms);
      return;
    }

  /* As S3 does: a presigned URL is the credential, a second one is an error
   * (and a sign that a client leaks its API token to the storage host). */
  if (soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization"))
    {
      respond_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidArgument",
                        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                        "Signature query string parameter or the Authorization header should be specified");
      return;
    }

  upload = g_new0 (Upload, 1);
  upload->server = self;
  upload->msg = msg;
  upload->fault = fault;
  g_object_set_data_full (G_OBJECT (msg), "avatar-upload", upload, (GDestroyNotify) upload_free);

  if (!parse_object_path (self, msg, path, &upload->user_id, &upload->key) ||
      !verify_signature (self, msg) ||
      !check_upload_target (self, msg, upload))
    return;

  start_upload (self, msg, upload);
}

/* The PUT body is complete: keep the object and start processing. */
void
avatar_server_s3_handler (SoupServer        *server,
                          SoupServerMessage *msg,
                          const char        *path,
                          GHashTable        *query,
                          gpointer           user_data)
{
  AvatarServer *self = user_data;
  Upload *upload = g_object_get_data (G_OBJECT (msg), "avatar-upload");
  g_autoptr(AvatarStoreAsset) asset = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *raw_path = NULL;
  g_autofree char *etag = NULL;

  if (soup_server_message_get_status (msg) != 0)
    return;

  if (upload == NULL || upload->out == NULL || upload->aborted ||
      upload->received != upload->expected)
    {
      respond_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "IncompleteBody",
                        "You did not provide the number of bytes specified by the Content-Length HTTP header");
      return;
    }

  /* Another PUT of the same URL may have finished while this one was
   * being read. */
  asset = avatar_store_get_asset (self->store, upload->key);
  if (asset == NULL || asset->upload_seq > 0)
    {
      respond_precondition_failed (msg);
      return;
    }

  raw_path = g_build_filename (upload->dir, "raw", NULL);
  if (!g_output_stream_close (upload->out, NULL, &error) ||
      g_rename (upload->part_path, raw_path) != 0 ||
      !avatar_store_mark_uploaded (self->store, upload->key, upload->received, &error))
    {
      g_warning ("Cannot keep upload %s: %s", upload->key, error ? error->message : g_strerror (errno));
      respond_s3_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError",
                        "We encountered an internal error. Please try again.");
      return;
    }
  g_clear_object (&upload->out);
  g_clear_pointer (&upload->part_path, g_free);

  etag = g_strdup_printf ("\"%s\"", g_checksum_get_string (upload->md5));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);

  g_message ("Stored upload %s (%" G_GINT64_FORMAT " bytes)", upload->key, upload->received);
  avatar_server_schedule_processing (self, upload->key);

  /* A delay rule holds back the answer, not the storing. */
  avatar_server_respond_later (msg, upload->fault.delay_ms);
}
