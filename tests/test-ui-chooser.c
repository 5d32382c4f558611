/* test-ui-chooser.c
 *
 * The file chooser behind "Change Avatar…": its filters, the folder it
 * starts in, a silent cancel, and a chosen picture that reaches the crop
 * view and is remembered by its folder. Without a portal the chooser is
 * GTK's own dialog, in this process, so the test drives it directly: behind
 * GtkFileChooserNative with GTK 4.8, behind GtkFileDialog from GTK 4.10.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "avatar-application.h"
#include "avatar-test-broadway.h"
#include "avatar-test-images.h"
#include "avatar-test-server.h"
#include "avatar-test-ui.h"
#include "avatar-window.h"

/* A private XDG tree for the whole run: GLib reads the special folders once. */
static char *xdg_root;
static char *pictures_dir;

typedef struct
{
  AvatarTestUi  ui;
  char         *folder;
} Fixture;

#define WAIT_FOR(fixture, condition) AVATAR_TEST_UI_WAIT_FOR (&(fixture)->ui, condition)

static gboolean
is_on_page (Fixture    *fixture,
            const char *page)
{
  return avatar_test_ui_is_on_page (&fixture->ui, page);
}

static GSettings *
get_settings (Fixture *fixture)
{
  return avatar_application_get_settings (fixture->ui.app);
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->folder = g_dir_make_tmp ("avatar-chooser-XXXXXX", &error);
  g_assert_no_error (error);

  avatar_test_ui_setup (&fixture->ui, data);

  /* The memory backend outlives each test: start from a clean slate. */
  g_settings_reset (get_settings (fixture), "last-folder");

  WAIT_FOR (fixture, is_on_page (fixture, "welcome"));
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  /* Deletes the chosen picture, which lives in the folder. */
  avatar_test_ui_teardown (&fixture->ui);

  g_rmdir (fixture->folder);
  g_free (fixture->folder);
}

/* The chooser on screen: GtkFileChooserNative and GtkFileDialog both fall
 * back to this dialog. */
static GtkFileChooser *
find_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (window) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return GTK_FILE_CHOOSER (window);
    }

  return NULL;
}

/* The "Change Avatar…" button on the page in view. */
static gboolean
is_open_button (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_is_drawable (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.open") == 0;
}

/* A "Change Avatar…" button in view, if there is one, is on exactly when a
 * press would open a chooser. */
static gboolean
open_button_is_sensitive (Fixture  *fixture,
                          gboolean  sensitive)
{
  GtkWidget *button = avatar_test_ui_find_widget (GTK_WIDGET (fixture->ui.window), is_open_button, NULL);

  return button == NULL || gtk_widget_is_sensitive (button) == sensitive;
}

static GtkFileChooser *
open_chooser (Fixture *fixture)
{
  GtkFileChooser *chooser;

  g_assert_null (find_chooser ());
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->ui.window), "win.open", NULL));
  WAIT_FOR (fixture, find_chooser () != NULL);
  chooser = find_chooser ();

  /* Modal on the window, as a dialog about it. */
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (chooser)) == GTK_WINDOW (fixture->ui.window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (chooser)));
  g_assert_true (gtk_file_chooser_get_action (chooser) == GTK_FILE_CHOOSER_ACTION_OPEN);
  g_assert_false (gtk_file_chooser_get_select_multiple (chooser));

  /* A second press must not open a second chooser. */
  g_assert_true (open_button_is_sensitive (fixture, FALSE));

  return chooser;
}

static void
close_chooser (Fixture        *fixture,
               GtkFileChooser *chooser)
{
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  WAIT_FOR (fixture, find_chooser () == NULL);
  /* GtkFileDialog hands the answer on a turn of the main loop after its
   * dialog went away; GtkFileChooserNative at once. */
  WAIT_FOR (fixture, open_button_is_sensitive (fixture, TRUE));
}

static gboolean
has_folder (GtkFileChooser *chooser)
{
  g_autoptr (GFile) folder = gtk_file_chooser_get_current_folder (chooser);

  return folder != NULL;
}

/* A label reading @text in the chooser's path bar, the row of buttons that
 * shows where it is. */
static gboolean
path_bar_shows (GtkWidget  *widget,
                gboolean    in_path_bar,
                const char *text)
{
  in_path_bar = in_path_bar || g_str_equal (G_OBJECT_TYPE_NAME (widget), "GtkPathBar");
  if (in_path_bar && GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (path_bar_shows (child, in_path_bar, text))
      return TRUE;

  return FALSE;
}

static void
assert_start_folder (Fixture        *fixture,
                     GtkFileChooser *chooser,
                     const char     *expected_path)
{
  g_autoptr (GFile) folder = NULL;
  g_autoptr (GFile) expected = g_file_new_for_path (expected_path);
  g_autofree char *path = NULL;

  /* The chooser looks at the folder before it goes there. */
  WAIT_FOR (fixture, has_folder (chooser));
  folder = gtk_file_chooser_get_current_folder (chooser);
  path = g_file_get_path (folder);
  g_test_message ("The chooser starts in %s", path);
  g_assert_true (g_file_equal (folder, expected));

  /* And shows it, as a person sees it before answering. Until then its path
   * bar still reads folders, and GTK 4.10 and later warn when the dialog
   * goes away under those reads. */
  {
    g_autofree char *name = g_path_get_basename (expected_path);

    WAIT_FOR (fixture, path_bar_shows (GTK_WIDGET (chooser), FALSE, name));
  }
}

static void
assert_last_folder (Fixture    *fixture,
                    const char *expected)
{
  g_autofree char *last_folder = g_settings_get_string (get_settings (fixture), "last-folder");

  g_assert_cmpstr (last_folder, ==, expected);
}

static char *
dup_path_uri (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);

  return g_file_get_uri (file);
}

static gboolean
filter_matches (GtkFileFilter *filter,
                const char    *name,
                const char    *content_type)
{
  g_autoptr (GFileInfo) info = g_file_info_new ();

  g_file_info_set_display_name (info, name);
  g_file_info_set_content_type (info, content_type);

  return gtk_filter_match (GTK_FILTER (filter), info);
}

static gboolean
pixbuf_reads (const char *mime_type)
{
  g_autoptr (GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_auto (GStrv) mime_types = gdk_pixbuf_format_get_mime_types (l->data);

      if (g_strv_contains ((const char * const *) mime_types, mime_type))
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_selected (GtkFileChooser *chooser,
             GFile          *file)
{
  g_autoptr (GFile) selected = gtk_file_chooser_get_file (chooser);

  return selected != NULL && g_file_equal (selected, file);
}

/* The chooser lays out path bar buttons and rows as its folder loads; a
 * picture taken between two frames can catch a widget that has no size yet.
 * So it is taken right after a paint, when everything was just laid out. */
typedef struct
{
  GtkWidget *widget;
  char      *path;
  guint      paints;
  gboolean   saved;
} Screenshot;

static void
screenshot_after_paint_cb (GdkFrameClock *clock,
                           Screenshot    *shot)
{
  int width = gtk_widget_get_width (shot->widget);
  int height = gtk_widget_get_height (shot->widget);
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;

  /* A few frames in, so that the folder has had time to show its files. */
  if (shot->saved || ++shot->paints < 3 || width <= 0 || height <= 0)
    {
      gtk_widget_queue_draw (shot->widget);
      return;
    }

  paintable = gtk_widget_paintable_new (shot->widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (GTK_NATIVE (shot->widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, shot->path));
  shot->saved = TRUE;
}

static void
save_chooser_screenshot (Fixture        *fixture,
                         GtkFileChooser *chooser,
                         const char     *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                                           "screenshots", NULL);
  g_autofree char *file_name = g_strconcat (name, ".png", NULL);
  Screenshot shot = { GTK_WIDGET (chooser), NULL, 0, FALSE };
  GdkFrameClock *clock;
  gulong handler;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  shot.path = g_build_filename (dir, file_name, NULL);

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (chooser));
  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (screenshot_after_paint_cb), &shot);
  gtk_widget_queue_draw (GTK_WIDGET (chooser));
  WAIT_FOR (fixture, shot.saved);
  g_signal_handler_disconnect (clock, handler);

  g_test_message ("Screenshot: %s", shot.path);
  g_free (shot.path);
}

static void
test_filters_and_pictures (Fixture       *fixture,
                           gconstpointer  data)
{
  static const struct {
    const char *name;
    const char *file_name;
    const char *content_type;
  } formats[] = {
    { "All supported images", NULL, NULL },
    { "JPEG", "a.jpg", "image/jpeg" },
    { "PNG", "a.png", "image/png" },
    { "GIF", "a.gif", "image/gif" },
    { "WebP", "a.webp", "image/webp" },
  };
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", 320, 240);
  g_autofree char *path = g_build_filename (pictures_dir, "portrait.jpg", NULL);
  g_autoptr (GListModel) filters = NULL;
  g_autoptr (GtkFileFilter) all = NULL;
  g_autoptr (GError) error = NULL;
  GtkFileChooser *chooser;
  GtkFileFilter *selected;
  GtkWidget *button;

  assert_last_folder (fixture, "");
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), &error));
  g_assert_no_error (error);
  fixture->ui.file = g_file_new_for_path (path);

  /* The button on the welcome page, as a person would. */
  button = avatar_test_ui_find_widget (GTK_WIDGET (fixture->ui.window), is_open_button, NULL);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_activate (button));
  WAIT_FOR (fixture, find_chooser () != NULL);
  chooser = find_chooser ();
  /* A second press must not open a second chooser. */
  g_assert_false (gtk_widget_is_sensitive (button));

  filters = gtk_file_chooser_get_filters (chooser);
  g_assert_cmpuint (g_list_model_get_n_items (filters), ==, G_N_ELEMENTS (formats));
  all = g_list_model_get_item (filters, 0);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GtkFileFilter) filter = g_list_model_get_item (filters, i);

      g_assert_cmpstr (gtk_file_filter_get_name (filter), ==, formats[i].name);
      if (formats[i].content_type == NULL)
        continue;

      /* Each format: its own filter, and the one for all of them as far
       * as the installed loaders read it (WebP needs a loader of its own). */
      g_assert_true (filter_matches (filter, formats[i].file_name, formats[i].content_type));
      g_assert_false (filter_matches (filter, "a.txt", "text/plain"));
      g_assert_true (filter_matches (all, formats[i].file_name, formats[i].content_type) ==
                     pixbuf_reads (formats[i].content_type));
      if (!pixbuf_reads (formats[i].content_type))
        g_test_message ("No loader reads %s here", formats[i].content_type);
    }
  g_assert_false (filter_matches (all, "a.txt", "text/plain"));

  selected = gtk_file_chooser_get_filter (chooser);
  g_assert_nonnull (selected);
  g_assert_true (selected == all);

  /* Nothing remembered yet: the Pictures folder. */
  assert_start_folder (fixture, chooser, pictures_dir);

  save_chooser_screenshot (fixture, chooser, "chooser-dialog");

  close_chooser (fixture, chooser);
  g_assert_true (is_on_page (fixture, "welcome"));
}

static void
test_last_folder (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *uri = dup_path_uri (fixture->folder);
  g_autofree char *gone = g_build_filename (fixture->folder, "gone", NULL);
  g_autofree char *gone_uri = dup_path_uri (gone);
  GtkFileChooser *chooser;

  g_settings_set_string (get_settings (fixture), "last-folder", uri);
  chooser = open_chooser (fixture);
  assert_start_folder (fixture, chooser, fixture->folder);
  close_chooser (fixture, chooser);

  /* A remembered folder that no longer exists: Pictures again. */
  g_settings_set_string (get_settings (fixture), "last-folder", gone_uri);
  chooser = open_chooser (fixture);
  assert_start_folder (fixture, chooser, pictures_dir);
  close_chooser (fixture, chooser);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  GtkFileChooser *chooser = open_chooser (fixture);

  close_chooser (fixture, chooser);

  /* A few more turns, for anything the answer might have set off. */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);

  g_assert_null (avatar_test_ui_get_message (fixture->ui.window));
  g_assert_true (is_on_page (fixture, "welcome"));
  g_assert_null (avatar_test_ui_get_image (fixture->ui.window));
  assert_last_folder (fixture, "");
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (fixture->ui.window)));
}

static void
test_choose (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", 640, 480);
  g_autofree char *path = g_build_filename (fixture->folder, "portrait.jpg", NULL);
  g_autofree char *folder_uri = dup_path_uri (fixture->folder);
  g_autoptr (GError) error = NULL;
  GtkFileChooser *chooser;
  AvatarImage *image;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg), &error));
  g_assert_no_error (error);
  fixture->ui.file = g_file_new_for_path (path);

  chooser = open_chooser (fixture);
  /* Only once it shows its start folder: in GTK 4.8 a file set while the
   * chooser is still on its way there is not selected. */
  assert_start_folder (fixture, chooser, pictures_dir);
  g_assert_true (gtk_file_chooser_set_file (chooser, fixture->ui.file, &error));
  g_assert_no_error (error);
  /* The chooser lists the folder before it selects in it. */
  WAIT_FOR (fixture, is_selected (chooser, fixture->ui.file));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  WAIT_FOR (fixture, find_chooser () == NULL);

  WAIT_FOR (fixture, is_on_page (fixture, "crop") && avatar_test_ui_can_upload (fixture->ui.window));
  image = avatar_test_ui_get_image (fixture->ui.window);
  g_assert_nonnull (image);
  g_assert_cmpint (avatar_image_get_width (image), ==, 640);
  g_assert_cmpint (avatar_image_get_height (image), ==, 480);
  g_assert_cmpstr (avatar_image_get_display_name (image), ==, "portrait.jpg");
  /* The very bytes of the chosen file. */
  g_assert_true (g_bytes_equal (avatar_image_get_bytes (image), jpeg));
  g_assert_null (avatar_test_ui_get_message (fixture->ui.window));

  assert_last_folder (fixture, folder_uri);

  /* And the next time, the chooser starts there. */
  chooser = open_chooser (fixture);
  assert_start_folder (fixture, chooser, fixture->folder);
  close_chooser (fixture, chooser);
  g_assert_true (is_on_page (fixture, "crop"));
}

/* GTK 4.8's file chooser dialog at times paints one of its own buttons in
 * the frame before that button is first laid out, and says so in a warning.
 * That warning, and only it, is written without being fatal: it is about
 * GTK, not this app. Everything else goes the usual way. */
static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }

  if ((log_level & G_LOG_LEVEL_WARNING) != 0 &&
      g_strcmp0 (domain, "Gtk") == 0 &&
      message != NULL &&
      g_str_has_prefix (message, "Trying to snapshot GtkButton ") &&
      g_str_has_suffix (message, " without a current allocation"))
    return g_log_writer_standard_streams (log_level, fields, n_fields, user_data);

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
write_user_dirs (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *user_dirs = NULL;
  g_autofree char *contents = NULL;

  xdg_root = g_dir_make_tmp ("avatar-chooser-xdg-XXXXXX", &error);
  g_assert_no_error (error);
  config_dir = g_build_filename (xdg_root, "config", NULL);
  pictures_dir = g_build_filename (xdg_root, "Pictures", NULL);
  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (pictures_dir, 0700), ==, 0);

  user_dirs = g_build_filename (config_dir, "user-dirs.dirs", NULL);
  contents = g_strdup_printf ("XDG_PICTURES_DIR=\"%s\"\n", pictures_dir);
  g_assert_true (g_file_set_contents (user_dirs, contents, -1, &error));
  g_assert_no_error (error);

  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);
  /* The chooser records what it opened among the recent files. */
  data_dir = g_build_filename (xdg_root, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  /* Whatever GLib may have read before the variable was set. */
  g_reload_user_special_dirs_cache ();
  g_assert_cmpstr (g_get_user_special_dir (G_USER_DIRECTORY_PICTURES), ==, pictures_dir);
}

static void
remove_tree (GFile *file)
{
  g_autoptr (GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL)
    {
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) || child == NULL)
        break;
      remove_tree (child);
    }

  g_file_delete (file, NULL, NULL);
}

static void
remove_user_dirs (void)
{
  g_autoptr (GFile) root = g_file_new_for_path (xdg_root);

  remove_tree (root);
  g_clear_pointer (&pictures_dir, g_free);
  g_clear_pointer (&xdg_root, g_free);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_log_set_writer_func (log_writer, NULL, NULL);
  /* As in test-ui.c: each test builds a fresh application in this one
   * process, which a session bus would keep registered. Without a bus there
   * is no portal either, and the chooser is GTK's dialog in this process. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("GTK_USE_PORTAL");
  write_user_dirs ();
  avatar_test_ui_init (&argc, &argv);
  adw_init ();

  g_test_add ("/ui-chooser/filters-and-pictures", Fixture, "filters", setup, test_filters_and_pictures, teardown);
  g_test_add ("/ui-chooser/last-folder", Fixture, "last-folder", setup, test_last_folder, teardown);
  g_test_add ("/ui-chooser/cancel", Fixture, "cancel", setup, test_cancel, teardown);
  g_test_add ("/ui-chooser/choose", Fixture, "choose", setup, test_choose, teardown);

  status = g_test_run ();
  remove_user_dirs ();

  return status;
}
