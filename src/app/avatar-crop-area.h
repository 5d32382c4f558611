/* avatar-crop-area.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "avatar-image.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_CROP_AREA (avatar_crop_area_get_type ())

G_DECLARE_FINAL_TYPE (AvatarCropArea, avatar_crop_area, AVATAR, CROP_AREA, GtkWidget)

GtkWidget *avatar_crop_area_new             (void);
/* @texture shows the picture; the crop is kept in source pixels of a
 * @source_width × @source_height picture, whatever the texture's size. */
void       avatar_crop_area_set_picture     (AvatarCropArea   *self,
                                             GdkTexture       *texture,
                                             int               source_width,
                                             int               source_height);
GdkTexture *avatar_crop_area_get_texture    (AvatarCropArea   *self);
int        avatar_crop_area_get_source_width  (AvatarCropArea *self);
int        avatar_crop_area_get_source_height (AvatarCropArea *self);
void       avatar_crop_area_get_crop        (AvatarCropArea   *self,
                                             AvatarCrop       *crop);
/* Moves and shrinks @crop into the picture before using it. */
void       avatar_crop_area_set_crop        (AvatarCropArea   *self,
                                             const AvatarCrop *crop);
/* Quarter turns clockwise (negative: anticlockwise) and mirroring of the
 * square, as AvatarCrop's turns and flip. */
void       avatar_crop_area_turn            (AvatarCropArea   *self,
                                             int               quarter_turns);
void       avatar_crop_area_flip            (AvatarCropArea   *self);
/* How far the crop is zoomed in: 1 for the largest square, up to the
 * largest zoom, where the crop is at its smallest. */
double     avatar_crop_area_get_zoom        (AvatarCropArea   *self);
double     avatar_crop_area_get_max_zoom    (AvatarCropArea   *self);
void       avatar_crop_area_set_zoom        (AvatarCropArea   *self,
                                             double            zoom);
/* Back to the largest centred square, neither turned nor mirrored. */
void       avatar_crop_area_reset           (AvatarCropArea   *self);
/* The sentence the crop area gives assistive technologies. */
char      *avatar_crop_area_dup_description (AvatarCropArea   *self);

G_END_DECLS
