/* avatar-account-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "avatar-application.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_ACCOUNT_DIALOG (avatar_account_dialog_get_type ())

G_DECLARE_FINAL_TYPE (AvatarAccountDialog, avatar_account_dialog, AVATAR, ACCOUNT_DIALOG, AdwWindow)

/* Server address, app ID and tokens of @application's account, to edit,
 * save, or sign out of. */
AvatarAccountDialog *avatar_account_dialog_new (AvatarApplication *application);

G_END_DECLS
