/* avatar-test-broadway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-test-broadway.h"

#include <libsoup/soup.h>

void
avatar_test_ui_init (int    *argc,
                     char ***argv)
{
  g_setenv ("LANGUAGE", "C", TRUE);
  gtk_test_init (argc, argv, NULL);
  /* Screenshots show the page itself, not a transition into it. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

gboolean
avatar_test_ui_wait_until (gboolean  (*cond) (gpointer data),
                           gpointer    data,
                           guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      /* Non-blocking, so the deadline is checked even when nothing happens. */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }

  return TRUE;
}

typedef struct
{
  GtkWindow *window;
  guint      paints;
  guint      paints_at_start;
} PaintWait;

static void
after_paint_cb (GdkFrameClock *clock,
                PaintWait     *wait)
{
  wait->paints++;
  /* A window at rest paints once per request: ask for the next frame. */
  if (wait->paints < wait->paints_at_start + 2)
    gtk_widget_queue_draw (GTK_WIDGET (wait->window));
}

static gboolean
is_painted (gpointer data)
{
  PaintWait *wait = data;

  return gtk_widget_get_mapped (GTK_WIDGET (wait->window)) &&
         gtk_widget_get_width (GTK_WIDGET (wait->window)) > 0 &&
         wait->paints >= wait->paints_at_start + 2;
}

static gboolean
is_realized (gpointer data)
{
  return gtk_widget_get_realized (GTK_WIDGET (data)) && gtk_widget_get_mapped (GTK_WIDGET (data));
}

void
avatar_test_ui_wait_for_paint (GtkWindow *window)
{
  PaintWait wait = { window, 0, 0 };
  GdkFrameClock *clock;
  gulong handler;

  g_assert_true (avatar_test_ui_wait_until (is_realized, window, 20000));

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &wait);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  gtk_widget_queue_resize (GTK_WIDGET (window));
  g_assert_true (avatar_test_ui_wait_until (is_painted, &wait, 20000));
  g_signal_handler_disconnect (clock, handler);
}

void
avatar_test_ui_save_screenshot (GtkWidget  *widget,
                                const char *name)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width, height;

  avatar_test_ui_wait_for_paint (GTK_WINDOW (gtk_widget_get_root (widget)));

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                          "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

gboolean
avatar_test_ui_press_key (GtkWidget       *widget,
                          guint            keyval,
                          GdkModifierType  state)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
    }

  return handled;
}

/* The web page's input messages (broadway.js): big-endian 32-bit words, the
 * event type, a serial, a time, then the event's fields. */
enum {
  BROADWAY_EVENT_ENTER = 0,
  BROADWAY_EVENT_POINTER_MOVE = 2,
  BROADWAY_EVENT_BUTTON_PRESS = 3,
  BROADWAY_EVENT_BUTTON_RELEASE = 4,
  BROADWAY_EVENT_ROUNDTRIP_NOTIFY = 14,
};

/* What the display sends the page: an 8-bit operation, a 32-bit serial and
 * the operation's fields, little-endian. */
enum {
  BROADWAY_OP_GRAB_POINTER = 0,
  BROADWAY_OP_UNGRAB_POINTER = 1,
  BROADWAY_OP_NEW_SURFACE = 2,
  BROADWAY_OP_SHOW_SURFACE = 3,
  BROADWAY_OP_HIDE_SURFACE = 4,
  BROADWAY_OP_RAISE_SURFACE = 5,
  BROADWAY_OP_LOWER_SURFACE = 6,
  BROADWAY_OP_DESTROY_SURFACE = 7,
  BROADWAY_OP_MOVE_RESIZE = 8,
  BROADWAY_OP_SET_TRANSIENT_FOR = 9,
  BROADWAY_OP_DISCONNECTED = 10,
  BROADWAY_OP_SET_SHOW_KEYBOARD = 12,
  BROADWAY_OP_UPLOAD_TEXTURE = 13,
  BROADWAY_OP_RELEASE_TEXTURE = 14,
  BROADWAY_OP_SET_NODES = 15,
  BROADWAY_OP_ROUNDTRIP = 16,
};

/* Surface ids tried while looking for the window: the display numbers its
 * surfaces from 1, one for each window, popover and tooltip ever shown. */
#define MAX_SURFACE_ID 5000

struct _AvatarTestPointer
{
  GtkWindow               *window;
  GtkEventController      *controller;
  SoupSession             *session;
  SoupWebsocketConnection *socket;
  guint32                  surface_id;
  guint32                  serial;
  guint32                  time;
  /* Where the pointer is, in the window's surface, and its buttons. */
  int                      x;
  int                      y;
  guint32                  state;
  /* What the window has received. */
  guint                    presses;
  guint                    releases;
  double                   motion_x;
  double                   motion_y;
  gboolean                 moved;
};

static gboolean
pointer_event_cb (GtkEventControllerLegacy *controller,
                  GdkEvent                 *event,
                  AvatarTestPointer        *pointer)
{
  switch ((int) gdk_event_get_event_type (event))
    {
    case GDK_MOTION_NOTIFY:
      gdk_event_get_position (event, &pointer->motion_x, &pointer->motion_y);
      pointer->moved = TRUE;
      break;
    case GDK_BUTTON_PRESS:
      pointer->presses++;
      break;
    case GDK_BUTTON_RELEASE:
      pointer->releases++;
      break;
    default:
      break;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
pointer_send (AvatarTestPointer *pointer,
              guint32            type,
              guint32            surface_id,
              int                x,
              int                y,
              guint32            button)
{
  guint32 words[11] = {
    type, pointer->serial, pointer->time += 10, surface_id, surface_id,
    x, y, x, y, pointer->state, button,
  };
  guint n_words = type == BROADWAY_EVENT_POINTER_MOVE ? 10 : 11;

  for (guint i = 0; i < n_words; i++)
    words[i] = GUINT32_TO_BE (words[i]);
  soup_websocket_connection_send_binary (pointer->socket, words, n_words * sizeof (guint32));
}

static guint32
read_le (const guint8 *data,
         gsize         size,
         gsize        *pos,
         guint         n_bytes)
{
  guint32 value = 0;

  g_assert_cmpuint (*pos + n_bytes, <=, size);
  for (guint i = 0; i < n_bytes; i++)
    value |= (guint32) data[*pos + i] << (8 * i);
  *pos += n_bytes;

  return value;
}

/* The display waits for the page to have drawn each frame before the app
 * draws the next, and the app handles no input until then: the page's part
 * is played here, answering every roundtrip, as broadway.js does. */
static void
message_cb (SoupWebsocketConnection *socket,
            int                      type,
            GBytes                  *message,
            AvatarTestPointer       *pointer)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (message, &size);
  gsize pos = 0;

  while (pos < size)
    {
      guint op = read_le (data, size, &pos, 1);
      guint flags;

      pointer->serial = read_le (data, size, &pos, 4);
      switch (op)
        {
        case BROADWAY_OP_UNGRAB_POINTER:
        case BROADWAY_OP_DISCONNECTED:
          break;
        case BROADWAY_OP_GRAB_POINTER:
          pos += 3;
          break;
        case BROADWAY_OP_NEW_SURFACE:
          pos += 10;
          break;
        case BROADWAY_OP_SHOW_SURFACE:
        case BROADWAY_OP_HIDE_SURFACE:
        case BROADWAY_OP_RAISE_SURFACE:
        case BROADWAY_OP_LOWER_SURFACE:
        case BROADWAY_OP_DESTROY_SURFACE:
        case BROADWAY_OP_SET_SHOW_KEYBOARD:
          pos += 2;
          break;
        case BROADWAY_OP_SET_TRANSIENT_FOR:
        case BROADWAY_OP_RELEASE_TEXTURE:
          pos += 4;
          break;
        case BROADWAY_OP_MOVE_RESIZE:
          pos += 2;
          flags = read_le (data, size, &pos, 1);
          pos += ((flags & 1) ? 4 : 0) + ((flags & 2) ? 4 : 0);
          break;
        case BROADWAY_OP_UPLOAD_TEXTURE:
          pos += 4;
          pos += read_le (data, size, &pos, 4);
          break;
        case BROADWAY_OP_SET_NODES:
          pos += 2;
          pos += 4 * (gsize) read_le (data, size, &pos, 4);
          break;
        case BROADWAY_OP_ROUNDTRIP:
          {
            guint32 words[5] = { BROADWAY_EVENT_ROUNDTRIP_NOTIFY, pointer->serial, pointer->time };

            words[3] = read_le (data, size, &pos, 2);
            words[4] = read_le (data, size, &pos, 4);
            for (guint i = 0; i < G_N_ELEMENTS (words); i++)
              words[i] = GUINT32_TO_BE (words[i]);
            soup_websocket_connection_send_binary (socket, words, sizeof words);
          }
          break;
        default:
          g_error ("Unknown operation %u from the display", op);
        }
    }
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  AvatarTestPointer *pointer = data;
  g_autoptr (GError) error = NULL;

  pointer->socket = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  /* The display sends whole textures in one message. */
  soup_websocket_connection_set_max_incoming_payload_size (pointer->socket, 0);
  g_signal_connect (pointer->socket, "message", G_CALLBACK (message_cb), pointer);
}

static gboolean
has_socket (gpointer data)
{
  AvatarTestPointer *pointer = data;

  return pointer->socket != NULL;
}

static gboolean
has_moved (gpointer data)
{
  AvatarTestPointer *pointer = data;

  return pointer->moved;
}

AvatarTestPointer *
avatar_test_pointer_new (GtkWindow *window)
{
  AvatarTestPointer *pointer = g_new0 (AvatarTestPointer, 1);
  const char *display = g_getenv ("BROADWAY_DISPLAY");
  const char *protocols[] = { "broadway", NULL };
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *uri = NULL;
  GdkSurface *surface;
  int columns;

  g_assert_nonnull (display);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));

  pointer->window = window;
  pointer->controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (pointer->controller, GTK_PHASE_CAPTURE);
  g_signal_connect (pointer->controller, "event", G_CALLBACK (pointer_event_cb), pointer);
  gtk_widget_add_controller (GTK_WIDGET (window), g_object_ref (pointer->controller));

  /* Display :N serves its page and socket on port 8080 + N. */
  uri = g_strdup_printf ("http://127.0.0.1:%d/socket",
                         8080 + (int) g_ascii_strtoll (display + 1, NULL, 10));
  message = soup_message_new ("GET", uri);
  pointer->session = soup_session_new ();
  soup_session_websocket_connect_async (pointer->session, message, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, connected_cb, pointer);
  g_assert_true (avatar_test_ui_wait_until (has_socket, pointer, 30000));

  /* The window's surface id is known to the display only: a motion is sent
   * to every id, each at a different place, and where the window sees it
   * tells which id it has. */
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  columns = gdk_surface_get_width (surface) - 2;
  g_assert_cmpint (columns * (gdk_surface_get_height (surface) - 2), >, MAX_SURFACE_ID);
  for (guint32 id = 1; id <= MAX_SURFACE_ID; id++)
    pointer_send (pointer, BROADWAY_EVENT_POINTER_MOVE, id, 1 + id % columns, 1 + id / columns, 0);
  g_assert_true (avatar_test_ui_wait_until (has_moved, pointer, 30000));
  pointer->x = (int) pointer->motion_x;
  pointer->y = (int) pointer->motion_y;
  pointer->surface_id = (pointer->y - 1) * columns + pointer->x - 1;
  g_assert_cmpuint (pointer->surface_id, >=, 1);
  g_assert_cmpuint (pointer->surface_id, <=, MAX_SURFACE_ID);
  /* As the page says when the mouse comes over a surface. */
  pointer_send (pointer, BROADWAY_EVENT_ENTER, pointer->surface_id, pointer->x, pointer->y, 0);

  return pointer;
}

static gboolean
has_moved_to (gpointer data)
{
  AvatarTestPointer *pointer = data;

  return pointer->moved && (int) pointer->motion_x == pointer->x &&
         (int) pointer->motion_y == pointer->y;
}

void
avatar_test_pointer_move (AvatarTestPointer *pointer,
                          GtkWidget         *widget,
                          double             x,
                          double             y)
{
  graphene_point_t point;
  double surface_x, surface_y;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (pointer->window),
                                           &GRAPHENE_POINT_INIT (x, y), &point));
  gtk_native_get_surface_transform (GTK_NATIVE (pointer->window), &surface_x, &surface_y);
  pointer->x = (int) (point.x + surface_x);
  pointer->y = (int) (point.y + surface_y);
  pointer->moved = FALSE;
  pointer_send (pointer, BROADWAY_EVENT_POINTER_MOVE, pointer->surface_id,
                pointer->x, pointer->y, 0);
  if (!avatar_test_ui_wait_until (has_moved_to, pointer, 30000))
    g_error ("The window saw the pointer at %g,%g, not at %d,%d on surface %u",
             pointer->motion_x, pointer->motion_y, pointer->x, pointer->y, pointer->surface_id);
}

typedef struct
{
  const guint *count;
  guint        before;
} CountWait;

static gboolean
count_grew (gpointer data)
{
  CountWait *wait = data;

  return *wait->count > wait->before;
}

static void
pointer_button (AvatarTestPointer *pointer,
                guint32            type)
{
  CountWait wait = { type == BROADWAY_EVENT_BUTTON_PRESS ? &pointer->presses : &pointer->releases, 0 };

  /* As the page does: the press's state has the button, the release's not. */
  if (type == BROADWAY_EVENT_BUTTON_PRESS)
    pointer->state |= GDK_BUTTON1_MASK;
  else
    pointer->state &= ~GDK_BUTTON1_MASK;
  wait.before = *wait.count;
  pointer_send (pointer, type, pointer->surface_id, pointer->x, pointer->y, 1);
  g_assert_true (avatar_test_ui_wait_until (count_grew, &wait, 30000));
}

void
avatar_test_pointer_press (AvatarTestPointer *pointer)
{
  pointer_button (pointer, BROADWAY_EVENT_BUTTON_PRESS);
}

void
avatar_test_pointer_release (AvatarTestPointer *pointer)
{
  pointer_button (pointer, BROADWAY_EVENT_BUTTON_RELEASE);
}

void
avatar_test_pointer_free (AvatarTestPointer *pointer)
{
  gtk_widget_remove_controller (GTK_WIDGET (pointer->window), pointer->controller);
  g_object_unref (pointer->controller);
  if (pointer->socket != NULL)
    g_signal_handlers_disconnect_by_data (pointer->socket, pointer);
  if (pointer->socket != NULL)
    soup_websocket_connection_close (pointer->socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&pointer->socket);
  g_clear_object (&pointer->session);
  g_free (pointer);
}
