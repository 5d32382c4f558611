/* avatar-crop-preview.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-crop-preview.h"

struct _AvatarCropPreview
{
  GtkWidget       parent_instance;

  int             size;
  AvatarCropArea *crop_area;
};

G_DEFINE_FINAL_TYPE (AvatarCropPreview, avatar_crop_preview, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SIZE,
  PROP_CROP_AREA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_accessible_label (AvatarCropPreview *self)
{
  g_autofree char *label = NULL;

  /* Translators: an image that previews the avatar at a size in pixels. */
  label = g_strdup_printf (_("Preview at %d pixels"), self->size);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
}

static void
avatar_crop_preview_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  AvatarCropPreview *self = AVATAR_CROP_PREVIEW (widget);
  GdkTexture *texture;
  GskRoundedRect circle;
  AvatarCrop crop;
  double texture_scale;
  double scale;
  int source_width;

  if (self->crop_area == NULL || (texture = avatar_crop_area_get_texture (self->crop_area)) == NULL)
    return;

  source_width = avatar_crop_area_get_source_width (self->crop_area);
  avatar_crop_area_get_crop (self->crop_area, &crop);
  if (source_width <= 0 || crop.size <= 0)
    return;

  /* The texture may be a scaled-down preview of the source. */
  texture_scale = (double) gdk_texture_get_width (texture) / source_width;
  scale = self->size / (crop.size * texture_scale);

  gsk_rounded_rect_init_from_rect (&circle, &GRAPHENE_RECT_INIT (0, 0, self->size, self->size),
                                   self->size / 2.0);
  gtk_snapshot_push_rounded_clip (snapshot, &circle);
  /* Turned, then mirrored, about the middle, as the square will be sent. */
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (self->size / 2.0, self->size / 2.0));
  if (crop.flip)
    gtk_snapshot_scale (snapshot, -1, 1);
  gtk_snapshot_rotate (snapshot, 90 * crop.turns);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-self->size / 2.0, -self->size / 2.0));
  gtk_snapshot_append_texture (snapshot, texture,
                               &GRAPHENE_RECT_INIT (-crop.x * texture_scale * scale,
                                                    -crop.y * texture_scale * scale,
                                                    gdk_texture_get_width (texture) * scale,
                                                    gdk_texture_get_height (texture) * scale));
  gtk_snapshot_restore (snapshot);
  gtk_snapshot_pop (snapshot);
}

static void
avatar_crop_preview_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  AvatarCropPreview *self = AVATAR_CROP_PREVIEW (widget);

  *minimum = *natural = self->size;
}

static void
crop_changed_cb (AvatarCropPreview *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
avatar_crop_preview_set_crop_area (AvatarCropPreview *self,
                                   AvatarCropArea    *crop_area)
{
  g_return_if_fail (AVATAR_IS_CROP_PREVIEW (self));
  g_return_if_fail (crop_area == NULL || AVATAR_IS_CROP_AREA (crop_area));

  if (self->crop_area == crop_area)
    return;

  if (self->crop_area != NULL)
    g_signal_handlers_disconnect_by_func (self->crop_area, crop_changed_cb, self);

  g_set_object (&self->crop_area, crop_area);

  if (crop_area != NULL)
    g_signal_connect_object (crop_area, "crop-changed", G_CALLBACK (crop_changed_cb), self,
                             G_CONNECT_SWAPPED);

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CROP_AREA]);
}

int
avatar_crop_preview_get_size (AvatarCropPreview *self)
{
  g_return_val_if_fail (AVATAR_IS_CROP_PREVIEW (self), 0);

  return self->size;
}

static void
avatar_crop_preview_dispose (GObject *object)
{
  AvatarCropPreview *self = AVATAR_CROP_PREVIEW (object);

  avatar_crop_preview_set_crop_area (self, NULL);

  G_OBJECT_CLASS (avatar_crop_preview_parent_class)->dispose (object);
}

static void
avatar_crop_preview_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  AvatarCropPreview *self = AVATAR_CROP_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      g_value_set_int (value, self->size);
      break;
    case PROP_CROP_AREA:
      g_value_set_object (value, self->crop_area);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_crop_preview_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  AvatarCropPreview *self = AVATAR_CROP_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      if (self->size != g_value_get_int (value))
        {
          self->size = g_value_get_int (value);
          update_accessible_label (self);
          gtk_widget_queue_resize (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_CROP_AREA:
      avatar_crop_preview_set_crop_area (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_crop_preview_class_init (AvatarCropPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = avatar_crop_preview_dispose;
  object_class->get_property = avatar_crop_preview_get_property;
  object_class->set_property = avatar_crop_preview_set_property;

  widget_class->snapshot = avatar_crop_preview_snapshot;
  widget_class->measure = avatar_crop_preview_measure;

  properties[PROP_SIZE] =
    g_param_spec_int ("size", NULL, NULL,
                      16, 512, 48,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CROP_AREA] =
    g_param_spec_object ("crop-area", NULL, NULL,
                         AVATAR_TYPE_CROP_AREA,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "avatar-crop-preview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
avatar_crop_preview_init (AvatarCropPreview *self)
{
  self->size = 48;
  update_accessible_label (self);
  gtk_widget_set_halign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
}

GtkWidget *
avatar_crop_preview_new (int size)
{
  return g_object_new (AVATAR_TYPE_CROP_PREVIEW, "size", size, NULL);
}
