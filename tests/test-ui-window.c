/* test-ui-window.c
 *
 * The window as a person uses it: menus, shortcuts, going back, the words
 * it says, the result page and the crop tools.
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
#include "avatar-variant-row.h"
#include "avatar-window.h"

typedef AvatarTestUi Fixture;

#define WAIT_FOR(fixture, condition) AVATAR_TEST_UI_WAIT_FOR (fixture, condition)

static gboolean
is_on_page (Fixture    *fixture,
            const char *page)
{
  return avatar_test_ui_is_on_page (fixture, page);
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  avatar_test_ui_setup (fixture, data);
  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  avatar_test_ui_teardown (fixture);
}

static gboolean
is_type (GtkWidget     *widget,
         gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

static gboolean
has_action (GtkWidget     *widget,
            gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_visible (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

/* A menu item, by its label. */
static gboolean
has_text (GtkWidget     *widget,
          gconstpointer  data)
{
  g_autofree char *text = NULL;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (widget), "text") == NULL)
    return FALSE;
  g_object_get (widget, "text", &text, NULL);

  return g_strcmp0 (text, data) == 0;
}

static GtkMenuButton *
get_menu_button (Fixture *fixture)
{
  GtkWidget *button = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_type,
                                   GSIZE_TO_POINTER (GTK_TYPE_MENU_BUTTON));

  g_assert_nonnull (button);

  return GTK_MENU_BUTTON (button);
}

static gboolean
popover_is_open (GtkMenuButton *button)
{
  GtkPopover *popover = gtk_menu_button_get_popover (button);

  return popover != NULL && gtk_widget_get_mapped (GTK_WIDGET (popover));
}

/* Ctrl+? as Broadway reports it, with the Shift that typed "?" still set. */
static void
test_shortcuts_key (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto (GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (fixture->app),
                                                                  "<Shift><Control>question");

  g_assert_true (g_strv_contains ((const char * const *) actions, "win.show-help-overlay"));
}

static void
open_picture (Fixture    *fixture,
              const char *format,
              int         width,
              int         height)
{
  g_autoptr (GBytes) bytes = avatar_test_image_new (format, width, height);

  avatar_window_open_file (fixture->window, avatar_test_ui_write_file (fixture, bytes, ".png"));
  WAIT_FOR (fixture, is_on_page (fixture, "crop") && avatar_test_ui_can_upload (fixture->window));
}

static GtkWidget *
find_button_with_action (Fixture    *fixture,
                         const char *action)
{
  return avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), has_action, action);
}

/* Where a click at the middle of @widget lands. */
static gboolean
click_lands_on (GtkWidget *widget)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (widget));
  graphene_rect_t bounds;
  GtkWidget *picked;

  if (!gtk_widget_compute_bounds (widget, root, &bounds))
    return FALSE;
  picked = gtk_widget_pick (root, bounds.origin.x + bounds.size.width / 2,
                            bounds.origin.y + bounds.size.height / 2, GTK_PICK_DEFAULT);

  return picked != NULL && (picked == widget || gtk_widget_is_ancestor (picked, widget));
}

/* At 360 pixels the back button takes the click, and Alt+Left goes back. */
static void
test_back (Fixture       *fixture,
           gconstpointer  data)
{
  g_auto (GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (fixture->app),
                                                                  "<Alt>Left");
  GtkWidget *back;

  g_assert_true (g_strv_contains ((const char * const *) actions, "win.back"));

  avatar_test_ui_present_sized (fixture, 360, 640);
  open_picture (fixture, "png", 300, 400);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  back = find_button_with_action (fixture, "win.back");
  g_assert_nonnull (back);
  g_assert_true (gtk_widget_get_mapped (back) && gtk_widget_is_sensitive (back));
  g_assert_true (click_lands_on (back));

  /* The crop area keeps the key for the window when Alt is held. */
  g_assert_false (avatar_test_ui_press_key (GTK_WIDGET (avatar_test_ui_get_child (fixture->window, "crop_area")),
                                            GDK_KEY_Left, GDK_ALT_MASK));
  g_signal_emit_by_name (back, "clicked");
  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));
}

static void
upload_and_wait_for_result (Fixture *fixture)
{
  avatar_test_ui_activate (fixture->window, "win.upload");
  WAIT_FOR (fixture, is_on_page (fixture, "result") && avatar_test_ui_all_variants_shown (fixture->window));
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
}

static gboolean
is_visible_back_button (GtkWidget     *widget,
                        gconstpointer  data)
{
  return has_action (widget, "win.back") && gtk_widget_get_mapped (widget);
}

static guint
count_widgets (GtkWidget *widget,
               gboolean (*match) (GtkWidget *widget, gconstpointer data),
               gconstpointer data)
{
  guint count = match (widget, data) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count += count_widgets (child, match, data);

  return count;
}

static gboolean
shows_paintable (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_PICTURE (widget) && gtk_widget_get_mapped (widget) &&
         gtk_picture_get_paintable (GTK_PICTURE (widget)) == data;
}

static gboolean
is_variant_row (GtkWidget     *widget,
                gconstpointer  data)
{
  return AVATAR_IS_VARIANT_ROW (widget) &&
         avatar_variant_row_get_kind (AVATAR_VARIANT_ROW (widget)) == GPOINTER_TO_UINT (data);
}

static GtkWidget *
find_variant_row (Fixture           *fixture,
                  AvatarVariantKind  kind)
{
  GtkWidget *row = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_variant_row, GUINT_TO_POINTER (kind));

  g_assert_nonnull (row);

  return row;
}

static double
avatar_x (Fixture           *fixture,
          AvatarVariantKind  kind)
{
  GtkWidget *avatar = avatar_test_ui_find_widget (find_variant_row (fixture, kind), is_type,
                                   GSIZE_TO_POINTER (ADW_TYPE_AVATAR));
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (avatar, GTK_WIDGET (fixture->window), &bounds));

  return bounds.origin.x;
}

static gboolean
is_mapped_scrolled_window (GtkWidget     *widget,
                           gconstpointer  data)
{
  return GTK_IS_SCROLLED_WINDOW (widget) && gtk_widget_get_mapped (widget);
}

static gboolean
is_shown_toast (GtkWidget     *widget,
                gconstpointer  data)
{
  return g_str_equal (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget") && gtk_widget_get_mapped (widget);
}

/* The result fits a 720 × 600 window: one way back, in the header, where the
 * "URL copied" toast cannot cover it; the round sizes line up; the full
 * sizes are shown once, with their facts. */
static void
test_result_page (Fixture       *fixture,
                  gconstpointer  data)
{
  GtkWidget *root, *done, *copy, *scrolled;
  GtkAdjustment *adjustment;
  GdkTexture *original;

  avatar_test_ui_present_sized (fixture, 720, 600);
  root = GTK_WIDGET (fixture->window);
  open_picture (fixture, "png", 300, 300);
  upload_and_wait_for_result (fixture);

  scrolled = avatar_test_ui_find_widget (root, is_mapped_scrolled_window, NULL);
  g_assert_nonnull (scrolled);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), <=, gtk_adjustment_get_page_size (adjustment));

  g_assert_cmpuint (count_widgets (root, is_visible_back_button, NULL), ==, 1);
  done = avatar_test_ui_find_widget (root, is_visible_back_button, NULL);
  g_assert_true (click_lands_on (done));

  g_assert_cmpfloat (avatar_x (fixture, AVATAR_VARIANT_44), ==, avatar_x (fixture, AVATAR_VARIANT_60));
  g_assert_cmpfloat (avatar_x (fixture, AVATAR_VARIANT_48), ==, avatar_x (fixture, AVATAR_VARIANT_60));

  original = avatar_test_ui_get_variant_texture (fixture->window, AVATAR_VARIANT_ORIGINAL);
  g_assert_cmpuint (count_widgets (root, shows_paintable, original), ==, 1);
  g_assert_nonnull (avatar_test_ui_find_widget (find_variant_row (fixture, AVATAR_VARIANT_ORIGINAL), shows_paintable, original));
  avatar_test_ui_save_screenshot (root, "ui-window-result");

  /* Copy URL on the 60 px row, then Done while the toast is up. */
  copy = avatar_test_ui_find_widget (find_variant_row (fixture, AVATAR_VARIANT_60), is_type,
                      GSIZE_TO_POINTER (GTK_TYPE_BUTTON));
  g_signal_emit_by_name (copy, "clicked");
  WAIT_FOR (fixture, avatar_test_ui_find_widget (root, is_shown_toast, NULL) != NULL);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  g_assert_true (click_lands_on (done));
  g_signal_emit_by_name (done, "clicked");
  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));
  WAIT_FOR (fixture, avatar_test_ui_find_widget (root, is_shown_toast, NULL) == NULL);

  /* And the window still answers. */
  gtk_menu_button_popup (get_menu_button (fixture));
  WAIT_FOR (fixture, popover_is_open (get_menu_button (fixture)));
}

static gboolean
is_status_page_titled (GtkWidget     *widget,
                       gconstpointer  data)
{
  return ADW_IS_STATUS_PAGE (widget) && gtk_widget_get_mapped (widget) &&
         g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (widget)), data) == 0;
}

static const char *
get_header_title (Fixture *fixture)
{
  GtkWidget *title = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_type,
                                  GSIZE_TO_POINTER (ADW_TYPE_WINDOW_TITLE));

  return adw_window_title_get_title (ADW_WINDOW_TITLE (title));
}

/* An expired sign-in says so and offers to sign in; no dialog pops up by itself. */
static void
test_signed_out (Fixture       *fixture,
                 gconstpointer  data)
{
  GtkWidget *page, *button;

  g_assert_cmpstr (get_header_title (fixture), ==, "Choose a Picture");
  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"refresh\", \"status\": 401}");
  avatar_test_ui_activate (fixture->window, "win.reload");

  WAIT_FOR (fixture, is_on_page (fixture, "error"));
  page = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_status_page_titled, "Signed Out — Sign In Again");
  g_assert_nonnull (page);
  g_assert_cmpstr (adw_status_page_get_icon_name (ADW_STATUS_PAGE (page)), !=, "network-offline-symbolic");
  button = avatar_test_ui_find_widget (page, has_action, "win.account");
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Sign In…");
  g_assert_null (avatar_test_ui_get_account_dialog (fixture->window));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-window-signed-out");
}

static gboolean
is_label (GtkWidget     *widget,
          gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), data) == 0;
}

static AvatarFlowState
get_flow_state (Fixture *fixture)
{
  AvatarFlow *flow = avatar_test_ui_get_flow (fixture->window);

  return flow != NULL ? avatar_flow_get_state (flow) : AVATAR_FLOW_STATE_IDLE;
}

/* Plain words for each step, the header names it, and the bar moves only
 * with bytes sent. */
static void
test_progress_words (Fixture       *fixture,
                     gconstpointer  data)
{
  open_picture (fixture, "png", 400, 400);
  g_assert_cmpstr (get_header_title (fixture), ==, "Crop");
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"request-url\", \"delayMs\": 60000}");
  avatar_test_ui_activate (fixture->window, "win.upload");

  WAIT_FOR (fixture, get_flow_state (fixture) == AVATAR_FLOW_STATE_REQUESTING);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  g_assert_cmpstr (get_header_title (fixture), ==, "Uploading");
  g_assert_nonnull (avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_label, "Contacting the service…"));
  g_assert_true (avatar_test_ui_is_progress_pulsing (fixture->window));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-window-requesting");

  avatar_test_ui_activate (fixture->window, "win.cancel");
  WAIT_FOR (fixture, is_on_page (fixture, "crop"));
  g_assert_false (avatar_test_ui_is_progress_pulsing (fixture->window));

  avatar_test_server_clear_faults (fixture->server);
  upload_and_wait_for_result (fixture);
  g_assert_cmpstr (get_header_title (fixture), ==, "Your New Avatar");
  g_assert_false (avatar_test_ui_is_progress_pulsing (fixture->window));
}

static gboolean
is_welcome_text (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), "Choose a picture, crop it");
}

/* At the default size the home page's description wraps into a short column. */
static void
test_welcome_wraps (Fixture       *fixture,
                    gconstpointer  data)
{
  GtkWidget *label;

  avatar_test_ui_present_sized (fixture, 720, 640);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  label = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_welcome_text, NULL);
  g_assert_nonnull (label);
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (label))), >, 1);
  g_assert_cmpint (gtk_widget_get_width (label), <, 480);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-window-welcome");
}

static gboolean
is_undo_button (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), "_Undo") == 0;
}

static void
remove_avatar (Fixture *fixture)
{
  open_picture (fixture, "png", 200, 200);
  upload_and_wait_for_result (fixture);
  avatar_test_ui_activate (fixture->window, "win.back");
  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));

  avatar_test_ui_activate (fixture->window, "win.remove");
  g_signal_emit_by_name (avatar_test_ui_get_remove_dialog (fixture->window), "response", "remove");
  WAIT_FOR (fixture, avatar_test_ui_get_profile (fixture->window)->avatar_url == NULL);
}

/* The toast after a removal offers Undo, which uploads the removed avatar again. */
static void
test_undo_remove (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *server_url = NULL;
  GtkWidget *undo;
  GdkTexture *original;

  remove_avatar (fixture);
  WAIT_FOR (fixture, avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_undo_button, NULL) != NULL);
  undo = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_undo_button, NULL);
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-window-removed-undo");
  g_signal_emit_by_name (undo, "clicked");

  WAIT_FOR (fixture, is_on_page (fixture, "result") && avatar_test_ui_all_variants_shown (fixture->window));
  original = avatar_test_ui_get_variant_texture (fixture->window, AVATAR_VARIANT_ORIGINAL);
  g_assert_cmpint (gdk_texture_get_width (original), ==, 200);
  server_url = avatar_test_server_dup_avatar_url (fixture->server, fixture->access_token);
  g_assert_nonnull (server_url);
  g_assert_cmpstr (avatar_test_ui_get_profile (fixture->window)->avatar_url, ==, server_url);
}

/* When the removed avatar cannot go back up, the window says so. */
static void
test_undo_remove_fails (Fixture       *fixture,
                        gconstpointer  data)
{
  remove_avatar (fixture);
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"request-url\", \"status\": 503, \"count\": 50}");
  avatar_test_ui_activate (fixture->window, "win.undo-remove");

  WAIT_FOR (fixture, avatar_test_ui_get_flow (fixture->window) != NULL &&
                     get_flow_state (fixture) == AVATAR_FLOW_STATE_FAILED);
  g_assert_nonnull (strstr (avatar_test_ui_get_message (fixture->window), "could not be put back"));

  /* Nothing is left to undo a second time, and that is said too. */
  avatar_test_ui_activate (fixture->window, "win.undo-remove");
  g_assert_nonnull (strstr (avatar_test_ui_get_message (fixture->window), "could not be put back"));
}

static GBytes *
render_widget (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  guchar *pixels = g_malloc (width * height * 4);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_download (texture, pixels, width * 4);

  return g_bytes_new_take (pixels, width * height * 4);
}

static gboolean
is_mapped_avatar_of_size (GtkWidget     *widget,
                          gconstpointer  data)
{
  return ADW_IS_AVATAR (widget) && gtk_widget_get_mapped (widget) &&
         adw_avatar_get_size (ADW_AVATAR (widget)) == GPOINTER_TO_INT (data);
}

static gboolean
is_zoom_scale (GtkWidget     *widget,
               gconstpointer  data)
{
  return GTK_IS_SCALE (widget) && gtk_widget_get_mapped (widget);
}

static gboolean
is_hint (GtkWidget     *widget,
         gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         strstr (gtk_label_get_label (GTK_LABEL (widget)), "[ and ] turn") != NULL;
}

static gboolean
prepared_matches (Fixture          *fixture,
                  const AvatarCrop *crop)
{
  const AvatarPrepared *prepared = avatar_test_ui_get_prepared (fixture->window);

  return prepared != NULL && prepared->width == crop->size &&
         ((prepared->changes & AVATAR_CHANGE_TURNED) != 0) == (crop->turns != 0 || crop->flip);
}

/* The picture's corner pixel, as RGB. */
static guint32
corner_pixel (GdkPixbuf *pixbuf,
              int        x,
              int        y)
{
  const guchar *p = gdk_pixbuf_read_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) +
                    x * gdk_pixbuf_get_n_channels (pixbuf);

  return (p[0] & 0xc0) << 16 | (p[1] & 0xc0) << 8 | (p[2] & 0xc0);
}

static GdkPixbuf *
decode (GBytes *bytes)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();

  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, bytes, NULL));
  g_assert_true (gdk_pixbuf_loader_close (loader, NULL));

  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

/* Turned right, then mirrored: the square turns over its diagonal, so the
 * top right corner of what is sent shows what was at the bottom left. */
static void
assert_sent_turned_and_flipped (Fixture          *fixture,
                                const AvatarCrop *crop)
{
  const AvatarPrepared *prepared = avatar_test_ui_get_prepared (fixture->window);
  g_autoptr (GBytes) source = g_file_load_bytes (fixture->file, NULL, NULL, NULL);
  g_autoptr (GdkPixbuf) sent = decode (prepared->bytes);
  g_autoptr (GdkPixbuf) picture = decode (source);
  g_autoptr (GdkPixbuf) upright = gdk_pixbuf_new_subpixbuf (picture, crop->x, crop->y, crop->size, crop->size);
  int size = crop->size - 1;

  g_assert_cmphex (corner_pixel (sent, 2, 2), ==, corner_pixel (upright, 2, 2));
  g_assert_cmphex (corner_pixel (sent, size - 2, 2), ==, corner_pixel (upright, 2, size - 2));
  g_assert_cmphex (corner_pixel (sent, size - 2, 2), !=, corner_pixel (upright, size - 2, 2));
}

/* Cropping like the best editors: the crop area comes first for Tab and keeps
 * its ring, a zoom slider in step with the keys, turning and flipping that
 * the previews and the prepared picture show, the avatar as it is now
 * beside the new one, and a line saying which keys do what. */
static void
test_crop_tools (Fixture       *fixture,
                 gconstpointer  data)
{
  AvatarCropArea *area;
  GtkWidget *scale, *now;
  g_autoptr (GBytes) focused = NULL;
  g_autoptr (GBytes) unfocused = NULL;
  g_autofree char *description = NULL;
  AvatarCrop crop;

  /* An avatar of before, for the before and after. */
  open_picture (fixture, "png", 200, 200);
  upload_and_wait_for_result (fixture);
  avatar_test_ui_activate (fixture->window, "win.back");

  open_picture (fixture, "png", 400, 300);
  area = avatar_test_ui_get_child (fixture->window, "crop_area");
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));

  gtk_root_set_focus (GTK_ROOT (fixture->window), NULL);
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (fixture->window), GTK_DIR_TAB_FORWARD));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (area)));

  /* The ring stays after an arrow key, even when GTK stops showing focus. */
  g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (area), GDK_KEY_minus, 0));
  gtk_window_set_focus_visible (GTK_WINDOW (fixture->window), FALSE);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  focused = render_widget (GTK_WIDGET (area));
  gtk_root_set_focus (GTK_ROOT (fixture->window), NULL);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  unfocused = render_widget (GTK_WIDGET (area));
  g_assert_false (g_bytes_equal (focused, unfocused));
  gtk_widget_grab_focus (GTK_WIDGET (area));

  /* The slider follows the keys, and the crop follows the slider. */
  scale = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_zoom_scale, NULL);
  g_assert_nonnull (scale);
  g_assert_cmpfloat (gtk_range_get_value (GTK_RANGE (scale)), >, 1.0);
  g_assert_cmpfloat_with_epsilon (gtk_range_get_value (GTK_RANGE (scale)),
                                  avatar_crop_area_get_zoom (area), 0.001);
  gtk_range_set_value (GTK_RANGE (scale), 2.0);
  avatar_crop_area_get_crop (area, &crop);
  g_assert_cmpint (crop.size, ==, 150);

  /* Turned right with "]" and flipped with the button's action. */
  g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (area), GDK_KEY_bracketright, 0));
  avatar_test_ui_activate (fixture->window, "win.flip");
  avatar_crop_area_get_crop (area, &crop);
  g_assert_cmpint (crop.turns, ==, 1);
  g_assert_true (crop.flip);
  description = avatar_crop_area_dup_description (area);
  g_assert_nonnull (strstr (description, "turned 90 degrees"));
  g_assert_nonnull (strstr (description, "mirrored"));

  WAIT_FOR (fixture, prepared_matches (fixture, &crop));
  assert_sent_turned_and_flipped (fixture, &crop);

  now = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_mapped_avatar_of_size, GINT_TO_POINTER (60));
  g_assert_nonnull (now);
  g_assert_nonnull (adw_avatar_get_custom_image (ADW_AVATAR (now)));
  g_assert_nonnull (avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_hint, NULL));
  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "ui-window-crop-tools");
}

static gboolean
flipped_or_zoomed (Fixture   *fixture,
                   GtkWidget *scale,
                   double     zoom)
{
  AvatarCrop crop;

  avatar_crop_area_get_crop (avatar_test_ui_get_child (fixture->window, "crop_area"), &crop);

  return crop.flip || gtk_range_get_value (GTK_RANGE (scale)) != zoom;
}

/* The zoom slider let go of the pointer when a drag ends, with the mouse of
 * Broadway's page: a click on Flip then flips, and the slider stays where
 * the drag left it rather than jumping to the click. */
static void
test_zoom_drag (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (AvatarTestPointer) pointer = NULL;
  GtkWidget *scale, *flip;
  AvatarCrop crop;
  double zoom;
  int width, height;

  open_picture (fixture, "png", 400, 300);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));
  scale = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), is_zoom_scale, NULL);
  flip = avatar_test_ui_find_widget (GTK_WIDGET (fixture->window), has_action, "win.flip");
  g_assert_nonnull (scale);
  g_assert_nonnull (flip);
  g_assert_cmpfloat (gtk_range_get_value (GTK_RANGE (scale)), ==, 1.0);
  pointer = avatar_test_pointer_new (GTK_WINDOW (fixture->window));

  /* Dragged from near its left end to the middle. */
  width = gtk_widget_get_width (scale);
  height = gtk_widget_get_height (scale);
  avatar_test_pointer_move (pointer, scale, width / 10, height / 2);
  avatar_test_pointer_press (pointer);
  for (int i = 2; i <= 5; i++)
    avatar_test_pointer_move (pointer, scale, width * i / 10, height / 2);
  avatar_test_pointer_release (pointer);
  zoom = gtk_range_get_value (GTK_RANGE (scale));
  g_assert_cmpfloat (zoom, >, 1.0);

  /* Then a click on Flip, which is beside the slider's right end. */
  avatar_test_pointer_move (pointer, flip, gtk_widget_get_width (flip) / 2,
                            gtk_widget_get_height (flip) / 2);
  avatar_test_pointer_press (pointer);
  avatar_test_pointer_release (pointer);
  WAIT_FOR (fixture, flipped_or_zoomed (fixture, scale, zoom));
  avatar_crop_area_get_crop (avatar_test_ui_get_child (fixture->window, "crop_area"), &crop);
  g_assert_true (crop.flip);
  g_assert_cmpfloat (gtk_range_get_value (GTK_RANGE (scale)), ==, zoom);
}

/* Keyboard Shortcuts, chosen from the main menu, and closed again, leaves
 * the main menu working. */
static void
test_shortcuts_then_menu (Fixture       *fixture,
                          gconstpointer  data)
{
  GtkMenuButton *menu_button = get_menu_button (fixture);
  GtkWidget *item;

  gtk_menu_button_popup (menu_button);
  WAIT_FOR (fixture, popover_is_open (menu_button));

  item = avatar_test_ui_find_widget (GTK_WIDGET (gtk_menu_button_get_popover (menu_button)), has_text,
                      "Keyboard Shortcuts");
  g_assert_nonnull (item);
  g_signal_emit_by_name (item, "clicked");
  WAIT_FOR (fixture, avatar_test_ui_find_shortcuts_window () != NULL && !popover_is_open (menu_button));
  avatar_test_ui_wait_for_paint (avatar_test_ui_find_shortcuts_window ());
  /* Under Broadway in a 1024-pixel browser page, a wider window (it was 1030
   * pixels) covers the main menu with its close button out of reach. */
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (avatar_test_ui_find_shortcuts_window ())), <, 1000);

  gtk_window_close (avatar_test_ui_find_shortcuts_window ());
  WAIT_FOR (fixture, avatar_test_ui_find_shortcuts_window () == NULL);
  avatar_test_ui_wait_for_paint (GTK_WINDOW (fixture->window));

  gtk_menu_button_popup (menu_button);
  WAIT_FOR (fixture, popover_is_open (menu_button));
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  avatar_test_ui_init (&argc, &argv);
  adw_init ();

  g_test_add ("/ui-window/shortcuts-then-menu", Fixture, "shortcuts-menu", setup,
              test_shortcuts_then_menu, teardown);
  g_test_add ("/ui-window/shortcuts-key", Fixture, "shortcuts-key", setup, test_shortcuts_key, teardown);
  g_test_add ("/ui-window/welcome-wraps", Fixture, "welcome-wraps", setup, test_welcome_wraps, teardown);
  g_test_add ("/ui-window/undo-remove", Fixture, "undo-remove", setup, test_undo_remove, teardown);
  g_test_add ("/ui-window/undo-remove-fails", Fixture, "undo-fails", setup, test_undo_remove_fails, teardown);
  g_test_add ("/ui-window/crop-tools", Fixture, "crop-tools", setup, test_crop_tools, teardown);
  g_test_add ("/ui-window/zoom-drag", Fixture, "zoom-drag", setup, test_zoom_drag, teardown);
  g_test_add ("/ui-window/back", Fixture, "back", setup, test_back, teardown);
  g_test_add ("/ui-window/result-page", Fixture, "result-page", setup, test_result_page, teardown);
  g_test_add ("/ui-window/signed-out", Fixture, "signed-out", setup, test_signed_out, teardown);
  g_test_add ("/ui-window/progress-words", Fixture, "progress-words", setup, test_progress_words, teardown);

  return g_test_run ();
}
