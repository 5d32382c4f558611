/* avatar-redact.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AVATAR_REDACTED "[redacted]"

/* A copy of @url fit for a log: the values of query parameters that grant
 * access (X-Amz-Signature, X-Amz-Security-Token, X-Amz-Credential, tokens)
 * and any password in the user info are replaced. */
char *avatar_redact_url  (const char *url);
/* A copy of @text fit for a log: bearer tokens, JSON token members and
 * signatures in query strings are replaced. */
char *avatar_redact_text (const char *text);

G_END_DECLS
