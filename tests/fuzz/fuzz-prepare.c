/* fuzz-prepare.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading a picture (the checks before the decoder, the decoder, the
 * orientation) and preparing it for upload, with the default crop and
 * with a crop inside it. Only small pictures are tried, so that each run
 * takes milliseconds: those whose header declares at most
 * FUZZ_MAX_PIXELS, and ICO files, whose sides are at most 256.
 */

#include "config.h"

#include "avatar-error.h"
#include "avatar-image.h"
#include "avatar-sniff.h"
#include "fuzz-target.h"

#define FUZZ_MAX_PIXELS (256 * 256)

static gboolean
is_small (const uint8_t *data,
          size_t         size)
{
  const AvatarSniffedType *type = avatar_sniff_type (data, size);
  guint32 width, height;

  /* Refused before any decoder sees it. */
  if (type == NULL)
    return TRUE;
  if (g_str_equal (type->mime_type, "image/x-icon"))
    return TRUE;

  return avatar_sniff_dimensions (type, data, size, &width, &height) &&
         (guint64) width * height <= FUZZ_MAX_PIXELS;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(AvatarPrepared) cropped = NULL;
  g_autoptr(GError) error = NULL;
  AvatarCrop crop;

  fuzz_init_logging ();

  if (!is_small (data, size))
    return -1; /* not added to the corpus */

  bytes = g_bytes_new_static (data, size);
  image = avatar_image_new_from_bytes (bytes, "fuzz", NULL, &error);
  if (image == NULL)
    {
      g_assert (error != NULL && error->domain == AVATAR_ERROR);
      return 0;
    }

  g_assert (avatar_image_get_width (image) > 0 && avatar_image_get_height (image) > 0);

  prepared = avatar_image_prepare (image, NULL, AVATAR_PREPARE_NONE, NULL, &error);
  g_assert ((prepared != NULL) == (error == NULL));
  g_clear_error (&error);

  crop = (AvatarCrop) { 1, 1, avatar_image_get_width (image) / 2 };
  avatar_crop_clamp (&crop, avatar_image_get_width (image), avatar_image_get_height (image));
  cropped = avatar_image_prepare (image, &crop, AVATAR_PREPARE_KEEP_METADATA, NULL, &error);
  g_assert ((cropped != NULL) == (error == NULL));

  return 0;
}
