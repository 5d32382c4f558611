/* avatar-redact.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "avatar-redact.h"

/* Query parameters whose values let whoever reads them act as the user. */
static const char * const secret_parameters[] = {
  "x-amz-signature",
  "x-amz-security-token",
  "x-amz-credential",
  "access_token",
  "refresh_token",
  "token",
};

static gboolean
is_secret_parameter (const char *name,
                     gsize       length)
{
  for (guint i = 0; i < G_N_ELEMENTS (secret_parameters); i++)
    {
      if (strlen (secret_parameters[i]) == length &&
          g_ascii_strncasecmp (name, secret_parameters[i], length) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
append_redacted_query (GString    *out,
                       const char *query,
                       gsize       length)
{
  const char *end = query + length;
  const char *p = query;

  while (p < end)
    {
      const char *amp = memchr (p, '&', end - p);
      const char *pair_end = amp != NULL ? amp : end;
      const char *eq = memchr (p, '=', pair_end - p);

      if (eq != NULL && is_secret_parameter (p, eq - p))
        {
          g_string_append_len (out, p, eq - p + 1);
          g_string_append (out, AVATAR_REDACTED);
        }
      else
        {
          g_string_append_len (out, p, pair_end - p);
        }

      if (amp != NULL)
        g_string_append_c (out, '&');
      p = pair_end + 1;
    }
}

/* Replaces "user:password@" by "user:[redacted]@" in the authority. */
static void
append_redacted_prefix (GString    *out,
                        const char *url,
                        gsize       length)
{
  const char *scheme_end = g_strstr_len (url, length, "://");
  const char *authority;
  const char *authority_end;
  const char *at;
  const char *colon;

  if (scheme_end == NULL)
    {
      g_string_append_len (out, url, length);
      return;
    }

  authority = scheme_end + 3;
  authority_end = authority;
  while (authority_end < url + length && *authority_end != '/')
    authority_end++;

  at = g_strrstr_len (authority, authority_end - authority, "@");
  colon = at != NULL ? memchr (authority, ':', at - authority) : NULL;
  if (colon == NULL)
    {
      g_string_append_len (out, url, length);
      return;
    }

  g_string_append_len (out, url, colon + 1 - url);
  g_string_append (out, AVATAR_REDACTED);
  g_string_append_len (out, at, url + length - at);
}

char *
avatar_redact_url (const char *url)
{
  GString *out;
  const char *query;
  const char *fragment;
  gsize prefix_length;

  if (url == NULL)
    return NULL;

  out = g_string_new (NULL);
  fragment = strchr (url, '#');
  query = strchr (url, '?');
  if (query != NULL && fragment != NULL && fragment < query)
    query = NULL;

  prefix_length = query != NULL ? (gsize) (query - url)
                : fragment != NULL ? (gsize) (fragment - url)
                : strlen (url);
  append_redacted_prefix (out, url, prefix_length);

  if (query != NULL)
    {
      gsize query_length = fragment != NULL ? (gsize) (fragment - query - 1) : strlen (query + 1);

      g_string_append_c (out, '?');
      append_redacted_query (out, query + 1, query_length);
    }

  if (fragment != NULL)
    g_string_append (out, fragment);

  return g_string_free (out, FALSE);
}

/* Each pattern keeps its first group and replaces what follows it. */
static const char * const secret_patterns[] = {
  /* Authorization: Bearer <token> */
  "(\\bBearer\\s+)[^\\s\"',;]+",
  /* "accessToken": "<token>", "refreshToken": "<token>" and friends */
  "(\"[A-Za-z_]*[Tt]oken\"\\s*:\\s*\")(?:[^\"\\\\]|\\\\.)*(?=\")",
  /* X-Amz-Signature=<hex> in a URL anywhere in the text */
  "((?i)\\bX-Amz-(?:Signature|Security-Token|Credential)=)[^&\\s\"'#]+",
};

char *
avatar_redact_text (const char *text)
{
  char *result;

  if (text == NULL)
    return NULL;

  result = g_strdup (text);

  for (guint i = 0; i < G_N_ELEMENTS (secret_patterns); i++)
    {
      g_autoptr(GRegex) regex = NULL;
      g_autofree char *previous = result;

      regex = g_regex_new (secret_patterns[i], G_REGEX_OPTIMIZE, 0, NULL);
      g_assert (regex != NULL);
      result = g_regex_replace (regex, previous, -1, 0, "\\1" AVATAR_REDACTED, 0, NULL);
      if (result == NULL)
        result = g_strdup (AVATAR_REDACTED);
    }

  return result;
}
