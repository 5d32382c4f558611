/* fuzz-s3-xml.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's reader of S3's XML error answers to a PUT.
 */

#include "config.h"

#include "avatar-upload-private.h"
#include "fuzz-target.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  fuzz_init_logging ();

  avatar_upload_parse_s3_error (body, &code, &message);
  g_assert (code == NULL || *code != '\0');
  g_assert (message == NULL || *message != '\0');

  return 0;
}
