/* avatar-window-crop.c
 *
 * The crop page: loading a picture, and preparing what Upload will send as the crop changes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-window-private.h"

/* How long the crop must rest before the picture is prepared again. */
#define PREPARE_DELAY_MS 250

/* Takes @prepared, which may be NULL. */
static void
set_prepared (AvatarWindow   *self,
              AvatarPrepared *prepared)
{
  if (self->prepared == NULL && prepared == NULL)
    return;

  g_clear_pointer (&self->prepared, avatar_prepared_free);
  self->prepared = prepared;
  avatar_window_notify (self, PROP_PREPARED);
}

static void
show_image_error (AvatarWindow *self,
                  const GError *error)
{
  gboolean can_retry = FALSE;
  const char *message = avatar_window_describe_error (error, &can_retry);

  avatar_window_hide_banner (self);
  if (g_set_object (&self->image, NULL))
    avatar_window_notify (self, PROP_IMAGE);
  set_prepared (self, NULL);
  avatar_crop_area_set_picture (self->crop_area, NULL, 0, 0);

  avatar_window_show_error_page (self, "image-missing-symbolic", _("This Picture Cannot Be Used"), message,
                                 _("_Choose Another Picture…"), "win.open");
  avatar_window_set_page (self, "error");
}

static void
show_prepared (AvatarWindow *self)
{
  const AvatarPrepared *prepared = self->prepared;
  g_autofree char *size = NULL;
  g_autofree char *summary = NULL;
  g_auto (GStrv) changes = NULL;
  g_autofree char *changes_text = NULL;

  if (prepared == NULL)
    return;

  size = g_format_size (g_bytes_get_size (prepared->bytes));

  /* Translators: what will be uploaded: a type such as "JPEG", width and height in pixels, and bytes. */
  summary = g_strdup_printf (_("Sends a %s of %d × %d pixels, %s"),
                             avatar_prepared_get_format_name (prepared), prepared->width, prepared->height, size);
  gtk_label_set_label (self->prepared_label, summary);

  if (prepared->passthrough)
    {
      gtk_label_set_label (self->changes_label, _("The file is sent exactly as it is."));
      return;
    }

  changes = avatar_prepared_describe_changes (prepared);
  changes_text = g_strjoinv ("\n", changes);
  gtk_label_set_label (self->changes_label, changes_text);
}

static AvatarPrepareFlags
get_prepare_flags (AvatarWindow *self)
{
  return g_settings_get_boolean (self->settings, "keep-metadata")
           ? AVATAR_PREPARE_KEEP_METADATA : AVATAR_PREPARE_NONE;
}

static void
prepared_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarPrepared) prepared = NULL;
  gboolean can_retry = FALSE;

  prepared = avatar_image_prepare_finish (AVATAR_IMAGE (object), result, &error);
  if (is_cancelled (error) || avatar_window_is_closed (self) || AVATAR_IMAGE (object) != self->image)
    return;

  self->prepare_running = FALSE;
  set_prepared (self, g_steal_pointer (&prepared));

  if (self->prepared == NULL)
    {
      const char *message = avatar_window_describe_error (error, &can_retry);

      self->prepare_failed = TRUE;
      self->upload_when_prepared = FALSE;
      gtk_label_set_label (self->prepared_label, _("This picture cannot be uploaded"));
      gtk_label_set_label (self->changes_label, message);
    }
  else
    {
      self->prepare_failed = FALSE;
      self->prepared_crop = self->preparing_crop;
      self->prepared_flags = self->preparing_flags;
      show_prepared (self);
    }

  avatar_window_update_actions (self);

  if (self->upload_when_prepared && self->prepared != NULL)
    avatar_window_start_upload (self);
}

gboolean
avatar_window_prepare_now (gpointer user_data)
{
  AvatarWindow *self = user_data;
  GCancellable *cancellable;
  AvatarCrop crop;

  self->prepare_source = 0;

  if (self->image == NULL)
    return G_SOURCE_REMOVE;

  cancellable = restart_cancellable (&self->prepare_cancellable);
  avatar_crop_area_get_crop (self->crop_area, &crop);
  self->preparing_crop = crop;
  self->preparing_flags = get_prepare_flags (self);
  self->prepare_running = TRUE;
  avatar_image_prepare_async (self->image, &crop, self->preparing_flags, cancellable,
                              prepared_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

/* Whether the prepared picture is the one for the crop and settings shown. */
gboolean
avatar_window_prepared_is_current (AvatarWindow *self)
{
  AvatarCrop crop;

  if (self->prepared == NULL || self->prepare_running || self->prepare_source != 0)
    return FALSE;

  avatar_crop_area_get_crop (self->crop_area, &crop);
  return crop.x == self->prepared_crop.x && crop.y == self->prepared_crop.y &&
         crop.size == self->prepared_crop.size &&
         self->prepared_flags == get_prepare_flags (self);
}

/* The slider follows the crop, however it was zoomed: keys, scroll, pinch. */
static void
sync_zoom_scale (AvatarWindow *self)
{
  self->syncing_zoom = TRUE;
  gtk_adjustment_configure (self->zoom_adjustment,
                            avatar_crop_area_get_zoom (self->crop_area),
                            1.0, avatar_crop_area_get_max_zoom (self->crop_area),
                            0.1, 0.5, 0.0);
  self->syncing_zoom = FALSE;
}

void
avatar_window_zoom_changed_cb (AvatarWindow *self)
{
  if (!self->syncing_zoom)
    avatar_crop_area_set_zoom (self->crop_area, gtk_adjustment_get_value (self->zoom_adjustment));
}

void
avatar_window_crop_changed_cb (AvatarWindow *self)
{
  sync_zoom_scale (self);

  if (self->image == NULL)
    return;

  g_clear_handle_id (&self->prepare_source, g_source_remove);
  self->prepare_source = g_timeout_add (PREPARE_DELAY_MS, avatar_window_prepare_now, self);
}

static void
set_image (AvatarWindow *self,
           AvatarImage  *image)
{
  g_autoptr (GdkTexture) texture = NULL;

  avatar_window_hide_banner (self);
  if (g_set_object (&self->image, image))
    avatar_window_notify (self, PROP_IMAGE);
  /* A crop change then only cuts and encodes: see the README. */
  avatar_image_set_keep_pixels (image, TRUE);
  set_prepared (self, NULL);
  self->prepare_failed = FALSE;
  self->upload_when_prepared = FALSE;
  avatar_window_clear_flow (self);

  texture = gdk_texture_new_for_pixbuf (avatar_image_get_preview (image));
  gtk_label_set_label (self->prepared_label, _("Checking the picture…"));
  gtk_label_set_label (self->changes_label, "");
  avatar_crop_area_set_picture (self->crop_area, texture,
                                avatar_image_get_width (image), avatar_image_get_height (image));
  sync_zoom_scale (self);

  g_clear_handle_id (&self->prepare_source, g_source_remove);
  avatar_window_prepare_now (self);

  avatar_window_set_page (self, "crop");
  gtk_widget_grab_focus (GTK_WIDGET (self->crop_area));
}

static void
image_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarImage) image = NULL;

  /* Both loaders finish the same way. */
  if (g_async_result_is_tagged (result, avatar_image_load_bytes_async))
    image = avatar_image_load_bytes_finish (result, &error);
  else
    image = avatar_image_load_file_finish (result, &error);

  if (is_cancelled (error) || avatar_window_is_closed (self))
    return;

  self->loading_picture = FALSE;
  if (image == NULL)
    {
      self->restoring = FALSE;
      show_image_error (self, error);
      return;
    }

  set_image (self, image);
  /* Undo sends the removed avatar through the same steps as any picture. */
  if (self->restoring)
    avatar_window_start_upload (self);
}

static void
show_loading_picture (AvatarWindow *self,
                      const char   *display_name)
{
  g_autofree char *label = NULL;

  /* Translators: %s is a file name. */
  label = g_strdup_printf (_("Opening “%s”…"), display_name);
  gtk_label_set_label (self->loading_label, label);
  self->loading_picture = TRUE;
  avatar_window_set_page (self, "loading");
}

void
avatar_window_open_file (AvatarWindow *self,
                         GFile        *file)
{
  g_autofree char *name = NULL;
  GCancellable *cancellable;

  g_return_if_fail (AVATAR_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* A chooser or a paste may answer after the window closed. */
  if (avatar_window_is_closed (self) || avatar_window_is_busy (self))
    return;

  name = g_file_get_basename (file);
  show_loading_picture (self, name);

  cancellable = restart_cancellable (&self->load_cancellable);
  avatar_image_load_file_async (file, cancellable, image_loaded_cb, g_object_ref (self));
}

void
avatar_window_open_bytes (AvatarWindow *self,
                          GBytes       *bytes,
                          const char   *display_name)
{
  GCancellable *cancellable;

  g_return_if_fail (AVATAR_IS_WINDOW (self));
  g_return_if_fail (bytes != NULL);

  if (avatar_window_is_closed (self) || avatar_window_is_busy (self))
    return;

  show_loading_picture (self, display_name);

  cancellable = restart_cancellable (&self->load_cancellable);
  avatar_image_load_bytes_async (bytes, display_name, cancellable, image_loaded_cb, g_object_ref (self));
}
