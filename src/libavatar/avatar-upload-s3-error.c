/* avatar-upload-s3-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the storage says when it refuses a PUT: S3's <Error> document, read
 * with GMarkup, and the error the upload reports.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "avatar-error.h"
#include "avatar-upload-private.h"

typedef struct
{
  GString *text;
  char    *code;
  char    *message;
  int      depth;
} S3Error;

static void
s3_start_element (GMarkupParseContext  *context,
                  const char           *element_name,
                  const char          **attribute_names,
                  const char          **attribute_values,
                  gpointer              user_data,
                  GError              **error)
{
  S3Error *parsed = user_data;

  parsed->depth++;
  g_string_truncate (parsed->text, 0);
}

static void
s3_end_element (GMarkupParseContext  *context,
                const char           *element_name,
                gpointer              user_data,
                GError              **error)
{
  S3Error *parsed = user_data;

  /* <Error><Code>…</Code><Message>…</Message></Error> */
  if (parsed->depth == 2)
    {
      if (g_str_equal (element_name, "Code") && parsed->code == NULL)
        parsed->code = g_strstrip (g_strdup (parsed->text->str));
      else if (g_str_equal (element_name, "Message") && parsed->message == NULL)
        parsed->message = g_strstrip (g_strdup (parsed->text->str));
    }

  parsed->depth--;
  g_string_truncate (parsed->text, 0);
}

static void
s3_text (GMarkupParseContext  *context,
         const char           *text,
         gsize                 text_len,
         gpointer              user_data,
         GError              **error)
{
  S3Error *parsed = user_data;

  if (parsed->text->len < 4096)
    g_string_append_len (parsed->text, text, (gssize) MIN (text_len, 4096));
}

static const GMarkupParser s3_error_parser = {
  s3_start_element,
  s3_end_element,
  s3_text,
  NULL,
  NULL,
};

void
avatar_upload_parse_s3_error (GBytes  *body,
                              char   **code,
                              char   **message)
{
  g_autoptr(GMarkupParseContext) context = NULL;
  S3Error parsed = { 0, };
  const char *data;
  gsize size;

  *code = NULL;
  *message = NULL;

  data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  if (data == NULL || size == 0)
    return;

  parsed.text = g_string_new (NULL);
  context = g_markup_parse_context_new (&s3_error_parser, 0, &parsed, NULL);

  /* A partial document still gives what it had before the damage. */
  if (g_markup_parse_context_parse (context, data, (gssize) size, NULL))
    g_markup_parse_context_end_parse (context, NULL);

  g_string_free (parsed.text, TRUE);

  if (parsed.code != NULL && *parsed.code == '\0')
    g_clear_pointer (&parsed.code, g_free);
  if (parsed.message != NULL && *parsed.message == '\0')
    g_clear_pointer (&parsed.message, g_free);

  *code = parsed.code;
  *message = parsed.message;
}

static gboolean
contains_expired (const char *text)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;

  folded = g_ascii_strdown (text, -1);
  return strstr (folded, "expired") != NULL;
}

gboolean
avatar_upload_s3_error_is_expiry (const char *code,
                                  const char *message)
{
  return contains_expired (message) || contains_expired (code);
}

GError *
avatar_upload_s3_error_new (SoupMessage *msg,
                            const char  *code,
                            const char  *message)
{
  guint status = soup_message_get_status (msg);
  const char *reason = soup_message_get_reason_phrase (msg);

  if (message != NULL && code != NULL)
    return g_error_new (AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED,
                        _("The storage refused the picture: %s (%s)."), message, code);
  if (message != NULL || code != NULL)
    return g_error_new (AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED,
                        _("The storage refused the picture: %s."), message != NULL ? message : code);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);

  return g_error_new (AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED,
                      _("The storage refused the picture (%u %s)."),
                      status, reason != NULL ? reason : "");
}
