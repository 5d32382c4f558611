/* avatar-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "avatar-client.h"
#include "avatar-secrets.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_APPLICATION (avatar_application_get_type ())

G_DECLARE_FINAL_TYPE (AvatarApplication, avatar_application, AVATAR, APPLICATION, AdwApplication)

AvatarApplication *avatar_application_new                 (void);
GSettings         *avatar_application_get_settings        (AvatarApplication  *self);
AvatarSecrets     *avatar_application_get_secrets         (AvatarApplication  *self);
/* The signed-in client, or NULL when no account is set. Property: client. */
AvatarClient      *avatar_application_get_client          (AvatarApplication  *self);
const char        *avatar_application_get_server_url      (AvatarApplication  *self);
const char        *avatar_application_get_app_id          (AvatarApplication  *self);
/* Makes a new client for the account; @remember stores the server and app ID
 * in the settings and the tokens in the Secret Service. */
gboolean           avatar_application_set_account         (AvatarApplication  *self,
                                                           const char         *server_url,
                                                           const char         *app_id,
                                                           const char         *access_token,
                                                           const char         *refresh_token,
                                                           gboolean            remember,
                                                           GError            **error);
/* Forgets the tokens of the current server, here and in the Secret Service. */
void               avatar_application_sign_out            (AvatarApplication  *self);
/* TRUE while the stored tokens of the saved server are looked up. */
gboolean           avatar_application_get_signing_in      (AvatarApplication  *self);
/* Whether gdk-pixbuf has a WebP loader, which the service's sizes need. */

G_END_DECLS
