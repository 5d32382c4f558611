/* avatar-variant-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-enums.h"
#include "avatar-variant-row.h"

#define LARGEST_LIST_SIZE 60

struct _AvatarVariantRow
{
  AdwActionRow       parent_instance;

  AvatarVariantKind  kind;
  char              *url;
  GdkTexture        *texture;
  AdwAvatar         *avatar;
  /* The full sizes are square: shown as they are, not round. */
  GtkPicture        *picture;
  GtkButton         *copy_button;
};

G_DEFINE_FINAL_TYPE (AvatarVariantRow, avatar_variant_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_KIND,
  N_PROPS
};

enum {
  URL_COPIED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static int
kind_pixel_size (AvatarVariantKind kind)
{
  switch (kind)
    {
    case AVATAR_VARIANT_44:
      return 44;
    case AVATAR_VARIANT_48:
      return 48;
    case AVATAR_VARIANT_60:
      return 60;
    case AVATAR_VARIANT_ORIGINAL:
    case AVATAR_VARIANT_RAW:
    case AVATAR_N_VARIANTS:
    default:
      return 0;
    }
}

static const char *
kind_title (AvatarVariantKind kind)
{
  switch (kind)
    {
    case AVATAR_VARIANT_44:
      return _("44 px");
    case AVATAR_VARIANT_48:
      return _("48 px");
    case AVATAR_VARIANT_60:
      return _("60 px");
    case AVATAR_VARIANT_ORIGINAL:
      return _("Original");
    case AVATAR_VARIANT_RAW:
      return _("As Uploaded");
    case AVATAR_N_VARIANTS:
    default:
      return "";
    }
}

static void
copy_clicked_cb (AvatarVariantRow *self)
{
  if (self->url == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->url);
  g_signal_emit (self, signals[URL_COPIED], 0);
}

static void
update_kind (AvatarVariantRow *self)
{
  int size = kind_pixel_size (self->kind);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), kind_title (self->kind));

  gtk_widget_set_visible (GTK_WIDGET (self->avatar), size > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->picture), size == 0);
  if (size > 0)
    {
      /* At the start of the room of the largest list size, so that the
       * pictures' edges and the titles line up, as in a list of people. */
      adw_avatar_set_size (self->avatar, size);
      gtk_widget_set_margin_start (GTK_WIDGET (self->avatar), 0);
      gtk_widget_set_margin_end (GTK_WIDGET (self->avatar), LARGEST_LIST_SIZE - size);
    }
}

static void
avatar_variant_row_dispose (GObject *object)
{
  AvatarVariantRow *self = AVATAR_VARIANT_ROW (object);

  g_clear_object (&self->texture);
  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (avatar_variant_row_parent_class)->dispose (object);
}

static void
avatar_variant_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  AvatarVariantRow *self = AVATAR_VARIANT_ROW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_variant_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  AvatarVariantRow *self = AVATAR_VARIANT_ROW (object);

  switch (prop_id)
    {
    case PROP_KIND:
      if (self->kind != (AvatarVariantKind) g_value_get_enum (value))
        {
          self->kind = g_value_get_enum (value);
          update_kind (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_variant_row_class_init (AvatarVariantRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = avatar_variant_row_dispose;
  object_class->get_property = avatar_variant_row_get_property;
  object_class->set_property = avatar_variant_row_set_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       AVATAR_TYPE_VARIANT_KIND, AVATAR_VARIANT_44,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AvatarVariantRow::url-copied:
   *
   * The variant's URL was put on the clipboard.
   */
  signals[URL_COPIED] =
    g_signal_new ("url-copied",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
avatar_variant_row_init (AvatarVariantRow *self)
{
  self->avatar = ADW_AVATAR (adw_avatar_new (44, NULL, FALSE));
  gtk_widget_set_valign (GTK_WIDGET (self->avatar), GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (GTK_WIDGET (self->avatar), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->avatar), 6);
  adw_action_row_add_prefix (ADW_ACTION_ROW (self), GTK_WIDGET (self->avatar));

  self->picture = GTK_PICTURE (gtk_picture_new ());
  gtk_picture_set_can_shrink (self->picture, TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->picture), LARGEST_LIST_SIZE, LARGEST_LIST_SIZE);
  gtk_widget_set_valign (GTK_WIDGET (self->picture), GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (GTK_WIDGET (self->picture), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->picture), 6);
  gtk_widget_set_overflow (GTK_WIDGET (self->picture), GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (GTK_WIDGET (self->picture), "result-picture");
  adw_action_row_add_prefix (ADW_ACTION_ROW (self), GTK_WIDGET (self->picture));

  self->copy_button = GTK_BUTTON (gtk_button_new_from_icon_name ("edit-copy-symbolic"));
  gtk_widget_set_valign (GTK_WIDGET (self->copy_button), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->copy_button), _("Copy URL"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy URL"),
                                  -1);
  gtk_widget_add_css_class (GTK_WIDGET (self->copy_button), "flat");
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_button), FALSE);
  g_signal_connect_object (self->copy_button, "clicked", G_CALLBACK (copy_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), GTK_WIDGET (self->copy_button));

  self->kind = AVATAR_VARIANT_44;
  update_kind (self);
}

AvatarVariantRow *
avatar_variant_row_new (AvatarVariantKind kind)
{
  return g_object_new (AVATAR_TYPE_VARIANT_ROW, "kind", kind, NULL);
}

AvatarVariantKind
avatar_variant_row_get_kind (AvatarVariantRow *self)
{
  g_return_val_if_fail (AVATAR_IS_VARIANT_ROW (self), AVATAR_VARIANT_44);

  return self->kind;
}

void
avatar_variant_row_set_variant (AvatarVariantRow    *self,
                                const AvatarVariant *variant)
{
  g_autofree char *size = NULL;
  g_autofree char *subtitle = NULL;

  g_return_if_fail (AVATAR_IS_VARIANT_ROW (self));

  g_clear_pointer (&self->url, g_free);
  avatar_variant_row_set_texture (self, NULL);

  if (variant == NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self), "");
      gtk_widget_set_sensitive (GTK_WIDGET (self->copy_button), FALSE);
      return;
    }

  self->url = g_strdup (variant->url);
  size = g_format_size (variant->byte_size);
  /* Translators: a picture's width and height in pixels, then its size in bytes, e.g. "48 × 48 pixels, 2.1 kB". */
  subtitle = g_strdup_printf (_("%d × %d pixels, %s"), variant->width, variant->height, size);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_button), self->url != NULL);
}

void
avatar_variant_row_set_texture (AvatarVariantRow *self,
                                GdkTexture       *texture)
{
  g_return_if_fail (AVATAR_IS_VARIANT_ROW (self));
  g_return_if_fail (texture == NULL || GDK_IS_TEXTURE (texture));

  if (!g_set_object (&self->texture, texture))
    return;

  adw_avatar_set_custom_image (self->avatar, GDK_PAINTABLE (texture));
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
}

GdkTexture *
avatar_variant_row_get_texture (AvatarVariantRow *self)
{
  g_return_val_if_fail (AVATAR_IS_VARIANT_ROW (self), NULL);

  return self->texture;
}
