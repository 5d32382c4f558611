/* test-ui.c
 *
 * The application window, driven as a person would, against avatar-devserver.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "avatar-application.h"
#include "avatar-crop-area.h"
#include "avatar-test-broadway.h"
#include "avatar-test-images.h"
#include "avatar-test-server.h"
#include "avatar-test-ui.h"
#include "avatar-window.h"

typedef AvatarTestUi Fixture;

static gboolean
is_on_page (Fixture    *fixture,
            const char *page)
{
  return avatar_test_ui_is_on_page (fixture, page);
}

#define WAIT_FOR(fixture, condition) AVATAR_TEST_UI_WAIT_FOR (fixture, condition)

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  avatar_test_ui_setup (fixture, data);

  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));
  g_assert_cmpstr (avatar_test_ui_get_profile (fixture->window)->username, ==, fixture->username);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  avatar_test_ui_teardown (fixture);
}

static void
open_image_ready_to_upload (Fixture    *fixture,
                            const char *format,
                            int         width,
                            int         height)
{
  g_autoptr (GBytes) bytes = avatar_test_image_new (format, width, height);

  avatar_window_open_file (fixture->window, avatar_test_ui_write_file (fixture, bytes, g_str_equal (format, "jpeg") ? ".jpg" : ".png"));
  WAIT_FOR (fixture, is_on_page (fixture, "crop") && avatar_test_ui_can_upload (fixture->window));
}

static void
assert_result_shown (Fixture *fixture,
                     int      expected_side)
{
  static const int list_sizes[] = { 44, 48, 60 };
  g_autofree char *server_url = NULL;
  GdkTexture *original;
  AvatarFlow *flow;

  WAIT_FOR (fixture, is_on_page (fixture, "result") && avatar_test_ui_all_variants_shown (fixture->window));
  flow = avatar_test_ui_get_flow (fixture->window);

  /* What was sent is the prepared picture the crop page showed. */
  g_assert_true (avatar_flow_get_prepared (flow)->bytes ==
                 avatar_test_ui_get_prepared (fixture->window)->bytes);

  for (guint i = 0; i < G_N_ELEMENTS (list_sizes); i++)
    {
      GdkTexture *texture = avatar_test_ui_get_variant_texture (fixture->window, i);

      g_assert_cmpint (gdk_texture_get_width (texture), ==, list_sizes[i]);
      g_assert_cmpint (gdk_texture_get_height (texture), ==, list_sizes[i]);
    }

  original = avatar_test_ui_get_variant_texture (fixture->window, AVATAR_VARIANT_ORIGINAL);
  g_assert_cmpint (gdk_texture_get_width (original), ==, expected_side);
  g_assert_cmpint (gdk_texture_get_height (original), ==, expected_side);

  /* The profile shows the new avatar, here and on the server. */
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_nonnull (server_url);
  g_assert_cmpstr (server_url, ==, avatar_flow_get_avatar_url (flow));
  g_assert_cmpstr (avatar_test_ui_get_profile (fixture->window)->avatar_url, ==, server_url);
  g_assert_nonnull (adw_avatar_get_custom_image (avatar_test_ui_get_child (fixture->window, "profile_avatar")));
}

static void
test_happy_path (Fixture       *fixture,
                 gconstpointer  data)
{
  AvatarCropArea *crop_area;
  AvatarCrop crop;

  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-welcome");

  open_image_ready_to_upload (fixture, "jpeg", 800, 600);
  crop_area = avatar_test_ui_get_child (fixture->window, "crop_area");
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (crop_area)));

  /* Smaller, then to the left, with the keyboard. */
  g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (crop_area), GDK_KEY_minus, 0));
  g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (crop_area), GDK_KEY_Left, GDK_SHIFT_MASK));
  avatar_crop_area_get_crop (crop_area, &crop);
  g_assert_cmpint (crop.size, ==, 540);
  g_assert_cmpint (crop.x, ==, 70);
  g_assert_cmpint (crop.y, ==, 30);

  /* The preview follows the crop before the upload. */
  WAIT_FOR (fixture, avatar_test_ui_get_prepared (fixture->window) != NULL &&
                     avatar_test_ui_get_prepared (fixture->window)->width == 540 &&
                     avatar_test_ui_can_upload (fixture->window));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-crop");

  /* The whole picture was decoded once: a new crop is only cut out and encoded. */
  g_assert_cmpuint (avatar_image_get_n_full_decodes (avatar_test_ui_get_image (fixture->window)), ==, 1);

  /* Upload at once after one more change: the new crop is what is sent. */
  g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (crop_area), GDK_KEY_minus, 0));
  avatar_crop_area_get_crop (crop_area, &crop);
  g_assert_cmpint (crop.size, <, 540);
  avatar_test_ui_activate (fixture->window, "win.upload");
  assert_result_shown (fixture, crop.size);
  g_assert_cmpuint (avatar_image_get_n_full_decodes (avatar_test_ui_get_image (fixture->window)), ==, 1);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-result");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-result-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

static void
test_broken_file (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GBytes) good = avatar_test_image_new ("png", 300, 300);
  g_autoptr (GBytes) broken = avatar_test_truncate (good, g_bytes_get_size (good) / 3);

  avatar_window_open_file (fixture->window, avatar_test_ui_write_file (fixture, broken, ".png"));
  WAIT_FOR (fixture, is_on_page (fixture, "error"));

  g_assert_nonnull (avatar_test_ui_get_message (fixture->window));
  g_assert_cmpstr (avatar_test_ui_get_message (fixture->window), !=, "");
  g_assert_false (avatar_test_ui_can_upload (fixture->window));
  g_assert_false (gtk_widget_is_sensitive (avatar_test_ui_get_child (fixture->window, "upload_button")));
  g_assert_null (avatar_test_ui_get_image (fixture->window));
  g_assert_null (avatar_test_ui_get_flow (fixture->window));

  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-broken-file");
}

static void
test_unsupported_type (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *server_url = NULL;

  open_image_ready_to_upload (fixture, "jpeg", 400, 400);
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"request-url\", \"status\": 415, \"count\": 1}");

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, avatar_test_ui_get_flow (fixture->window) != NULL &&
                     avatar_flow_get_state (avatar_test_ui_get_flow (fixture->window)) == AVATAR_FLOW_STATE_FAILED);

  /* Back to the crop, with the picture, and a message in words. */
  g_assert_true (is_on_page (fixture, "crop"));
  g_assert_nonnull (avatar_test_ui_get_image (fixture->window));
  g_assert_nonnull (avatar_test_ui_get_message (fixture->window));
  g_assert_null (strstr (avatar_test_ui_get_message (fixture->window), "415"));
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_null (server_url);

  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-unsupported");
}

/* The narrowest window the layout is made for, 360 pixels wide. */
static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  avatar_test_ui_present_sized (fixture, 360, 640);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-narrow-welcome");

  open_image_ready_to_upload (fixture, "jpeg", 500, 700);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-narrow-crop");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 380);

  avatar_test_ui_activate (fixture->window, "win.upload");
  assert_result_shown (fixture, 500);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-narrow-result");
}

/* A wide window puts the previews beside the crop. */
static void
test_wide (Fixture       *fixture,
           gconstpointer  data)
{
  avatar_test_ui_present_sized (fixture, 1100, 640);

  open_image_ready_to_upload (fixture, "jpeg", 1200, 800);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-wide-crop");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (avatar_test_ui_get_child (fixture->window, "crop_area"))), <, 900);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (avatar_test_ui_get_child (fixture->window, "crop_area"))), >, 500);
}

static void
test_server_error_then_retry (Fixture       *fixture,
                              gconstpointer  data)
{
  open_image_ready_to_upload (fixture, "png", 320, 320);
  /* More failures than the client's own retries. */
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"request-url\", \"status\": 503, \"count\": 20}");

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, avatar_test_ui_get_flow (fixture->window) != NULL &&
                     avatar_flow_get_state (avatar_test_ui_get_flow (fixture->window)) == AVATAR_FLOW_STATE_FAILED);
  g_assert_true (is_on_page (fixture, "crop"));
  g_assert_nonnull (avatar_test_ui_get_message (fixture->window));
  g_assert_null (strstr (avatar_test_ui_get_message (fixture->window), "503"));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-server-error");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-server-error-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Retry sends the same picture again, and this time it goes through. */
  avatar_test_server_clear_faults (fixture->server);
  avatar_test_ui_activate (fixture->window, "win.retry");
  assert_result_shown (fixture, 320);
}

static gboolean
is_uploading (Fixture *fixture)
{
  AvatarFlow *flow = avatar_test_ui_get_flow (fixture->window);

  return flow != NULL &&
         avatar_flow_get_state (flow) == AVATAR_FLOW_STATE_UPLOADING &&
         avatar_upload_get_bytes_sent (avatar_flow_get_upload (flow)) > 0;
}

/* The button of win.cancel on the progress page. */
static const char *
cancel_label (Fixture *fixture)
{
  GtkButton *button = avatar_test_ui_get_child (fixture->window, "cancel_button");

  g_assert_nonnull (button);
  return gtk_button_get_label (button);
}

static gboolean
flow_sent_in (Fixture         *fixture,
              AvatarFlowState  state)
{
  AvatarFlow *flow = avatar_test_ui_get_flow (fixture->window);

  return flow != NULL && avatar_flow_get_sent (flow) && avatar_flow_get_state (flow) == state;
}

#define SENT_MESSAGE "The picture was sent. It becomes your avatar as soon as the service has processed it."

/* Once the PUT is answered, the button stops the wait only, and the window
 * says what becomes of the picture. */
static void
test_stop_waiting (Fixture       *fixture,
                   gconstpointer  data)
{
  AvatarFlow *flow;

  open_image_ready_to_upload (fixture, "png", 200, 200);
  avatar_test_server_set_fault (fixture->server, "{\"processingDelayMs\": 60000}");

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, flow_sent_in (fixture, AVATAR_FLOW_STATE_PROCESSING));
  g_assert_cmpstr (cancel_label (fixture), ==, "_Stop Waiting");
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-stop-waiting");

  avatar_test_ui_activate (fixture->window, "win.cancel");
  flow = avatar_test_ui_get_flow (fixture->window);
  WAIT_FOR (fixture, avatar_flow_get_state (flow) == AVATAR_FLOW_STATE_CANCELLED);
  g_assert_true (is_on_page (fixture, "welcome"));
  g_assert_cmpstr (avatar_test_ui_get_message (fixture->window), ==, SENT_MESSAGE);
}

static gboolean
profile_shows (Fixture    *fixture,
               const char *avatar_url)
{
  const AvatarProfile *profile = avatar_test_ui_get_profile (fixture->window);

  return profile != NULL && g_strcmp0 (profile->avatar_url, avatar_url) == 0;
}

/* A flow that ends, however it ends, reloads the profile: an avatar the
 * service made live meanwhile shows at home. */
static void
test_stop_waiting_live (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *server_url = NULL;
  AvatarFlow *flow;

  open_image_ready_to_upload (fixture, "png", 200, 200);
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"cdn\", \"delayMs\": 60000}");

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, flow_sent_in (fixture, AVATAR_FLOW_STATE_FETCHING));
  avatar_test_ui_activate (fixture->window, "win.cancel");
  flow = avatar_test_ui_get_flow (fixture->window);
  WAIT_FOR (fixture, avatar_flow_get_state (flow) == AVATAR_FLOW_STATE_CANCELLED);

  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_nonnull (server_url);
  WAIT_FOR (fixture, profile_shows (fixture, server_url));
  g_assert_true (is_on_page (fixture, "welcome"));
}

static gboolean
is_active (GtkWindow *window)
{
  return gtk_window_is_active (window);
}

/* After the wait was stopped, the avatar goes live unseen; coming back to
 * the window shows it. */
static void
test_stop_waiting_then_activate (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *state = NULL;
  g_autofree char *server_url = NULL;
  GtkWindow *other;
  AvatarFlow *flow;

  open_image_ready_to_upload (fixture, "png", 200, 200);
  avatar_test_server_set_fault (fixture->server, "{\"processingDelayMs\": 2000}");
  WAIT_FOR (fixture, is_active (GTK_WINDOW (fixture->window)));

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, flow_sent_in (fixture, AVATAR_FLOW_STATE_PROCESSING));
  avatar_test_ui_activate (fixture->window, "win.cancel");
  flow = avatar_test_ui_get_flow (fixture->window);
  WAIT_FOR (fixture, avatar_flow_get_state (flow) == AVATAR_FLOW_STATE_CANCELLED);
  g_assert_null (avatar_test_ui_get_profile (fixture->window)->avatar_url);

  /* Elsewhere while the service finishes. */
  other = GTK_WINDOW (gtk_window_new ());
  gtk_window_present (other);
  WAIT_FOR (fixture, !is_active (GTK_WINDOW (fixture->window)));
  state = avatar_test_server_wait_processed (fixture->server, avatar_flow_get_asset_key (flow));
  g_assert_cmpstr (state, ==, "ready");
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_null (avatar_test_ui_get_profile (fixture->window)->avatar_url);

  gtk_window_destroy (other);
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (fixture, is_active (GTK_WINDOW (fixture->window)));
  WAIT_FOR (fixture, profile_shows (fixture, server_url));
}

static void
test_cancel_upload (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (GBytes) noise = avatar_test_noise_png_new (700, FALSE, 0);
  g_autofree char *server_url = NULL;
  AvatarFlow *flow;

  avatar_test_server_set_fault (fixture->server, "{\"route\": \"upload\", \"bytesPerSecond\": 20000}");
  avatar_window_open_file (fixture->window, avatar_test_ui_write_file (fixture, noise, ".png"));
  WAIT_FOR (fixture, is_on_page (fixture, "crop") && avatar_test_ui_can_upload (fixture->window));

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, is_uploading (fixture));
  g_assert_true (is_on_page (fixture, "progress"));
  g_assert_cmpstr (cancel_label (fixture), ==, "_Cancel");
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-progress");

  avatar_test_ui_activate (fixture->window, "win.cancel");
  flow = avatar_test_ui_get_flow (fixture->window);
  WAIT_FOR (fixture, avatar_flow_get_state (flow) == AVATAR_FLOW_STATE_CANCELLED && is_on_page (fixture, "crop"));

  /* The picture stays, and nothing reached the profile. */
  g_assert_nonnull (avatar_test_ui_get_image (fixture->window));
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_null (server_url);
  g_assert_null (avatar_test_ui_get_profile (fixture->window)->avatar_url);
}

static void
test_expired_token (Fixture       *fixture,
                    gconstpointer  data)
{
  AvatarClient *client = avatar_application_get_client (fixture->app);
  g_autofree char *token_before = avatar_client_dup_access_token (client);
  g_autofree char *token_after = NULL;

  open_image_ready_to_upload (fixture, "jpeg", 256, 256);
  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");

  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, is_on_page (fixture, "result") && avatar_test_ui_all_variants_shown (fixture->window));

  /* Refreshed without a word to the user. */
  g_assert_null (avatar_test_ui_get_message (fixture->window));
  g_assert_null (avatar_test_ui_get_account_dialog (fixture->window));
  token_after = avatar_client_dup_access_token (client);
  g_assert_cmpstr (token_after, !=, token_before);

  g_free (fixture->access_token);
  fixture->access_token = g_steal_pointer (&token_after);
  assert_result_shown (fixture, 256);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-expired-token");
}

static void
test_auth_failure (Fixture       *fixture,
                   gconstpointer  data)
{
  AvatarImage *image;
  AvatarCrop before, after;

  open_image_ready_to_upload (fixture, "jpeg", 256, 200);
  image = avatar_test_ui_get_image (fixture->window);
  /* A crop of the person's own, not the default one. */
  g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (avatar_test_ui_get_child (fixture->window, "crop_area")),
                                           GDK_KEY_minus, 0));
  avatar_crop_area_get_crop (avatar_test_ui_get_child (fixture->window, "crop_area"), &before);
  g_assert_cmpint (before.size, <, 200);
  WAIT_FOR (fixture, avatar_test_ui_get_prepared (fixture->window) != NULL &&
                     avatar_test_ui_get_prepared (fixture->window)->width == before.size &&
                     avatar_test_ui_can_upload (fixture->window));

  /* The token has expired and the service refuses to refresh it. */
  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"refresh\", \"status\": 401}");
  avatar_test_ui_activate (fixture->window, "win.upload");

  /* Asked to sign in again, with the picture and crop kept for then; the
   * account dialog opens when asked for, not by itself. */
  WAIT_FOR (fixture, avatar_test_ui_get_flow (fixture->window) != NULL &&
                     avatar_flow_get_state (avatar_test_ui_get_flow (fixture->window)) == AVATAR_FLOW_STATE_FAILED);
  WAIT_FOR (fixture, is_on_page (fixture, "crop"));
  g_assert_nonnull (avatar_test_ui_get_message (fixture->window));
  g_assert_null (avatar_test_ui_get_account_dialog (fixture->window));
  avatar_test_ui_activate (fixture->window, "win.account");
  g_assert_nonnull (avatar_test_ui_get_account_dialog (fixture->window));
  g_assert_true (avatar_test_ui_get_image (fixture->window) == image);
  avatar_crop_area_get_crop (avatar_test_ui_get_child (fixture->window, "crop_area"), &after);
  g_assert_cmpint (after.x, ==, before.x);
  g_assert_cmpint (after.y, ==, before.y);
  g_assert_cmpint (after.size, ==, before.size);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-auth-failure");
}

static gboolean
is_prepared_with (Fixture  *fixture,
                  gboolean  passthrough)
{
  const AvatarPrepared *prepared = avatar_test_ui_get_prepared (fixture->window);

  return prepared != NULL && prepared->passthrough == passthrough;
}

static void
test_keep_metadata (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (GdkPixbuf) pattern = avatar_test_pattern_new (300, 300, FALSE);
  g_autoptr (GBytes) jpeg = avatar_test_jpeg_with_exif_new (pattern, 1, TRUE);
  GActionGroup *actions = G_ACTION_GROUP (fixture->window);
  g_autoptr (GVariant) state = NULL;

  /* By default, camera and location data does not leave the machine. */
  avatar_window_open_file (fixture->window, avatar_test_ui_write_file (fixture, jpeg, ".jpg"));
  WAIT_FOR (fixture, is_on_page (fixture, "crop") && is_prepared_with (fixture, FALSE));
  g_assert_true (avatar_test_ui_get_prepared (fixture->window)->changes & AVATAR_CHANGE_METADATA_REMOVED);

  /* The menu's toggle lets the file go as it is, and back. */
  state = g_action_group_get_action_state (actions, "keep-metadata");
  g_assert_false (g_variant_get_boolean (state));
  g_action_group_activate_action (actions, "keep-metadata", NULL);
  WAIT_FOR (fixture, is_prepared_with (fixture, TRUE));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-keep-metadata");
  g_action_group_activate_action (actions, "keep-metadata", NULL);
  WAIT_FOR (fixture, is_prepared_with (fixture, FALSE));
}

static gboolean
picture_is_open (Fixture *fixture,
                 int      width,
                 int      height)
{
  AvatarImage *image = avatar_test_ui_get_image (fixture->window);

  return is_on_page (fixture, "crop") && image != NULL &&
         avatar_image_get_width (image) == width && avatar_image_get_height (image) == height;
}

static void
test_paste (Fixture       *fixture,
            gconstpointer  data)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));
  g_autoptr (GBytes) png = avatar_test_image_new ("png", 300, 200);
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", 150, 250);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  GSList *files;

  /* A picture on the clipboard. */
  texture = gdk_texture_new_from_bytes (png, &error);
  g_assert_no_error (error);
  gdk_clipboard_set_texture (clipboard, texture);
  avatar_test_ui_activate (fixture->window, "win.paste");
  WAIT_FOR (fixture, picture_is_open (fixture, 300, 200));

  /* A file on the clipboard. */
  files = g_slist_append (NULL, avatar_test_ui_write_file (fixture, jpeg, ".jpg"));
  gdk_clipboard_set (clipboard, GDK_TYPE_FILE_LIST, gdk_file_list_new_from_list (files));
  g_slist_free (files);
  avatar_test_ui_activate (fixture->window, "win.paste");
  WAIT_FOR (fixture, picture_is_open (fixture, 150, 250));

  /* Text is not a picture. */
  gdk_clipboard_set_text (clipboard, "not a picture");
  avatar_test_ui_activate (fixture->window, "win.paste");
  WAIT_FOR (fixture, avatar_test_ui_get_message (fixture->window) != NULL);
  g_assert_true (picture_is_open (fixture, 150, 250));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-paste");
}

static gboolean
drop_value (Fixture      *fixture,
            const GValue *value)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (fixture->window));
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        g_signal_emit_by_name (controller, "drop", value, 10.0, 10.0, &handled);
    }

  return handled;
}

static void
test_drop (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", 210, 140);
  g_autoptr (GBytes) png = avatar_test_image_new ("png", 90, 120);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GValue) files_value = G_VALUE_INIT;
  g_auto (GValue) texture_value = G_VALUE_INIT;
  GSList *files;

  /* A file from a file manager. */
  files = g_slist_append (NULL, avatar_test_ui_write_file (fixture, jpeg, ".jpg"));
  g_value_init (&files_value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&files_value, gdk_file_list_new_from_list (files));
  g_slist_free (files);
  g_assert_true (drop_value (fixture, &files_value));
  WAIT_FOR (fixture, picture_is_open (fixture, 210, 140));

  /* A picture from another app. */
  texture = gdk_texture_new_from_bytes (png, &error);
  g_assert_no_error (error);
  g_value_init (&texture_value, GDK_TYPE_TEXTURE);
  g_value_set_object (&texture_value, texture);
  g_assert_true (drop_value (fixture, &texture_value));
  WAIT_FOR (fixture, picture_is_open (fixture, 90, 120));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-drop");
}

/* A button of a dialog by its label: the confirmation is an AdwAlertDialog
 * from libadwaita 1.5, an AdwMessageDialog before, and both show buttons. */
static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_is_drawable (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_shown (GtkWidget *widget)
{
  return widget != NULL && gtk_widget_get_mapped (widget);
}

/* Opens the confirmation of the removal, and returns it once on screen. */
static GtkWidget *
confirm_remove (Fixture *fixture)
{
  GtkWidget *dialog;

  avatar_test_ui_activate (fixture->window, "win.remove");
  dialog = avatar_test_ui_get_remove_dialog (fixture->window);
  g_assert_nonnull (dialog);
  WAIT_FOR (fixture, is_shown (dialog));

  return dialog;
}

/* Presses a button of the confirmation, and waits until it has gone. */
static void
answer_remove (Fixture    *fixture,
               GtkWidget  *dialog,
               const char *label)
{
  GtkWidget *button;

  /* The dialog may be mapped a frame before its buttons are. */
  WAIT_FOR (fixture, (button = avatar_test_ui_find_widget (dialog, is_button_labelled, label)) != NULL);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_assert_true (gtk_widget_activate (button));
  WAIT_FOR (fixture, !is_shown (dialog));
  g_clear_weak_pointer (&dialog);
  g_assert_null (avatar_test_ui_get_remove_dialog (fixture->window));
}

static void
upload_and_go_back (Fixture *fixture)
{
  open_image_ready_to_upload (fixture, "png", 200, 200);
  avatar_test_ui_activate (fixture->window, "win.upload");
  assert_result_shown (fixture, 200);

  avatar_test_ui_activate (fixture->window, "win.back");
  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));
}

static void
test_remove (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *server_url = NULL;
  GtkWidget *dialog;

  upload_and_go_back (fixture);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-welcome-avatar");

  /* Cancel keeps the avatar. */
  dialog = confirm_remove (fixture);
  avatar_test_ui_save_screenshot (dialog, "ui-remove-dialog");
  answer_remove (fixture, dialog, "_Cancel");
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_nonnull (server_url);
  g_clear_pointer (&server_url, g_free);
  g_assert_nonnull (avatar_test_ui_get_profile (fixture->window)->avatar_url);

  answer_remove (fixture, confirm_remove (fixture), "_Remove");

  WAIT_FOR (fixture, avatar_test_ui_get_profile (fixture->window)->avatar_url == NULL);
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_null (server_url);
  g_assert_null (adw_avatar_get_custom_image (avatar_test_ui_get_child (fixture->window, "profile_avatar")));

  /* With no avatar there is nothing to remove. */
  g_assert_true (is_on_page (fixture, "welcome"));
  g_assert_null (avatar_test_ui_get_remove_dialog (fixture->window));

  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-removed");
}

typedef struct
{
  AvatarWindow *window;
  GtkWidget    *dialog;
} Closing;

static gboolean
window_and_dialog_gone (gpointer data)
{
  Closing *closing = data;

  return closing->window == NULL && !is_shown (closing->dialog);
}

/* Closing the window while it asks takes the question along, unanswered. */
static void
test_close_while_confirming (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autofree char *server_url = NULL;
  Closing closing = { 0 };

  upload_and_go_back (fixture);
  closing.dialog = confirm_remove (fixture);
  g_object_add_weak_pointer (G_OBJECT (closing.dialog), (gpointer *) &closing.dialog);

  /* The window goes once its last reference does; the teardown knows. */
  closing.window = g_steal_pointer (&fixture->window);
  g_object_add_weak_pointer (G_OBJECT (closing.window), (gpointer *) &closing.window);
  gtk_window_destroy (GTK_WINDOW (closing.window));
  g_assert_true (avatar_test_ui_wait_until (window_and_dialog_gone, &closing, AVATAR_TEST_UI_WAIT_MS));
  g_clear_weak_pointer (&closing.dialog);

  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_nonnull (server_url);
}

static gboolean
is_entry_row_titled (GtkWidget     *widget,
                     gconstpointer  title)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static void
fill_in (GtkWidget  *dialog,
         const char *title,
         const char *text)
{
  GtkWidget *row = avatar_test_ui_find_widget (dialog, is_entry_row_titled, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static void
test_account (Fixture       *fixture,
              gconstpointer  data)
{
  GtkWidget *dialog;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  /* Signing out forgets the tokens and asks to sign in. */
  avatar_test_ui_activate (fixture->window, "win.account");
  dialog = avatar_test_ui_get_account_dialog (fixture->window);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_activate_action (dialog, "account.sign-out", NULL));
  WAIT_FOR (fixture, is_on_page (fixture, "signed-out"));
  g_assert_null (avatar_application_get_client (fixture->app));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-signed-out");

  /* An unencrypted address off this machine is refused, in words. */
  avatar_test_ui_activate (fixture->window, "win.account");
  WAIT_FOR (fixture, avatar_test_ui_get_account_dialog (fixture->window) != NULL);
  dialog = avatar_test_ui_get_account_dialog (fixture->window);
  fill_in (dialog, "Server Address", "http://avatars.example.com");
  g_assert_true (gtk_widget_activate_action (dialog, "account.save", NULL));
  g_assert_true (avatar_test_ui_get_account_dialog (fixture->window) == dialog);
  g_assert_null (avatar_application_get_client (fixture->app));

  /* Signing in again, as another user, shows that user's profile. */
  avatar_test_server_login (fixture->server, "second_user", &access_token, &refresh_token, NULL);
  fill_in (dialog, "Server Address", fixture->server->base_url);
  fill_in (dialog, "Application ID", fixture->server->app_id);
  fill_in (dialog, "Access Token", access_token);
  fill_in (dialog, "Refresh Token", refresh_token);
  avatar_test_ui_save_screenshot (dialog, "ui-account-dialog");
  g_assert_true (gtk_widget_activate_action (dialog, "account.save", NULL));

  WAIT_FOR (fixture, is_on_page (fixture, "welcome") && avatar_test_ui_get_profile (fixture->window) != NULL);
  g_assert_cmpstr (avatar_test_ui_get_profile (fixture->window)->username, ==, "second_user");
}

/* Run with a gdk-pixbuf that has no WebP loader (see tests/meson.build):
 * the sizes the service made, all WebP, are still shown, since the app
 * decodes them with libavatar. */
static void
test_webp_without_pixbuf_loader (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr (GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_autofree char *name = gdk_pixbuf_format_get_name (l->data);

      g_assert_cmpstr (name, !=, "webp");
    }

  open_image_ready_to_upload (fixture, "jpeg", 300, 200);
  avatar_test_ui_activate (fixture->window, "win.upload");
  assert_result_shown (fixture, 200);
}

int
main (int   argc,
      char *argv[])
{
  /* Each test builds a fresh application in this one process, and an
   * application that never ran is never shut down: on a session bus its
   * object path would stay taken. Keyring storage is test-ui-secrets' part. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  avatar_test_ui_init (&argc, &argv);
  adw_init ();

  g_test_add ("/ui/happy-path", Fixture, "happy-path", setup, test_happy_path, teardown);
  if (g_getenv ("AVATAR_TEST_NO_WEBP_LOADER") != NULL)
    g_test_add ("/ui/webp-without-pixbuf-loader", Fixture, "webp-without-pixbuf-loader", setup,
                test_webp_without_pixbuf_loader, teardown);
  g_test_add ("/ui/broken-file", Fixture, "broken-file", setup, test_broken_file, teardown);
  g_test_add ("/ui/unsupported-type", Fixture, "unsupported-type", setup, test_unsupported_type, teardown);
  g_test_add ("/ui/server-error-retry", Fixture, "server-error", setup, test_server_error_then_retry, teardown);
  g_test_add ("/ui/cancel-upload", Fixture, "cancel-upload", setup, test_cancel_upload, teardown);
  g_test_add ("/ui/stop-waiting", Fixture, "stop-waiting", setup, test_stop_waiting, teardown);
  g_test_add ("/ui/stop-waiting-live", Fixture, "stop-waiting-live", setup, test_stop_waiting_live, teardown);
  g_test_add ("/ui/stop-waiting-activate", Fixture, "stop-waiting-activate", setup, test_stop_waiting_then_activate, teardown);
  g_test_add ("/ui/expired-token", Fixture, "expired-token", setup, test_expired_token, teardown);
  g_test_add ("/ui/auth-failure", Fixture, "auth-failure", setup, test_auth_failure, teardown);
  g_test_add ("/ui/account", Fixture, "account", setup, test_account, teardown);
  g_test_add ("/ui/narrow", Fixture, "narrow", setup, test_narrow, teardown);
  g_test_add ("/ui/wide", Fixture, "wide", setup, test_wide, teardown);
  g_test_add ("/ui/keep-metadata", Fixture, "keep-metadata", setup, test_keep_metadata, teardown);
  g_test_add ("/ui/drop", Fixture, "drop", setup, test_drop, teardown);
  g_test_add ("/ui/paste", Fixture, "paste", setup, test_paste, teardown);
  g_test_add ("/ui/remove", Fixture, "remove-avatar", setup, test_remove, teardown);
  g_test_add ("/ui/close-while-confirming", Fixture, "close-confirming", setup, test_close_while_confirming,
              teardown);

  return g_test_run ();
}
