/* avatar-upload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Uploads a picture as the avatar from the command line, checks a picture
 * without uploading it, shows the profile or removes the avatar. The result
 * is one JSON object on stdout; errors are one sentence on stderr.
 */

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "avatar-client.h"
#include "avatar-columns.h"
#include "avatar-enums.h"
#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-image.h"
#include "avatar-keyring.h"

enum {
  EXIT_DONE = 0,
  EXIT_USAGE = 1,
  EXIT_INVALID_IMAGE = 2,
  EXIT_SERVICE = 3,
  EXIT_AUTH = 4,
  EXIT_PROCESSING_TIMEOUT = 5,
  EXIT_PROCESSING_FAILED = 6,
  EXIT_INTERRUPTED = 130,
};

#define PROGRESS_WIDTH 30
/* The progress line's label column, in terminal columns. */
#define LABEL_COLUMNS  12
/* A day: longer is a mistake, and the milliseconds must fit a guint. */
#define MAX_TIMEOUT_S  (24 * 60 * 60)

typedef struct
{
  /* Options */
  char         *server;
  char         *app_id;
  char         *token;
  char         *refresh_token;
  char         *token_file;
  char         *crop_text;
  gboolean      keep_metadata;
  int           timeout_s;
  gboolean      check;
  gboolean      profile;
  gboolean      remove;
  gboolean      version;
  char        **files;

  /* The run */
  GMainLoop    *loop;
  GCancellable *cancellable;
  AvatarClient *client;
  AvatarImage  *image;
  AvatarFlow   *flow;
  AvatarCrop    crop;
  gboolean      has_crop;
  gboolean      interrupted;
  gboolean      show_progress;
  gboolean      progress_drawn;
  int           exit_code;
} Cli;

static void
cli_clear (Cli *cli)
{
  g_free (cli->server);
  g_free (cli->app_id);
  g_free (cli->token);
  g_free (cli->refresh_token);
  g_free (cli->token_file);
  g_free (cli->crop_text);
  g_strfreev (cli->files);
  g_clear_pointer (&cli->loop, g_main_loop_unref);
  g_clear_object (&cli->cancellable);
  g_clear_object (&cli->client);
  g_clear_object (&cli->image);
  g_clear_object (&cli->flow);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cli, cli_clear)

/* Output ----------------------------------------------------------------- */

static void
print_json (JsonBuilder *builder)
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
static void
print_sentence (const char *message)
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

static void
progress_end (Cli *cli)
{
  if (cli->progress_drawn)
    g_printerr ("\n");
  cli->progress_drawn = FALSE;
}

static int
exit_code_for_error (const GError *error)
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

/* Ends the run with @error's sentence on stderr and its exit code. */
static void
cli_fail (Cli          *cli,
          const GError *error)
{
  progress_end (cli);

  if (cli->interrupted && cli->flow != NULL && avatar_flow_get_sent (cli->flow))
    {
      /* The service has the picture: say what will become of it. */
      print_sentence (error->message);
      cli->exit_code = EXIT_INTERRUPTED;
    }
  else if (cli->interrupted)
    {
      g_printerr ("%s\n", _("Interrupted."));
      cli->exit_code = EXIT_INTERRUPTED;
    }
  else
    {
      print_sentence (error->message);
      cli->exit_code = exit_code_for_error (error);
    }

  g_main_loop_quit (cli->loop);
}

static void
cli_done (Cli *cli)
{
  progress_end (cli);
  cli->exit_code = EXIT_DONE;
  g_main_loop_quit (cli->loop);
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

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_check (AvatarImage          *image,
             const AvatarPrepared *prepared,
             const GError         *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, prepared != NULL);
  add_string_or_null (builder, "sourceType", image ? avatar_image_get_source_type (image) : NULL);
  add_int_or_null (builder, "width", image != NULL, image ? avatar_image_get_width (image) : 0);
  add_int_or_null (builder, "height", image != NULL, image ? avatar_image_get_height (image) : 0);
  add_int_or_null (builder, "bytes", image != NULL,
                   image ? (gint64) g_bytes_get_size (avatar_image_get_bytes (image)) : 0);
  add_string_or_null (builder, "uploadType", prepared ? prepared->content_type : NULL);
  add_int_or_null (builder, "uploadBytes", prepared != NULL,
                   prepared ? (gint64) g_bytes_get_size (prepared->bytes) : 0);
  json_builder_set_member_name (builder, "passthrough");
  if (prepared != NULL)
    json_builder_add_boolean_value (builder, prepared->passthrough);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "changes");
  add_changes (builder, prepared ? prepared->changes : AVATAR_CHANGE_NONE);
  add_string_or_null (builder, "error", error ? error->message : NULL);
  json_builder_end_object (builder);

  print_json (builder);
}

static void
check_prepared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GError) error = NULL;

  prepared = avatar_image_prepare_finish (AVATAR_IMAGE (source), result, &error);

  if (prepared == NULL && (cli->interrupted || exit_code_for_error (error) != EXIT_INVALID_IMAGE))
    {
      cli_fail (cli, error);
      return;
    }

  print_check (cli->image, prepared, error);

  if (prepared == NULL)
    cli_fail (cli, error);
  else
    cli_done (cli);
}

/* Profile and removal ---------------------------------------------------- */

static void
print_profile (const AvatarProfile *profile)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string_or_null (builder, "id", profile->id);
  add_string_or_null (builder, "username", profile->username);
  add_string_or_null (builder, "avatarUrl", profile->avatar_url);
  json_builder_end_object (builder);

  print_json (builder);
}

static void
profile_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  if (cli->remove)
    profile = avatar_client_remove_avatar_finish (AVATAR_CLIENT (source), result, &error);
  else
    profile = avatar_client_get_profile_finish (AVATAR_CLIENT (source), result, &error);

  if (profile == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  print_profile (profile);
  cli_done (cli);
}

/* Upload ----------------------------------------------------------------- */

static const char *
state_label (AvatarFlowState state)
{
  switch (state)
    {
    case AVATAR_FLOW_STATE_PREPARING:
      return _("Preparing");
    case AVATAR_FLOW_STATE_REQUESTING:
      return _("Connecting");
    case AVATAR_FLOW_STATE_UPLOADING:
      return _("Uploading");
    case AVATAR_FLOW_STATE_PROCESSING:
      return _("Processing");
    case AVATAR_FLOW_STATE_FETCHING:
      return _("Downloading");
    case AVATAR_FLOW_STATE_IDLE:
    case AVATAR_FLOW_STATE_DONE:
    case AVATAR_FLOW_STATE_FAILED:
    case AVATAR_FLOW_STATE_CANCELLED:
    default:
      return NULL;
    }
}

static void
draw_progress (Cli *cli)
{
  g_autofree char *padded = NULL;
  const char *label = state_label (avatar_flow_get_state (cli->flow));
  AvatarUpload *upload = avatar_flow_get_upload (cli->flow);
  double fraction = upload != NULL ? avatar_upload_get_fraction (upload) : 0.0;
  char bar[PROGRESS_WIDTH + 1];
  int filled;

  if (!cli->show_progress || label == NULL)
    return;

  filled = (int) (fraction * PROGRESS_WIDTH + 0.5);
  for (int i = 0; i < PROGRESS_WIDTH; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[PROGRESS_WIDTH] = '\0';

  padded = avatar_pad_to_columns (label, LABEL_COLUMNS);
  g_printerr ("\r%s [%s] %3d %%", padded, bar, (int) (fraction * 100 + 0.5));
  cli->progress_drawn = TRUE;
}

static void
add_variant (JsonBuilder         *builder,
             const AvatarVariant *variant,
             const char          *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_string_or_null (builder, "url", variant->url);
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

static void
print_upload (AvatarFlow *flow)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GEnumClass) kinds = g_type_class_ref (AVATAR_TYPE_VARIANT_KIND);
  AvatarFlowTimings timings;

  json_builder_begin_object (builder);
  add_string_or_null (builder, "avatarUrl", avatar_flow_get_avatar_url (flow));
  add_string_or_null (builder, "assetKey", avatar_flow_get_asset_key (flow));

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

  print_json (builder);
}

static void
flow_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!avatar_flow_run_finish (AVATAR_FLOW (source), result, &error))
    {
      cli_fail (cli, error);
      return;
    }

  progress_end (cli);
  print_upload (cli->flow);
  cli_done (cli);
}

/* The flow puts the bytes through an AvatarUpload, whose progress moves
 * the bar. */
static void
watch_upload (Cli *cli)
{
  AvatarUpload *upload = avatar_flow_get_upload (cli->flow);

  if (upload != NULL)
    g_signal_connect_swapped (upload, "notify::fraction", G_CALLBACK (draw_progress), cli);
}

static void
start_upload (Cli *cli)
{
  cli->flow = avatar_flow_new (cli->client, cli->image,
                               cli->has_crop ? &cli->crop : NULL,
                               cli->keep_metadata ? AVATAR_PREPARE_KEEP_METADATA : AVATAR_PREPARE_NONE);
  avatar_flow_set_processing_timeout (cli->flow, (guint) cli->timeout_s * 1000);

  g_signal_connect_swapped (cli->flow, "notify::state", G_CALLBACK (draw_progress), cli);
  g_signal_connect_swapped (cli->flow, "notify::upload", G_CALLBACK (watch_upload), cli);

  avatar_flow_run_async (cli->flow, cli->cancellable, flow_done_cb, cli);
}

/* Loading ---------------------------------------------------------------- */

static gboolean
crop_fits (Cli *cli)
{
  int width = avatar_image_get_width (cli->image);
  int height = avatar_image_get_height (cli->image);

  if (!cli->has_crop)
    return TRUE;

  if ((gint64) cli->crop.x + cli->crop.size <= width &&
      (gint64) cli->crop.y + cli->crop.size <= height)
    return TRUE;

  g_printerr (_("The crop %d,%d,%d does not fit in the picture of %d × %d pixels.\n"),
              cli->crop.x, cli->crop.y, cli->crop.size, width, height);
  return FALSE;
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  cli->image = avatar_image_load_file_finish (result, &error);
  if (cli->image == NULL)
    {
      if (cli->check && !cli->interrupted && exit_code_for_error (error) == EXIT_INVALID_IMAGE)
        print_check (NULL, NULL, error);
      cli_fail (cli, error);
      return;
    }

  if (!crop_fits (cli))
    {
      cli->exit_code = EXIT_USAGE;
      g_main_loop_quit (cli->loop);
      return;
    }

  if (cli->check)
    {
      avatar_image_prepare_async (cli->image, cli->has_crop ? &cli->crop : NULL,
                                  cli->keep_metadata ? AVATAR_PREPARE_KEEP_METADATA : AVATAR_PREPARE_NONE,
                                  cli->cancellable, check_prepared_cb, cli);
      return;
    }

  start_upload (cli);
}

/* Tokens ----------------------------------------------------------------- */

static char *setting     (char       *option,
                          const char *variable);
static int   usage_error (const char *message);

/* A token file holds {"accessToken", "refreshToken"}, readable by its owner
 * alone. FALSE with @error set when it exists but cannot be used; TRUE,
 * with nothing read, when it does not exist yet. */
static gboolean
read_token_file (const char  *path,
                 char       **access_token,
                 char       **refresh_token,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *contents = NULL;
  JsonObject *object;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return TRUE;

  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   _("The token file %s can be read by others; make it private with “chmod 600”."), path);
      return FALSE;
    }

  if (!g_file_get_contents (path, &contents, NULL, error) ||
      !json_parser_load_from_data (parser, contents, -1, error))
    return FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("The token file %s does not hold “accessToken” and “refreshToken”."), path);
      return FALSE;
    }

  object = json_node_get_object (json_parser_get_root (parser));
  *access_token = g_strdup (json_object_get_string_member_with_default (object, "accessToken", NULL));
  *refresh_token = g_strdup (json_object_get_string_member_with_default (object, "refreshToken", NULL));

  return TRUE;
}

static gboolean
write_token_file (const char  *path,
                  const char  *access_token,
                  const char  *refresh_token,
                  GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  add_string_or_null (builder, "accessToken", access_token);
  add_string_or_null (builder, "refreshToken", refresh_token);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* The service rotated the tokens, and the old refresh token is dead: the
 * new pair goes where the next run looks, the token file or the keyring. */
static void
tokens_changed_cb (AvatarClient *client,
                   Cli          *cli)
{
  g_autofree char *access_token = avatar_client_dup_access_token (client);
  g_autofree char *refresh_token = avatar_client_dup_refresh_token (client);
  g_autoptr(GError) error = NULL;

  if (cli->token_file != NULL)
    write_token_file (cli->token_file, access_token, refresh_token, &error);
  else if (avatar_keyring_store (cli->server, AVATAR_KEYRING_KIND_ACCESS, access_token, NULL, &error))
    avatar_keyring_store (cli->server, AVATAR_KEYRING_KIND_REFRESH, refresh_token, NULL, &error);

  if (error != NULL)
    {
      progress_end (cli);
      g_printerr (_("The service gave new tokens, which could not be kept (%s); "
                    "the next run needs --token-file or a keyring.\n"), error->message);
    }
}

/* Options first, then the token file, then the environment; the keyring
 * when none of them has a token. */
static int
find_tokens (Cli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file_access = NULL;
  g_autofree char *file_refresh = NULL;

  if (cli->token_file != NULL &&
      !read_token_file (cli->token_file, &file_access, &file_refresh, &error))
    return usage_error (error->message);

  if (cli->token == NULL && cli->refresh_token == NULL && (file_access || file_refresh))
    {
      cli->token = g_steal_pointer (&file_access);
      cli->refresh_token = g_steal_pointer (&file_refresh);
    }

  cli->token = setting (cli->token, "AVATAR_TOKEN");
  cli->refresh_token = setting (cli->refresh_token, "AVATAR_REFRESH_TOKEN");

  if (cli->token == NULL && cli->refresh_token == NULL && cli->token_file == NULL)
    {
      /* No Secret Service is no error: there is just nothing stored. */
      cli->token = avatar_keyring_lookup (cli->server, AVATAR_KEYRING_KIND_ACCESS, NULL, NULL);
      cli->refresh_token = avatar_keyring_lookup (cli->server, AVATAR_KEYRING_KIND_REFRESH, NULL, NULL);
    }

  if (cli->token == NULL && cli->refresh_token == NULL)
    return usage_error (_("No access token: pass --token-file, set AVATAR_TOKEN, or sign in with the app."));

  /* A token file named for the first time starts with the tokens given. */
  if (cli->token_file != NULL && !g_file_test (cli->token_file, G_FILE_TEST_EXISTS) &&
      !write_token_file (cli->token_file, cli->token, cli->refresh_token, &error))
    return usage_error (error->message);

  return EXIT_DONE;
}

/* Start-up --------------------------------------------------------------- */

/* SIGINT from the terminal, SIGTERM from a script or service manager: both
 * cancel what runs, so that nothing is left half-done on the service. */
static gboolean
interrupt_cb (gpointer user_data)
{
  Cli *cli = user_data;

  /* A second interrupt does not wait for the first to be heard. */
  if (cli->interrupted)
    exit (EXIT_INTERRUPTED);

  cli->interrupted = TRUE;

  /* The flow decides whether the PUT is past stopping. */
  if (cli->flow != NULL)
    avatar_flow_cancel (cli->flow);
  else
    g_cancellable_cancel (cli->cancellable);

  return G_SOURCE_CONTINUE;
}

static gboolean
parse_crop (const char *text,
            AvatarCrop *crop)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  gint64 values[3];

  if (g_strv_length (parts) != 3)
    return FALSE;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *part = g_strstrip (g_strdup (parts[i]));

      if (!g_ascii_string_to_signed (part, 10, 0, G_MAXINT, &values[i], NULL))
        return FALSE;
    }

  if (values[2] <= 0)
    return FALSE;

  crop->x = (int) values[0];
  crop->y = (int) values[1];
  crop->size = (int) values[2];

  return TRUE;
}

static char *
setting (char       *option,
         const char *variable)
{
  const char *value;

  if (option != NULL)
    return option;

  value = g_getenv (variable);
  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

static int
usage_error (const char *message)
{
  print_sentence (message);
  return EXIT_USAGE;
}

/* Reads the options and the environment; EXIT_DONE when all is well. */
static int
parse_arguments (Cli    *cli,
                 int     argc,
                 char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = g_strdupv (argv);
  int modes;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &cli->server,
      N_("The service’s address (or AVATAR_SERVER)"), N_("URL") },
    { "app-id", 0, 0, G_OPTION_ARG_STRING, &cli->app_id,
      N_("The application ID the service knows (or AVATAR_APP_ID)"), N_("ID") },
    { "token", 0, 0, G_OPTION_ARG_STRING, &cli->token,
      N_("The access token (or AVATAR_TOKEN)"), N_("TOKEN") },
    { "refresh-token", 0, 0, G_OPTION_ARG_STRING, &cli->refresh_token,
      N_("The refresh token, used once the access token expires (or AVATAR_REFRESH_TOKEN)"), N_("TOKEN") },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &cli->token_file,
      N_("A private file holding the tokens, rewritten when the service renews them (or AVATAR_TOKEN_FILE)"), N_("FILE") },
    { "crop", 0, 0, G_OPTION_ARG_STRING, &cli->crop_text,
      N_("The square to keep, in upright source pixels (default: the largest centred square)"), N_("X,Y,SIZE") },
    { "keep-metadata", 0, 0, G_OPTION_ARG_NONE, &cli->keep_metadata,
      N_("Let a picture that is sent as it is keep its location and camera data"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &cli->timeout_s,
      N_("Seconds to wait for the service to process the picture (default 30)"), N_("S") },
    { "check", 0, 0, G_OPTION_ARG_NONE, &cli->check,
      N_("Only check and prepare the picture; send nothing"), NULL },
    { "profile", 0, 0, G_OPTION_ARG_NONE, &cli->profile,
      N_("Print the profile"), NULL },
    { "remove", 0, 0, G_OPTION_ARG_NONE, &cli->remove,
      N_("Remove the avatar"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &cli->version,
      N_("Print the version"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli->files, NULL, N_("FILE") },
    { NULL }
  };

  cli->timeout_s = 30;

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Uploads FILE as your avatar and prints the result as JSON.\n"
      "\n"
      "Exit status: 0 done, 1 usage, 2 invalid image, 3 network or service error,\n"
      "4 authentication, 5 processing timeout, 6 processing failed, 130 interrupted."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error (error->message);

  if (cli->version)
    {
      g_print ("avatar-upload %s\n", PACKAGE_VERSION);
      return -1;
    }

  modes = !!cli->check + !!cli->profile + !!cli->remove;
  if (modes > 1)
    return usage_error (_("Use only one of --check, --profile and --remove."));

  if (cli->profile || cli->remove)
    {
      if (cli->files != NULL && cli->files[0] != NULL)
        return usage_error (_("--profile and --remove take no file."));
    }
  else if (cli->files == NULL || g_strv_length (cli->files) != 1)
    {
      return usage_error (_("Name one picture to upload; see --help."));
    }

  if (cli->crop_text != NULL)
    {
      if (!parse_crop (cli->crop_text, &cli->crop))
        return usage_error (_("--crop takes X,Y,SIZE: three whole numbers, the size above zero."));
      cli->has_crop = TRUE;
    }

  if (cli->timeout_s <= 0 || cli->timeout_s > MAX_TIMEOUT_S)
    {
      /* TRANSLATORS: %d is the largest number of seconds allowed */
      g_autofree char *message = g_strdup_printf (_("--timeout takes a number of seconds from 1 to %d."),
                                                  MAX_TIMEOUT_S);

      return usage_error (message);
    }

  cli->server = setting (cli->server, "AVATAR_SERVER");
  cli->app_id = setting (cli->app_id, "AVATAR_APP_ID");
  cli->token_file = setting (cli->token_file, "AVATAR_TOKEN_FILE");

  if (cli->check)
    return EXIT_DONE;

  if (cli->server == NULL)
    return usage_error (_("No service address: pass --server or set AVATAR_SERVER."));
  if (cli->app_id == NULL)
    return usage_error (_("No application ID: pass --app-id or set AVATAR_APP_ID."));

  return find_tokens (cli);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Cli) cli = { 0, };
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* stdout carries nothing but the JSON, even with G_MESSAGES_DEBUG set. */
  g_log_writer_default_set_use_stderr (TRUE);

  status = parse_arguments (&cli, argc, argv);
  if (status < 0)
    return EXIT_DONE;
  if (status != EXIT_DONE)
    return status;

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.show_progress = isatty (STDERR_FILENO) && !cli.check && !cli.profile && !cli.remove;
  g_unix_signal_add (SIGINT, interrupt_cb, &cli);
  g_unix_signal_add (SIGTERM, interrupt_cb, &cli);

  if (!cli.check)
    {
      cli.client = avatar_client_new (cli.server, cli.app_id, &error);
      if (cli.client == NULL)
        return usage_error (error->message);
      avatar_client_set_tokens (cli.client, cli.token, cli.refresh_token);
      g_signal_connect (cli.client, "tokens-changed", G_CALLBACK (tokens_changed_cb), &cli);
    }

  if (cli.profile)
    avatar_client_get_profile_async (cli.client, cli.cancellable, profile_cb, &cli);
  else if (cli.remove)
    avatar_client_remove_avatar_async (cli.client, cli.cancellable, profile_cb, &cli);
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (cli.files[0]);

      avatar_image_load_file_async (file, cli.cancellable, loaded_cb, &cli);
    }

  g_main_loop_run (cli.loop);

  return cli.exit_code;
}
