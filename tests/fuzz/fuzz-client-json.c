/* fuzz-client-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's readers of the API's JSON answers: the profile, the upload
 * ticket, the refreshed tokens and an error's message.
 */

#include "config.h"

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "fuzz-target.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = g_bytes_new_static (data, size);
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(AvatarTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *message = NULL;

  fuzz_init_logging ();

  profile = avatar_client_parse_profile (body, &error);
  g_assert ((profile != NULL) == (error == NULL));
  if (profile != NULL)
    g_assert (profile->id != NULL && profile->username != NULL);
  g_clear_error (&error);

  ticket = avatar_client_parse_ticket (body, "image/png", &error);
  g_assert ((ticket != NULL) == (error == NULL));
  if (ticket != NULL)
    g_assert (ticket->upload_url != NULL && ticket->asset_key != NULL && ticket->cdn_url != NULL);
  g_clear_error (&error);

  if (avatar_client_parse_tokens (body, &access_token, &refresh_token, &error))
    g_assert (access_token != NULL && refresh_token != NULL);
  else
    g_assert (error != NULL && access_token == NULL && refresh_token == NULL);

  message = avatar_client_dup_server_message (body);
  g_assert (message == NULL || *message != '\0');

  return 0;
}
