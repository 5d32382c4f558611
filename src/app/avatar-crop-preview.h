/* avatar-crop-preview.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "avatar-crop-area.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_CROP_PREVIEW (avatar_crop_preview_get_type ())

G_DECLARE_FINAL_TYPE (AvatarCropPreview, avatar_crop_preview, AVATAR, CROP_PREVIEW, GtkWidget)

/* A round preview, @size pixels wide, of what @crop_area's crop will look like. */
GtkWidget *avatar_crop_preview_new           (int             size);
int        avatar_crop_preview_get_size      (AvatarCropPreview *self);
void       avatar_crop_preview_set_crop_area (AvatarCropPreview *self,
                                              AvatarCropArea    *crop_area);

G_END_DECLS
