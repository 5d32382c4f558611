/* avatar-keyring.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The keyring items that hold the tokens, one per server address and kind,
 * shared by the app and avatar-upload so that either finds what the other
 * stored. Synchronous: call from a worker thread, or where blocking is fine.
 */

#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

#define AVATAR_KEYRING_KIND_ACCESS  "access"
#define AVATAR_KEYRING_KIND_REFRESH "refresh"

const SecretSchema *avatar_keyring_get_schema (void);
/* Returns: (transfer full) (nullable): the token, or %NULL when none is
 * stored (@error unset) or the Secret Service failed (@error set). */
char               *avatar_keyring_lookup     (const char    *server_url,
                                               const char    *kind,
                                               GCancellable  *cancellable,
                                               GError       **error);
/* Stores @token, or removes the item when @token is %NULL or empty. */
gboolean            avatar_keyring_store      (const char    *server_url,
                                               const char    *kind,
                                               const char    *token,
                                               GCancellable  *cancellable,
                                               GError       **error);

G_END_DECLS
