/* avatar-secrets.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AVATAR_TYPE_SECRETS (avatar_secrets_get_type ())

G_DECLARE_FINAL_TYPE (AvatarSecrets, avatar_secrets, AVATAR, SECRETS, GObject)

/* Tokens per server URL, in the Secret Service when there is one; in memory,
 * for this session only, when there is not. Property: available. */
AvatarSecrets *avatar_secrets_new            (void);
/* FALSE once the Secret Service failed: tokens then live only as long as the app. */
gboolean       avatar_secrets_get_available  (AvatarSecrets        *self);

void           avatar_secrets_lookup_async   (AvatarSecrets        *self,
                                              const char           *server_url,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* TRUE with @access_token and @refresh_token set (either may be NULL when none is stored). */
gboolean       avatar_secrets_lookup_finish  (AvatarSecrets        *self,
                                              GAsyncResult         *result,
                                              char                **access_token,
                                              char                **refresh_token,
                                              GError              **error);
/* Keeps the tokens for the session at once, and stores them when it can.
 * NULL tokens remove what was stored. */
void           avatar_secrets_store          (AvatarSecrets        *self,
                                              const char           *server_url,
                                              const char           *access_token,
                                              const char           *refresh_token);

G_END_DECLS
