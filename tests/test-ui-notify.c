/* test-ui-notify.c
 *
 * The desktop notification when an upload finishes while the window is not
 * focused, and none while it is, against a notification server on a private
 * session bus; and an upload finishing behind another window when there is
 * no session bus at all.
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

/* Generous, for a loaded machine running with sanitizers. */
#define WAIT_MS 90000

#define NOTIFICATIONS_NAME      "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH      "/org/freedesktop/Notifications"
#define NOTIFICATIONS_INTERFACE "org.freedesktop.Notifications"

/* The Desktop Notifications interface, as a notification daemon offers it. */
static const char notifications_xml[] =
  "<node>"
  "  <interface name='" NOTIFICATIONS_INTERFACE "'>"
  "    <method name='Notify'>"
  "      <arg type='s' name='app_name' direction='in'/>"
  "      <arg type='u' name='replaces_id' direction='in'/>"
  "      <arg type='s' name='app_icon' direction='in'/>"
  "      <arg type='s' name='summary' direction='in'/>"
  "      <arg type='s' name='body' direction='in'/>"
  "      <arg type='as' name='actions' direction='in'/>"
  "      <arg type='a{sv}' name='hints' direction='in'/>"
  "      <arg type='i' name='expire_timeout' direction='in'/>"
  "      <arg type='u' name='id' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'>"
  "      <arg type='u' name='id' direction='in'/>"
  "    </method>"
  "    <method name='GetCapabilities'>"
  "      <arg type='as' name='capabilities' direction='out'/>"
  "    </method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' name='name' direction='out'/>"
  "      <arg type='s' name='vendor' direction='out'/>"
  "      <arg type='s' name='version' direction='out'/>"
  "      <arg type='s' name='spec_version' direction='out'/>"
  "    </method>"
  "    <signal name='NotificationClosed'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='u' name='reason'/>"
  "    </signal>"
  "    <signal name='ActionInvoked'>"
  "      <arg type='u' name='id'/>"
  "      <arg type='s' name='action_key'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* A notification daemon on a connection of its own, which records what it
 * is asked to show. */
typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *connection;
  guint            registration_id;
  GPtrArray       *notify_calls;
  GArray          *closed_ids;
  guint            next_id;
} NotificationServer;

static NotificationServer *notification_server;

typedef struct
{
  AvatarTestUi        ui;
  /* Whether the window keeps the focus while the upload runs. */
  gboolean            window_active;
  /* NULL when the test runs without a session bus. */
  NotificationServer *notifications;
  gboolean            finished;
} Scenario;

static void
notifications_method_call (GDBusConnection       *connection,
                           const char            *sender,
                           const char            *object_path,
                           const char            *interface_name,
                           const char            *method_name,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation,
                           gpointer               user_data)
{
  NotificationServer *self = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      g_ptr_array_add (self->notify_calls, g_variant_ref (parameters));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", ++self->next_id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      guint32 id;

      g_variant_get (parameters, "(u)", &id);
      g_array_append_val (self->closed_ids, id);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *capabilities[] = { "body", "actions", NULL };

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(^as)", capabilities));
    }
  else if (g_str_equal (method_name, "GetServerInformation"))
    {
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(ssss)", "test-notifications",
                                                            "Avatar Uploader tests", "1", "1.2"));
    }
  else
    {
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
}

static const GDBusInterfaceVTable notifications_vtable = {
  notifications_method_call, NULL, NULL, { 0 }
};

static NotificationServer *
notification_server_start (void)
{
  NotificationServer *self = g_new0 (NotificationServer, 1);
  g_autoptr (GDBusNodeInfo) node = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  guint32 request_reply;

  /* GLib picks its notification backend once per application: the portal
   * in a sandbox, org.gtk.Notifications when that name is on the bus, and
   * org.freedesktop.Notifications otherwise, which is what a private bus
   * outside a sandbox leaves. */
  g_unsetenv ("GNOTIFICATION_BACKEND");
  g_unsetenv ("GTK_USE_PORTAL");

  self->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (self->bus);
  self->notify_calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  self->closed_ids = g_array_new (FALSE, FALSE, sizeof (guint32));

  self->connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (self->bus),
                                                             G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                             G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                             NULL, NULL, &error);
  g_assert_no_error (error);

  node = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  self->registration_id = g_dbus_connection_register_object (self->connection, NOTIFICATIONS_PATH,
                                                             node->interfaces[0],
                                                             &notifications_vtable, self, NULL,
                                                             &error);
  g_assert_no_error (error);

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", NOTIFICATIONS_NAME, 4 /* DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &request_reply);
  g_assert_cmpuint (request_reply, ==, 1 /* PRIMARY_OWNER */);

  return self;
}

static void
notification_server_stop (NotificationServer *self)
{
  g_dbus_connection_unregister_object (self->connection, self->registration_id);
  g_dbus_connection_close_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->notify_calls, g_ptr_array_unref);
  g_clear_pointer (&self->closed_ids, g_array_unref);
  /* libadwaita keeps a proxy on the session bus for the life of the
   * process, so the connection never goes: stop the daemon without waiting
   * for it, and keep the GTestDBus, whose finalizer would wait, until exit. */
  g_test_dbus_stop (self->bus);
}

static NotificationServer *
ensure_notification_server (void)
{
  if (notification_server == NULL)
    notification_server = notification_server_start ();

  g_ptr_array_set_size (notification_server->notify_calls, 0);
  g_array_set_size (notification_server->closed_ids, 0);

  return notification_server;
}

static gboolean
reply_arrived (gpointer data)
{
  GVariant **reply = data;

  return *reply != NULL;
}

static void
round_trip_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GVariant **reply = user_data;
  g_autoptr (GError) error = NULL;

  *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  g_assert_no_error (error);
}

/* Messages from one connection reach a peer in the order they were sent:
 * once this call has its answer, the notification server has seen every
 * notification that @app sent before it. */
static void
sync_with_notification_server (GApplication *app)
{
  GVariant *reply = NULL;

  g_dbus_connection_call (g_application_get_dbus_connection (app),
                          NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, NOTIFICATIONS_INTERFACE,
                          "GetServerInformation", NULL, G_VARIANT_TYPE ("(ssss)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, round_trip_cb, &reply);
  g_assert_true (avatar_test_ui_wait_until (reply_arrived, &reply, WAIT_MS));
  g_variant_unref (reply);
}

static gboolean
notification_arrived (gpointer data)
{
  NotificationServer *self = data;

  return self->notify_calls->len > 0;
}

static gboolean
notification_closed (gpointer data)
{
  NotificationServer *self = data;

  return self->closed_ids->len > 0;
}

static void
assert_upload_notification (Scenario *scenario)
{
  GVariant *call;
  const char *app_name;
  const char *app_icon;
  const char *summary;
  const char *body;
  const char *desktop_entry = NULL;
  guint32 replaces_id;
  gint32 expire_timeout;
  g_autoptr (GVariant) actions = NULL;
  g_autoptr (GVariant) hints = NULL;

  g_assert_true (avatar_test_ui_wait_until (notification_arrived, scenario->notifications, WAIT_MS));
  sync_with_notification_server (G_APPLICATION (scenario->ui.app));
  /* One upload, one notification. */
  g_assert_cmpuint (scenario->notifications->notify_calls->len, ==, 1);

  call = g_ptr_array_index (scenario->notifications->notify_calls, 0);
  g_variant_get (call, "(&su&s&s&s@as@a{sv}i)", &app_name, &replaces_id, &app_icon, &summary, &body,
                 &actions, &hints, &expire_timeout);
  g_test_message ("Notification: \"%s\": \"%s\"", summary, body);

  g_assert_cmpstr (summary, ==, "Your Avatar Was Changed");
  g_assert_cmpstr (body, ==, "The new picture is ready in every size.");
  /* Shown as coming from this application. */
  g_assert_true (g_variant_lookup (hints, "desktop-entry", "&s", &desktop_entry));
  g_assert_cmpstr (desktop_entry, ==, APP_ID);
  g_assert_cmpuint (replaces_id, ==, 0);
}

static AvatarWindow *
get_window (Scenario *scenario)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (scenario->ui.app));

  return windows != NULL && AVATAR_IS_WINDOW (windows->data) ? AVATAR_WINDOW (windows->data) : NULL;
}

static gboolean
ready_to_upload (gpointer data)
{
  Scenario *scenario = data;
  AvatarWindow *window = get_window (scenario);
  GtkWidget *button;

  if (window == NULL || !gtk_widget_get_mapped (GTK_WIDGET (window)))
    return FALSE;

  button = avatar_test_ui_get_child (window, "upload_button");

  return g_strcmp0 (avatar_test_ui_get_page (window), "crop") == 0 &&
         avatar_test_ui_get_prepared (window) != NULL &&
         gtk_widget_get_visible (button) && gtk_widget_is_sensitive (button);
}

static gboolean
result_shown (gpointer data)
{
  AvatarWindow *window = data;

  return g_strcmp0 (avatar_test_ui_get_page (window), "result") == 0;
}

typedef struct
{
  GtkWindow *active;
  GtkWindow *inactive;
} FocusWait;

static gboolean
focus_is_on (gpointer data)
{
  FocusWait *wait = data;

  return gtk_window_is_active (wait->active) &&
         (wait->inactive == NULL || !gtk_window_is_active (wait->inactive));
}

/* A window presented over ours takes the focus, as another program's would:
 * the display server moves it, and ours stops being active. */
static GtkWindow *
cover_window (AvatarWindow *window)
{
  GtkWindow *cover = GTK_WINDOW (gtk_window_new ());
  FocusWait wait = { cover, GTK_WINDOW (window) };

  gtk_window_set_title (cover, "Another Window");
  gtk_window_set_default_size (cover, 320, 240);
  gtk_window_present (cover);
  g_assert_true (avatar_test_ui_wait_until (focus_is_on, &wait, WAIT_MS));

  return cover;
}

static gboolean
run_scenario (gpointer data)
{
  Scenario *scenario = data;
  AvatarWindow *window;
  GtkWindow *cover = NULL;

  g_assert_true (avatar_test_ui_wait_until (ready_to_upload, scenario, WAIT_MS));
  window = get_window (scenario);

  if (scenario->window_active)
    {
      FocusWait wait = { GTK_WINDOW (window), NULL };

      g_assert_true (avatar_test_ui_wait_until (focus_is_on, &wait, WAIT_MS));
    }
  else
    {
      cover = cover_window (window);
    }

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.upload", NULL));
  g_assert_true (avatar_test_ui_wait_until (result_shown, window, WAIT_MS));
  /* The focus stayed where the test put it for the whole upload. */
  g_assert_true (gtk_window_is_active (GTK_WINDOW (window)) == scenario->window_active);

  if (scenario->notifications == NULL)
    {
      /* Nobody to tell, and nothing goes wrong for it. */
      g_assert_null (g_application_get_dbus_connection (G_APPLICATION (scenario->ui.app)));
    }
  else if (scenario->window_active)
    {
      sync_with_notification_server (G_APPLICATION (scenario->ui.app));
      g_assert_cmpuint (scenario->notifications->notify_calls->len, ==, 0);
    }
  else
    {
      FocusWait back = { GTK_WINDOW (window), NULL };

      assert_upload_notification (scenario);
      g_assert_cmpuint (scenario->notifications->closed_ids->len, ==, 0);

      /* Back in the window, the news is stale: it is taken off the desktop. */
      g_clear_pointer (&cover, gtk_window_destroy);
      gtk_window_present (GTK_WINDOW (window));
      g_assert_true (avatar_test_ui_wait_until (focus_is_on, &back, WAIT_MS));
      g_assert_true (avatar_test_ui_wait_until (notification_closed, scenario->notifications, WAIT_MS));
      g_assert_cmpuint (scenario->notifications->closed_ids->len, ==, 1);
      g_assert_cmpuint (g_array_index (scenario->notifications->closed_ids, guint32, 0), ==,
                        scenario->notifications->next_id);
    }

  if (cover != NULL)
    gtk_window_destroy (cover);

  scenario->finished = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (scenario->ui.app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
run_upload (const char         *username,
            gboolean            window_active,
            NotificationServer *notifications)
{
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", 480, 360);
  g_autofree char *path = NULL;
  Scenario scenario = { 0 };

  scenario.window_active = window_active;
  scenario.notifications = notifications;
  avatar_test_ui_start (&scenario.ui, username);
  path = g_file_get_path (avatar_test_ui_write_file (&scenario.ui, jpeg, ".jpg"));

  /* Run, not just registered, so that shutdown frees its place on the bus
   * for the next test's application. */
  avatar_test_ui_run_app (&scenario.ui, path, run_scenario, &scenario);
  g_assert_true (scenario.finished);

  avatar_test_ui_teardown (&scenario.ui);
}

static void
test_no_session_bus (void)
{
  /* Runs before any bus exists in this process: the connection of the
   * first application on a bus stays for the rest of the process. */
  g_assert_null (notification_server);
  run_upload ("no_bus", FALSE, NULL);
}

static void
test_window_inactive (void)
{
  run_upload ("notify_inactive", FALSE, ensure_notification_server ());
}

static void
test_window_active (void)
{
  run_upload ("notify_active", TRUE, ensure_notification_server ());
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Neither the desktop's bus nor any: each test says which it has. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  avatar_test_ui_init (&argc, &argv);

  g_test_add_func ("/ui-notify/no-session-bus", test_no_session_bus);
  g_test_add_func ("/ui-notify/window-inactive", test_window_inactive);
  g_test_add_func ("/ui-notify/window-active", test_window_active);

  status = g_test_run ();

  if (notification_server != NULL)
    notification_server_stop (notification_server);

  return status;
}
