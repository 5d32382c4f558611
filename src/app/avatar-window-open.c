/* avatar-window-open.c
 *
 * The ways a picture reaches the window: the file chooser, a drop, a paste.
 * All of them end in avatar_window_open_file() or avatar_window_open_bytes().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-window-private.h"

/* A failure the user should hear about: not a cancel, and a window to tell it in. */
static gboolean
is_worth_telling (AvatarWindow *self,
                  const GError *error)
{
  return error != NULL &&
         !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
         !avatar_window_is_closed (self);
}

static GListStore *
create_filters (GtkFileFilter **all_supported)
{
  static const struct {
    const char *name;
    const char *mime_type;
    const char *suffixes[3];
  } formats[] = {
    { N_("JPEG"), "image/jpeg", { "jpg", "jpeg", NULL } },
    { N_("PNG"), "image/png", { "png", NULL } },
    { N_("GIF"), "image/gif", { "gif", NULL } },
    { N_("WebP"), "image/webp", { "webp", NULL } },
  };
  GListStore *filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  GtkFileFilter *all = gtk_file_filter_new ();

  /* Whatever the installed loaders read: the picture is converted if needed. */
  gtk_file_filter_set_name (all, _("All supported images"));
  gtk_file_filter_add_pixbuf_formats (all);
  g_list_store_append (filters, all);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _(formats[i].name));
      gtk_file_filter_add_mime_type (filter, formats[i].mime_type);
      /* For portals and file systems that do not report types. */
      for (guint j = 0; formats[i].suffixes[j] != NULL; j++)
        gtk_file_filter_add_suffix (filter, formats[i].suffixes[j]);
      g_list_store_append (filters, filter);
    }

  *all_supported = all;

  return filters;
}

/* The setting holds a URI; an absolute path is taken too. */
static GFile *
dup_last_folder (AvatarWindow *self)
{
  g_autofree char *last_folder = g_settings_get_string (self->settings, "last-folder");
  g_autoptr (GFile) folder = NULL;

  if (last_folder[0] == '\0')
    return NULL;

  if (g_uri_peek_scheme (last_folder) != NULL)
    folder = g_file_new_for_uri (last_folder);
  else if (g_path_is_absolute (last_folder))
    folder = g_file_new_for_path (last_folder);
  else
    return NULL;

  return g_steal_pointer (&folder);
}

static GFile *
dup_pictures_folder (void)
{
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);

  return pictures != NULL ? g_file_new_for_path (pictures) : NULL;
}

/* Where the chooser starts next time: the folder of the file just chosen. */
static void
remember_folder (AvatarWindow *self,
                 GFile        *file)
{
  g_autoptr (GFile) folder = g_file_get_parent (file);
  g_autofree char *uri = NULL;

  if (folder == NULL)
    return;

  uri = g_file_get_uri (folder);
  g_settings_set_string (self->settings, "last-folder", uri);
}

static void
open_chosen_file (AvatarWindow *self,
                  GFile        *file)
{
  avatar_window_open_file (self, file);
  remember_folder (self, file);
}

#if GTK_CHECK_VERSION (4, 10, 0)
static void
file_dialog_done_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = gtk_file_dialog_open_finish (GTK_FILE_DIALOG (object), result, &error);

  if (avatar_window_is_closed (self))
    return;

  avatar_window_set_choosing (self, FALSE);
  /* Dismissing the dialog is a choice, not an error. */
  if (file != NULL)
    open_chosen_file (self, file);
}

static void
show_chooser (AvatarWindow *self,
              GFile        *folder)
{
  g_autoptr (GtkFileDialog) dialog = gtk_file_dialog_new ();
  g_autoptr (GtkFileFilter) all = NULL;
  g_autoptr (GListStore) filters = create_filters (&all);

  gtk_file_dialog_set_title (dialog, _("Choose a Picture"));
  gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
  gtk_file_dialog_set_default_filter (dialog, all);
  if (folder != NULL)
    gtk_file_dialog_set_initial_folder (dialog, folder);

  gtk_file_dialog_open (dialog, GTK_WINDOW (self), self->cancellable,
                        file_dialog_done_cb, g_object_ref (self));
}
#else
static void
file_chooser_response_cb (AvatarWindow         *self,
                          int                   response,
                          GtkFileChooserNative *chooser)
{
  avatar_window_set_choosing (self, FALSE);
  /* Dismissing the dialog is a choice, not an error. */
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        open_chosen_file (self, file);
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
show_chooser (AvatarWindow *self,
              GFile        *folder)
{
  GtkFileChooserNative *chooser;
  g_autoptr (GtkFileFilter) all = NULL;
  g_autoptr (GListStore) filters = create_filters (&all);

  chooser = gtk_file_chooser_native_new (_("Choose a Picture"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (filters)); i++)
    {
      g_autoptr (GtkFileFilter) filter = g_list_model_get_item (G_LIST_MODEL (filters), i);

      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    }
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (chooser), all);
  if (folder != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);

  /* The chooser holds a reference to itself until it answers. */
  g_signal_connect_object (chooser, "response", G_CALLBACK (file_chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
#endif

static void
last_folder_checked_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  GFile *last_folder = G_FILE (object);
  g_autoptr (GFileInfo) info = g_file_query_info_finish (last_folder, result, NULL);
  g_autoptr (GFile) pictures = NULL;

  if (avatar_window_is_closed (self))
    return;

  /* A folder since removed, or on a volume no longer mounted. */
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      show_chooser (self, last_folder);
      return;
    }

  pictures = dup_pictures_folder ();
  show_chooser (self, pictures);
}

void
avatar_window_choose_file (AvatarWindow *self)
{
  g_autoptr (GFile) last_folder = dup_last_folder (self);
  g_autoptr (GFile) pictures = NULL;

  avatar_window_set_choosing (self, TRUE);

  /* Whether the folder is still there is asked off the main loop, and only
   * of local folders: a remote one could keep the chooser waiting. */
  if (last_folder != NULL && g_file_is_native (last_folder))
    {
      g_file_query_info_async (last_folder, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                               G_PRIORITY_DEFAULT, self->cancellable,
                               last_folder_checked_cb, g_object_ref (self));
      return;
    }

  if (last_folder != NULL)
    {
      show_chooser (self, last_folder);
      return;
    }

  pictures = dup_pictures_folder ();
  show_chooser (self, pictures);
}

/* --- Drop and paste ------------------------------------------------------- */

/* A picture dropped from another app arrives decoded; it is encoded back to
 * PNG off the main thread, so that it goes the same way as a file. */
static void
encode_texture_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  g_task_return_pointer (task, gdk_texture_save_to_png_bytes (task_data),
                         (GDestroyNotify) g_bytes_unref);
}

static void
dropped_texture_encoded_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  AvatarWindow *self = AVATAR_WINDOW (object);
  g_autoptr (GBytes) bytes = g_task_propagate_pointer (G_TASK (result), NULL);

  if (bytes == NULL || avatar_window_is_closed (self))
    return;

  avatar_window_open_bytes (self, bytes, _("Dropped Picture"));
}

static gboolean
drop_cb (AvatarWindow  *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  if (avatar_window_is_busy (self))
    return FALSE;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

      if (files == NULL)
        return FALSE;

      avatar_window_open_file (self, files->data);
      g_slist_free (files);

      return TRUE;
    }

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    {
      g_autoptr (GTask) task = NULL;

      task = g_task_new (self, self->cancellable, dropped_texture_encoded_cb, NULL);

      g_task_set_source_tag (task, drop_cb);
      g_task_set_task_data (task, g_value_dup_object (value), g_object_unref);
      g_task_run_in_thread (task, encode_texture_thread);

      return TRUE;
    }

  return FALSE;
}

static void
pasted_bytes_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  GOutputStream *memory = G_OUTPUT_STREAM (object);
  g_autoptr (GBytes) bytes = NULL;

  if (g_output_stream_splice_finish (memory, result, &error) < 0 || avatar_window_is_closed (self))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        avatar_window_show_toast (self, _("The pasted picture is too big"));
      else if (is_worth_telling (self, error))
        avatar_window_show_toast (self, _("The pasted picture could not be read"));
      return;
    }

  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
  avatar_window_open_bytes (self, bytes, _("Pasted Picture"));
}

/* Another program decides how much it pastes: the buffer stops growing
 * where no picture could be, and the copy then fails with NO_SPACE. */
static gpointer
bounded_realloc (gpointer data,
                 gsize    size)
{
  if (size > AVATAR_IMAGE_MAX_FILE_BYTES)
    return NULL;

  return g_try_realloc (data, size);
}

static void
pasted_stream_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GOutputStream) memory = NULL;

  stream = gdk_clipboard_read_finish (GDK_CLIPBOARD (object), result, NULL, &error);
  if (stream == NULL || avatar_window_is_closed (self))
    {
      if (is_worth_telling (self, error))
        avatar_window_show_toast (self, _("The pasted picture could not be read"));
      return;
    }

  memory = g_memory_output_stream_new (NULL, 0, bounded_realloc, g_free);
  g_output_stream_splice_async (memory, stream,
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, self->cancellable,
                                pasted_bytes_cb, g_object_ref (self));
}

static void
pasted_files_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  const GValue *value;
  GSList *files;

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (object), result, &error);
  if (value == NULL || avatar_window_is_closed (self))
    {
      if (is_worth_telling (self, error))
        avatar_window_show_toast (self, _("The pasted file could not be read"));
      return;
    }

  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files != NULL)
    avatar_window_open_file (self, files->data);
  g_slist_free (files);
}

void
avatar_window_paste (AvatarWindow *self)
{
  static const char *image_types[] = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff", NULL
  };
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    {
      gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT,
                                      self->cancellable, pasted_files_cb, g_object_ref (self));
      return;
    }

  for (guint i = 0; image_types[i] != NULL; i++)
    if (gdk_content_formats_contain_mime_type (formats, image_types[i]))
      {
        /* The raw bytes: decoding happens in libavatar's worker thread. */
        gdk_clipboard_read_async (clipboard, image_types, G_PRIORITY_DEFAULT,
                                  self->cancellable, pasted_stream_cb, g_object_ref (self));
        return;
      }

  avatar_window_show_toast (self, _("There is no picture to paste"));
}

GtkEventController *
avatar_window_create_drop_target (AvatarWindow *self)
{
  GtkDropTarget *drop_target;

  drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (drop_target, (GType[]) { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE }, 2);
  g_signal_connect_object (drop_target, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);

  return GTK_EVENT_CONTROLLER (drop_target);
}
