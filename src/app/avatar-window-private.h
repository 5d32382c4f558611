/* avatar-window-private.h
 *
 * What the parts of the window share, and what it shows, for the UI tests
 * that drive it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-crop-area.h"
#include "avatar-flow.h"
#include "avatar-window.h"

G_BEGIN_DECLS

/* avatar-window.c, for avatar-window-open.c */
gboolean             avatar_window_is_busy             (AvatarWindow      *self);
/* TRUE once the window was closed and its widgets are gone. */
gboolean             avatar_window_is_closed           (AvatarWindow      *self);
void                 avatar_window_show_toast          (AvatarWindow      *self,
                                                        const char        *title);
GSettings           *avatar_window_get_settings        (AvatarWindow      *self);
/* Cancelled when the window closes. */
GCancellable        *avatar_window_get_cancellable     (AvatarWindow      *self);
/* While a file chooser is being opened or is open, "Change Avatar…" is off,
 * so that a second press does not open a second chooser. */
void                 avatar_window_set_choosing        (AvatarWindow      *self,
                                                        gboolean           choosing);

/* avatar-window-open.c */
void                 avatar_window_choose_file         (AvatarWindow      *self);
void                 avatar_window_paste               (AvatarWindow      *self);
GtkEventController  *avatar_window_create_drop_target  (AvatarWindow      *self);

/* For the UI tests */
/* "loading", "signed-out", "welcome", "error", "crop", "progress" or "result" */
const char          *avatar_window_get_page            (AvatarWindow      *self);
AvatarCropArea      *avatar_window_get_crop_area       (AvatarWindow      *self);
AvatarImage         *avatar_window_get_image           (AvatarWindow      *self);
const AvatarPrepared *avatar_window_get_prepared       (AvatarWindow      *self);
AvatarFlow          *avatar_window_get_flow            (AvatarWindow      *self);
const AvatarProfile *avatar_window_get_profile         (AvatarWindow      *self);
AdwAvatar           *avatar_window_get_profile_avatar  (AvatarWindow      *self);
/* The decoded picture of a variant in the result view, once it is shown. */
GdkTexture          *avatar_window_get_variant_texture (AvatarWindow      *self,
                                                        AvatarVariantKind  kind);
/* The last message shown to the user, in a toast or on the error page. */
const char          *avatar_window_get_message         (AvatarWindow      *self);
/* Sensitive only for a picture that will upload. */
GtkWidget           *avatar_window_get_upload_button   (AvatarWindow      *self);
/* The open "Remove Avatar" confirmation or account dialog, or NULL. */
GtkWidget           *avatar_window_get_remove_dialog   (AvatarWindow      *self);
GtkWidget           *avatar_window_get_account_dialog  (AvatarWindow      *self);
/* TRUE while the progress bar pulses, for want of anything to measure. */
gboolean             avatar_window_is_progress_pulsing (AvatarWindow      *self);

G_END_DECLS
