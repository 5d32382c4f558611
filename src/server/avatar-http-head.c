/* avatar-http-head.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The check of a request head's framing that AvatarHttpGuard makes before
 * libsoup reads the head: see avatar-http-guard.c for why. */

#include "config.h"

#include <string.h>

#include "avatar-http-guard.h"

static char *
trimmed (const char *start,
         const char *end)
{
  while (start < end && (*start == ' ' || *start == '\t'))
    start++;
  while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
    end--;

  return g_strndup (start, end - start);
}

static gboolean
parse_length (const char *text,
              guint64    *length)
{
  gsize len = strlen (text);

  /* Digits only: no sign, no spaces, no list; 18 digits cannot overflow. */
  if (len == 0 || len > 18)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;

  *length = g_ascii_strtoull (text, NULL, 10);

  return TRUE;
}

/* What the header lines of a head say about its body so far. */
typedef struct
{
  gboolean has_length;
  guint64  length;
  gboolean chunked;
  guint    transfer_encodings;
} Framing;

/* Notes what the header line from @line to @eol says about the framing;
 * returns 0, or the status to refuse the head with. */
static guint
check_header_line (const char *line,
                   const char *eol,
                   Framing    *framing)
{
  const char *colon = memchr (line, ':', eol - line);
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;

  if (colon == NULL || colon == line)
    return 0;

  name = g_strndup (line, colon - line);
  value = trimmed (colon + 1, eol);

  if (g_ascii_strcasecmp (name, "Content-Length") == 0)
    {
      guint64 value_length;

      if (!parse_length (value, &value_length) ||
          (framing->has_length && value_length != framing->length))
        return 400;
      framing->has_length = TRUE;
      framing->length = value_length;
    }
  else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
    {
      if (g_ascii_strcasecmp (value, "chunked") != 0)
        return 501;
      framing->chunked = TRUE;
      framing->transfer_encodings++;
    }

  return 0;
}

guint
avatar_http_check_head (const char     *head,
                        gsize           len,
                        AvatarHttpBody *body,
                        guint64        *length)
{
  const char *end = head + len;
  const char *line = memchr (head, '\n', len);
  Framing framing = { 0 };

  g_return_val_if_fail (head != NULL && body != NULL && length != NULL, 400);

  *body = AVATAR_HTTP_BODY_NONE;
  *length = 0;

  if (len > AVATAR_HTTP_MAX_HEAD)
    return 431;
  /* libsoup drops NUL bytes from header lines, which would make it read
   * another header than the one checked here. */
  if (line == NULL || memchr (head, '\0', len) != NULL)
    return 400;

  /* The request line is libsoup's to judge; the header lines follow. */
  for (line++; line < end; )
    {
      const char *eol = memchr (line, '\n', end - line);
      guint status;

      if (eol == NULL)
        eol = end;

      /* A line folded onto the previous one (obs-fold): RFC 9112 lets a
       * server refuse it, and parsers disagree on what it means. */
      if (line < eol && (*line == ' ' || *line == '\t'))
        return 400;

      status = check_header_line (line, eol, &framing);
      if (status != 0)
        return status;

      line = eol + 1;
    }

  /* Both framings at once is how requests are smuggled past proxies. */
  if (framing.transfer_encodings > 1 || (framing.chunked && framing.has_length))
    return 400;

  if (framing.chunked)
    *body = AVATAR_HTTP_BODY_CHUNKED;
  else if (framing.has_length && framing.length > 0)
    {
      *body = AVATAR_HTTP_BODY_LENGTH;
      *length = framing.length;
    }

  return 0;
}
