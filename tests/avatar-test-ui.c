/* avatar-test-ui.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "avatar-account-dialog.h"
#include "avatar-test-ui.h"
#include "avatar-variant-row.h"

void
avatar_test_ui_start (AvatarTestUi *ui,
                      const char   *username)
{
  ui->server = avatar_test_server_start (NULL);
  ui->username = g_strdup (username);
  avatar_test_server_login (ui->server, ui->username,
                            &ui->access_token, &ui->refresh_token, NULL);

  ui->app = avatar_application_new ();
}

void
avatar_test_ui_setup (AvatarTestUi *ui,
                      const char   *test_name)
{
  g_autofree char *username = g_strdelimit (g_strdup (test_name), "-", '_');
  g_autoptr (GError) error = NULL;

  avatar_test_ui_start (ui, username);
  /* No bus in the tests: the application must not need one. */
  g_application_set_flags (G_APPLICATION (ui->app),
                           g_application_get_flags (G_APPLICATION (ui->app)) | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (ui->app), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (avatar_application_set_account (ui->app,
                                                 ui->server->base_url,
                                                 ui->server->app_id,
                                                 ui->access_token,
                                                 ui->refresh_token,
                                                 FALSE, &error));
  g_assert_no_error (error);

  ui->window = avatar_window_new (ui->app);
  gtk_window_set_default_size (GTK_WINDOW (ui->window), 600, 720);
  gtk_window_present (GTK_WINDOW (ui->window));
}

void
avatar_test_ui_present_sized (AvatarTestUi *ui,
                              int           width,
                              int           height)
{
  gtk_window_destroy (GTK_WINDOW (ui->window));
  ui->window = avatar_window_new (ui->app);
  gtk_window_set_default_size (GTK_WINDOW (ui->window), width, height);
  gtk_window_present (GTK_WINDOW (ui->window));
  AVATAR_TEST_UI_WAIT_FOR (ui, avatar_test_ui_is_on_page (ui, "welcome"));
}

static void
delete_file (AvatarTestUi *ui)
{
  if (ui->file == NULL)
    return;

  g_file_delete (ui->file, NULL, NULL);
  g_clear_object (&ui->file);
}

void
avatar_test_ui_teardown (AvatarTestUi *ui)
{
  /* A test may have closed it already. */
  if (ui->window != NULL)
    gtk_window_destroy (GTK_WINDOW (ui->window));
  /* Let the cancelled work wind down before the objects go. */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);

  delete_file (ui);

  g_object_unref (ui->app);
  avatar_test_server_stop (ui->server);
  g_free (ui->username);
  g_free (ui->access_token);
  g_free (ui->refresh_token);
}

gboolean
avatar_test_ui_is_on_page (AvatarTestUi *ui,
                           const char   *page)
{
  return g_strcmp0 (avatar_test_ui_get_page (ui->window), page) == 0;
}

GFile *
avatar_test_ui_write_file (AvatarTestUi *ui,
                           GBytes       *bytes,
                           const char   *suffix)
{
  g_autofree char *template = g_strconcat ("avatar-ui-XXXXXX", suffix, NULL);
  g_autoptr (GFileIOStream) stream = NULL;
  g_autoptr (GError) error = NULL;

  delete_file (ui);
  ui->file = g_file_new_tmp (template, &stream, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_replace_contents (ui->file,
                                          g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                          NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, &error));
  g_assert_no_error (error);

  return ui->file;
}

void
avatar_test_ui_activate (AvatarWindow *window,
                         const char   *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, NULL));
}

gboolean
avatar_test_ui_can_upload (AvatarWindow *window)
{
  GtkWidget *button = avatar_test_ui_get_child (window, "upload_button");

  return gtk_widget_get_visible (button) && gtk_widget_is_sensitive (button);
}

gboolean
avatar_test_ui_all_variants_shown (AvatarWindow *window)
{
  for (AvatarVariantKind kind = 0; kind < AVATAR_N_VARIANTS; kind++)
    if (avatar_test_ui_get_variant_texture (window, kind) == NULL)
      return FALSE;

  return TRUE;
}

GtkWidget *
avatar_test_ui_find_widget (GtkWidget         *root,
                            AvatarTestUiMatch  match,
                            gconstpointer      data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = avatar_test_ui_find_widget (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

gpointer
avatar_test_ui_get_child (AvatarWindow *window,
                          const char   *name)
{
  return gtk_widget_get_template_child (GTK_WIDGET (window), AVATAR_TYPE_WINDOW, name);
}

const char *
avatar_test_ui_get_page (AvatarWindow *window)
{
  GtkStack *stack = avatar_test_ui_get_child (window, "stack");

  return stack != NULL ? gtk_stack_get_visible_child_name (stack) : NULL;
}

static gboolean
is_toast (GtkWidget     *widget,
          gconstpointer  data)
{
  return g_str_equal (gtk_widget_get_css_name (widget), "toast");
}

static gboolean
is_label (GtkWidget     *widget,
          gconstpointer  data)
{
  return GTK_IS_LABEL (widget);
}

/* The banner stays until dismissed; a toast goes with its page. */
const char *
avatar_test_ui_get_message (AvatarWindow *window)
{
  GtkRevealer *banner = avatar_test_ui_get_child (window, "banner_revealer");
  GtkWidget *overlay = avatar_test_ui_get_child (window, "toast_overlay");
  GtkWidget *toast;

  if (banner == NULL)
    return NULL;

  if (gtk_revealer_get_reveal_child (banner))
    return gtk_label_get_text (avatar_test_ui_get_child (window, "banner_label"));

  /* Its title is the toast's first label. */
  toast = avatar_test_ui_find_widget (overlay, is_toast, NULL);
  if (toast != NULL)
    return gtk_label_get_text (GTK_LABEL (avatar_test_ui_find_widget (toast, is_label, NULL)));

  if (g_strcmp0 (avatar_test_ui_get_page (window), "error") == 0)
    return adw_status_page_get_description (avatar_test_ui_get_child (window, "error_page"));

  return NULL;
}

AvatarImage *
avatar_test_ui_get_image (AvatarWindow *window)
{
  g_autoptr (AvatarImage) image = NULL;

  g_object_get (window, "image", &image, NULL);

  return image;
}

AvatarFlow *
avatar_test_ui_get_flow (AvatarWindow *window)
{
  g_autoptr (AvatarFlow) flow = NULL;

  g_object_get (window, "flow", &flow, NULL);

  return flow;
}

/* A copy of a boxed property that stays valid as long as the window: each
 * value is kept, under @name, and a new copy is made only when it changed. */
static gpointer
get_boxed (AvatarWindow   *window,
           const char     *name,
           GDestroyNotify  free_func,
           gboolean      (*equal) (gconstpointer a, gconstpointer b))
{
  g_autofree char *key = g_strconcat ("avatar-test-ui-", name, NULL);
  GPtrArray *kept = g_object_get_data (G_OBJECT (window), key);
  gpointer value = NULL;

  g_object_get (window, name, &value, NULL);
  if (value == NULL)
    return NULL;

  if (kept == NULL)
    {
      kept = g_ptr_array_new_with_free_func (free_func);
      g_object_set_data_full (G_OBJECT (window), key, kept, (GDestroyNotify) g_ptr_array_unref);
    }
  if (kept->len > 0 && equal (value, g_ptr_array_index (kept, kept->len - 1)))
    {
      free_func (value);
      return g_ptr_array_index (kept, kept->len - 1);
    }
  g_ptr_array_add (kept, value);

  return value;
}

static gboolean
profile_equal (gconstpointer a,
               gconstpointer b)
{
  const AvatarProfile *pa = a, *pb = b;

  return g_strcmp0 (pa->id, pb->id) == 0 && g_strcmp0 (pa->username, pb->username) == 0 &&
         g_strcmp0 (pa->avatar_url, pb->avatar_url) == 0;
}

const AvatarProfile *
avatar_test_ui_get_profile (AvatarWindow *window)
{
  return get_boxed (window, "profile", (GDestroyNotify) avatar_profile_free, profile_equal);
}

static gboolean
prepared_equal (gconstpointer a,
                gconstpointer b)
{
  const AvatarPrepared *pa = a, *pb = b;

  return pa->bytes == pb->bytes && g_strcmp0 (pa->content_type, pb->content_type) == 0 &&
         pa->width == pb->width && pa->height == pb->height &&
         pa->passthrough == pb->passthrough && pa->changes == pb->changes;
}

const AvatarPrepared *
avatar_test_ui_get_prepared (AvatarWindow *window)
{
  return get_boxed (window, "prepared", (GDestroyNotify) avatar_prepared_free, prepared_equal);
}

GdkTexture *
avatar_test_ui_get_variant_texture (AvatarWindow      *window,
                                    AvatarVariantKind  kind)
{
  const char *rows[AVATAR_N_VARIANTS] = {
    "variant_44", "variant_48", "variant_60", "variant_original", "variant_raw",
  };

  g_assert_cmpuint (kind, <, AVATAR_N_VARIANTS);

  return avatar_variant_row_get_texture (avatar_test_ui_get_child (window, rows[kind]));
}

/* libadwaita 1.5 asks inside the window, with an AdwAlertDialog; 1.2 in a
 * window of its own, an AdwMessageDialog. */
GtkWidget *
avatar_test_ui_get_remove_dialog (AvatarWindow *window)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  AdwDialog *dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window));

  return ADW_IS_ALERT_DIALOG (dialog) ? GTK_WIDGET (dialog) : NULL;
#else
  return GTK_WIDGET (avatar_test_ui_find_window (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (window)));
#endif
}

GtkWidget *
avatar_test_ui_get_account_dialog (AvatarWindow *window)
{
  return GTK_WIDGET (avatar_test_ui_find_window (AVATAR_TYPE_ACCOUNT_DIALOG, GTK_WINDOW (window)));
}

static gboolean
is_pulsing (GtkWidget     *widget,
            gconstpointer  data)
{
  return gtk_widget_has_css_class (widget, "pulse");
}

/* A bar in activity mode gives its progress node the "pulse" style class. */
gboolean
avatar_test_ui_is_progress_pulsing (AvatarWindow *window)
{
  return avatar_test_ui_find_widget (avatar_test_ui_get_child (window, "progress_bar"), is_pulsing, NULL) != NULL;
}

GtkWindow *
avatar_test_ui_find_window (GType      type,
                            GtkWindow *parent)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) &&
          (parent == NULL || gtk_window_get_transient_for (window) == parent))
        return window;
    }

  return NULL;
}

GtkWindow *
avatar_test_ui_find_shortcuts_window (void)
{
  GtkWindow *window = avatar_test_ui_find_window (GTK_TYPE_SHORTCUTS_WINDOW, NULL);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window)) ? window : NULL;
}

AvatarWindow *
avatar_test_ui_get_active_window (AvatarApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  return AVATAR_IS_WINDOW (window) ? AVATAR_WINDOW (window) : NULL;
}

void
avatar_test_ui_run_app (AvatarTestUi *ui,
                        const char   *path,
                        GSourceFunc   scenario,
                        gpointer      data)
{
  char *argv[] = {
    (char *) "avatar-uploader",
    (char *) "--server", ui->server->base_url,
    (char *) "--app-id", ui->server->app_id,
    (char *) path,
    NULL
  };
  /* Without a path, the list ends where it would be. */
  int argc = path != NULL ? G_N_ELEMENTS (argv) - 1 : G_N_ELEMENTS (argv) - 2;
  int status;

  /* The tokens come through the environment, as build-aux/run gives them. */
  g_setenv ("AVATAR_TOKEN", ui->access_token, TRUE);
  g_setenv ("AVATAR_REFRESH_TOKEN", ui->refresh_token, TRUE);

  g_idle_add (scenario, data);
  status = g_application_run (G_APPLICATION (ui->app), argc, argv);

  g_unsetenv ("AVATAR_TOKEN");
  g_unsetenv ("AVATAR_REFRESH_TOKEN");

  g_assert_cmpint (status, ==, 0);
}
