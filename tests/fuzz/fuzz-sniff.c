/* fuzz-sniff.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The type sniffer and the header reader that runs before any decoder.
 */

#include "config.h"

#include "avatar-sniff.h"
#include "fuzz-target.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const AvatarSniffedType *type;
  guint32 width = 0, height = 0;

  fuzz_init_logging ();

  type = avatar_sniff_type (data, size);
  if (type == NULL)
    return 0;

  g_assert (type->mime_type != NULL && type->name != NULL);
  avatar_sniff_dimensions (type, data, size, &width, &height);

  return 0;
}
