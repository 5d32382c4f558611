/* fuzz-metadata.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The walk over a file's structure (EXIF, XMP, trailing data, frames) for
 * every type it knows, whatever the first bytes say, and the EXIF reader
 * on its own.
 */

#include "config.h"

#include "avatar-metadata.h"
#include "fuzz-target.h"

static const char * const mime_types[] = {
  "image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp",
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  AvatarMetadata meta;

  fuzz_init_logging ();

  for (gsize i = 0; i < G_N_ELEMENTS (mime_types); i++)
    {
      avatar_metadata_scan (&meta, mime_types[i], data, size);
      g_assert (meta.orientation >= 1 && meta.orientation <= 8);
      avatar_metadata_is_private (&meta);
    }

  meta = (AvatarMetadata) { .orientation = 1 };
  avatar_metadata_parse_exif (&meta, data, size);
  g_assert (meta.orientation >= 1 && meta.orientation <= 8);

  return 0;
}
