/* avatar-upload-output.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What avatar-upload prints: the JSON results on stdout, the one-sentence
 * errors on stderr, and the exit code each error ends with.
 */

#include "config.h"

#include <string.h>

#include "avatar-enums.h"
#include "avatar-error.h"
#include "avatar-upload-cli.h"

void
cli_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* Messages from elsewhere do not always end like a sentence, and one the
 * service wrote may hold line breaks or terminal escapes: they become
 * spaces, so the error stays one line and cannot rewrite the terminal. */
void
cli_print_sentence (const char *message)
{
  g_autofree char *valid = g_utf8_make_valid (message, -1);
  g_autoptr(GString) text = g_string_new (NULL);
  const char *line;
  gsize length;
  gboolean ended;

  for (const char *c = valid; *c != '\0'; c = g_utf8_next_char (c))
    {
      gunichar character = g_utf8_get_char (c);

      g_string_append_unichar (text, g_unichar_iscntrl (character) ? ' ' : character);
    }
  line = g_strstrip (text->str);

  length = strlen (line);
  ended = length > 0 && strchr (".!?", line[length - 1]) != NULL;

  g_printerr ("%s%s\n", line, ended ? "" : ".");
}

int
cli_exit_code_for_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EXIT_INTERRUPTED;

  if (error->domain != AVATAR_ERROR)
    return EXIT_SERVICE;

  switch ((AvatarError) error->code)
    {
    case AVATAR_ERROR_INVALID_IMAGE:
    case AVATAR_ERROR_UNSUPPORTED_TYPE:
    case AVATAR_ERROR_TOO_LARGE:
    case AVATAR_ERROR_TOO_MANY_PIXELS:
    case AVATAR_ERROR_UNREADABLE:
      return EXIT_INVALID_IMAGE;

    case AVATAR_ERROR_AUTH:
      return EXIT_AUTH;

    case AVATAR_ERROR_PROCESSING_TIMEOUT:
      return EXIT_PROCESSING_TIMEOUT;

    case AVATAR_ERROR_PROCESSING_FAILED:
      return EXIT_PROCESSING_FAILED;

    case AVATAR_ERROR_PROTOCOL:
    case AVATAR_ERROR_NETWORK:
    case AVATAR_ERROR_SERVER:
    case AVATAR_ERROR_UPLOAD_REJECTED:
    case AVATAR_ERROR_URL_EXPIRED:
    case AVATAR_ERROR_INSECURE_URL:
    case AVATAR_ERROR_UNAVAILABLE:
    case AVATAR_ERROR_STILL_PROCESSING:
    default:
      return EXIT_SERVICE;
    }
}


/* --check ---------------------------------------------------------------- */

static void
add_changes (JsonBuilder   *builder,
             AvatarChanges  changes)
{
  g_autoptr(GFlagsClass) flags_class = g_type_class_ref (AVATAR_TYPE_CHANGES);

  json_builder_begin_array (builder);
  for (guint i = 0; i < flags_class->n_values; i++)
    {
      const GFlagsValue *value = &flags_class->values[i];

      if (value->value != 0 && (changes & value->value) == value->value)
        json_builder_add_string_value (builder, value->value_nick);
    }
  json_builder_end_array (builder);
}

static void
add_int_or_null (JsonBuilder *builder,
                 const char  *name,
                 gboolean     known,
                 gint64      value)
{
  json_builder_set_member_name (builder, name);
  if (known)
    json_builder_add_int_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cli_add_string_or_null (JsonBuilder *builder,
                        const char  *name,
                        const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cli_print_check (AvatarImage          *image,
                 const AvatarPrepared *prepared,
                 const GError         *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, prepared != NULL);
  cli_add_string_or_null (builder, "sourceType", image ? avatar_image_get_source_type (image) : NULL);
  add_int_or_null (builder, "width", image != NULL, image ? avatar_image_get_width (image) : 0);
  add_int_or_null (builder, "height", image != NULL, image ? avatar_image_get_height (image) : 0);
  add_int_or_null (builder, "bytes", image != NULL,
                   image ? (gint64) g_bytes_get_size (avatar_image_get_bytes (image)) : 0);
  cli_add_string_or_null (builder, "uploadType", prepared ? prepared->content_type : NULL);
  add_int_or_null (builder, "uploadBytes", prepared != NULL,
                   prepared ? (gint64) g_bytes_get_size (prepared->bytes) : 0);
  json_builder_set_member_name (builder, "passthrough");
  if (prepared != NULL)
    json_builder_add_boolean_value (builder, prepared->passthrough);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "changes");
  add_changes (builder, prepared ? prepared->changes : AVATAR_CHANGE_NONE);
  cli_add_string_or_null (builder, "error", error ? error->message : NULL);
  json_builder_end_object (builder);

  cli_print_json (builder);
}


/* Profile and removal ---------------------------------------------------- */

void
cli_print_profile (const AvatarProfile *profile)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  cli_add_string_or_null (builder, "id", profile->id);
  cli_add_string_or_null (builder, "username", profile->username);
  cli_add_string_or_null (builder, "avatarUrl", profile->avatar_url);
  json_builder_end_object (builder);

  cli_print_json (builder);
}

/* Upload ----------------------------------------------------------------- */

static void
add_variant (JsonBuilder         *builder,
             const AvatarVariant *variant,
             const char          *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  cli_add_string_or_null (builder, "url", variant->url);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, variant->width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, variant->height);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, (gint64) variant->byte_size);
  json_builder_end_object (builder);
}

static void
add_timing (JsonBuilder *builder,
            const char  *name,
            gint64       ms)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, ms);
}

void
cli_print_upload (AvatarFlow *flow)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GEnumClass) kinds = g_type_class_ref (AVATAR_TYPE_VARIANT_KIND);
  AvatarFlowTimings timings;

  json_builder_begin_object (builder);
  cli_add_string_or_null (builder, "avatarUrl", avatar_flow_get_avatar_url (flow));
  cli_add_string_or_null (builder, "assetKey", avatar_flow_get_asset_key (flow));

  json_builder_set_member_name (builder, "variants");
  json_builder_begin_object (builder);
  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      const GEnumValue *kind = g_enum_get_value (kinds, (int) i);

      add_variant (builder, avatar_flow_get_variant (flow, i), kind->value_nick);
    }
  json_builder_end_object (builder);

  avatar_flow_get_timings (flow, &timings);
  json_builder_set_member_name (builder, "timings");
  json_builder_begin_object (builder);
  add_timing (builder, "prepareMs", timings.prepare_ms);
  add_timing (builder, "requestMs", timings.request_ms);
  add_timing (builder, "uploadMs", timings.upload_ms);
  add_timing (builder, "processingMs", timings.processing_ms);
  add_timing (builder, "variantsMs", timings.variants_ms);
  add_timing (builder, "totalMs", timings.total_ms);
  json_builder_end_object (builder);

  json_builder_end_object (builder);

  cli_print_json (builder);
}
