/* avatar-variant-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "avatar-flow.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_VARIANT_ROW (avatar_variant_row_get_type ())

G_DECLARE_FINAL_TYPE (AvatarVariantRow, avatar_variant_row, AVATAR, VARIANT_ROW, AdwActionRow)

/* One size of a processed avatar: its dimensions, bytes and a Copy URL button.
 * Signal: url-copied. */
AvatarVariantRow  *avatar_variant_row_new         (AvatarVariantKind    kind);
AvatarVariantKind  avatar_variant_row_get_kind    (AvatarVariantRow    *self);
/* Shows @variant's facts; NULL empties the row. */
void               avatar_variant_row_set_variant (AvatarVariantRow    *self,
                                                   const AvatarVariant *variant);
/* The decoded picture, drawn at exactly its size for the list sizes. */
void               avatar_variant_row_set_texture (AvatarVariantRow    *self,
                                                   GdkTexture          *texture);
GdkTexture        *avatar_variant_row_get_texture (AvatarVariantRow    *self);

G_END_DECLS
