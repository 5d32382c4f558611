/* avatar-broadway.c
 *
 * A workaround for GTK's pointer grabs under Broadway.
 *
 * When a button goes down, GTK gives the widget under the pointer an
 * implicit grab and ends it on the release, whose modifier state X11 and
 * Wayland report from just before the release, with the button still down.
 * Broadway's web page (gtk4-broadwayd's broadway.js, onMouseUp) sends the
 * state from just after it, without the button, and GTK 4.8 then keeps the
 * grab: the widget pressed last goes on taking every press and motion in the
 * window until the pointer leaves it. After a drag on the zoom slider, the
 * slider jumps to every later click; after a click on a button, clicks
 * anywhere else go to that button and do nothing. GTK 4.18 does the same,
 * and there the gesture of the widget that claimed the press (the scale, not
 * the part of it that was pressed) goes on too. GTK drops the implicit grab
 * and resets the gestures of a widget whose state changes, so after such a
 * release the window is made insensitive and sensitive again, before the
 * next event is handled. GTK 4.18 (not 4.8) also counts the presses that
 * make the pressed widget and its parents active: the release has taken its
 * press back already although the grab stays, and ending the grab takes it
 * back once more, which GTK reports as broken accounting. So the press is
 * first given to GTK once more, during the release, where it counts again
 * and the window stops it before any widget sees it. Nothing else sends a
 * release without its button, so X11 and Wayland sessions are left alone.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-broadway.h"

#ifdef GDK_WINDOWING_BROADWAY

#include <gdk/broadway/gdkbroadway.h>

#define BUTTONS_MASK (GDK_BUTTON1_MASK | GDK_BUTTON2_MASK | GDK_BUTTON3_MASK | \
                      GDK_BUTTON4_MASK | GDK_BUTTON5_MASK)

/* The last press in one window, while it is given to GTK once more. */
typedef struct
{
  GdkEvent *press;
  gboolean  replaying;
} Grab;

static void
grab_free (gpointer  data,
           GClosure *closure)
{
  Grab *grab = data;

  g_clear_pointer (&grab->press, gdk_event_unref);
  g_free (grab);
}

static gboolean
end_grab (gpointer data)
{
  GtkWidget *window = data;
  g_autoptr (GtkWidget) focus = NULL;

  if (!gtk_widget_get_realized (window) || !gtk_widget_get_sensitive (window))
    return G_SOURCE_REMOVE;

  /* Insensitive for a moment, with no frame drawn in between; the focus
   * leaves an insensitive widget, so it is given back. */
  if (gtk_root_get_focus (GTK_ROOT (window)) != NULL)
    focus = g_object_ref (gtk_root_get_focus (GTK_ROOT (window)));
  gtk_widget_set_sensitive (window, FALSE);
  gtk_widget_set_sensitive (window, TRUE);
  if (focus != NULL && gtk_root_get_focus (GTK_ROOT (window)) != focus)
    gtk_widget_grab_focus (focus);

  return G_SOURCE_REMOVE;
}

static gboolean
event_cb (GtkEventControllerLegacy *controller,
          GdkEvent                 *event,
          Grab                     *grab)
{
  GtkWidget *window = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GdkEventType type = gdk_event_get_event_type (event);
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  gboolean handled;

  /* Popovers have grabs of their own. */
  if (gdk_event_get_surface (event) != surface)
    return GDK_EVENT_PROPAGATE;

  /* The press given once more: counted by GTK, seen by no widget. */
  if (grab->replaying)
    return type == GDK_BUTTON_PRESS ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;

  if (type == GDK_BUTTON_PRESS)
    {
      g_clear_pointer (&grab->press, gdk_event_unref);
      grab->press = gdk_event_ref (event);
    }
  else if (type == GDK_BUTTON_RELEASE && grab->press != NULL &&
           (gdk_event_get_modifier_state (event) & BUTTONS_MASK) == 0)
    {
      g_autoptr (GdkEvent) press = g_steal_pointer (&grab->press);

      /* As GtkWindow gives GTK the events of its surface. */
      grab->replaying = TRUE;
      g_signal_emit_by_name (surface, "event", press, &handled);
      grab->replaying = FALSE;

      /* After the release has reached the widget, before the next event. */
      g_idle_add_full (G_PRIORITY_HIGH, end_grab, g_object_ref (window), g_object_unref);
    }

  return GDK_EVENT_PROPAGATE;
}

#endif

void
avatar_broadway_release_grabs (GtkWindow *window)
{
#ifdef GDK_WINDOWING_BROADWAY
  GtkEventController *controller;

  g_return_if_fail (GTK_IS_WINDOW (window));

  if (!GDK_IS_BROADWAY_DISPLAY (gtk_widget_get_display (GTK_WIDGET (window))))
    return;

  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_name (controller, "avatar-broadway-release-grabs");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_data (controller, "event", G_CALLBACK (event_cb), g_new0 (Grab, 1),
                         grab_free, 0);
  gtk_widget_add_controller (GTK_WIDGET (window), controller);
#endif
}
