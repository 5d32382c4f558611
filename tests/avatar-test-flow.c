/* avatar-test-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "avatar-test-flow.h"
#include "avatar-test-http.h"
#include "avatar-test-images.h"

static void
fixture_setup (AvatarTestFlowFixture *fixture,
               gconstpointer          data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = avatar_test_server_start (NULL);
  fixture->client = avatar_client_new (fixture->server->base_url, fixture->server->app_id, &error);
  g_assert_no_error (error);
  avatar_client_set_tokens (fixture->client, fixture->server->access_token, fixture->server->refresh_token);
  avatar_test_count_signal (fixture->client, "tokens-changed", &fixture->tokens_changed);
}

static void
fixture_teardown (AvatarTestFlowFixture *fixture,
                  gconstpointer          data)
{
  g_clear_object (&fixture->client);
  g_clear_pointer (&fixture->server, avatar_test_server_stop);
}

void
avatar_test_flow_add (const char         *path,
                      gconstpointer       data,
                      AvatarTestFlowFunc  test)
{
  g_test_add (path, AvatarTestFlowFixture, data, fixture_setup, test, fixture_teardown);
}

AvatarImage *
avatar_test_flow_image_new (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  AvatarImage *image;

  image = avatar_image_new_from_bytes (bytes, "picture", NULL, &error);
  g_assert_no_error (error);

  return image;
}

AvatarFlow *
avatar_test_flow_pattern_new (AvatarClient *client,
                              int           width,
                              int           height)
{
  g_autoptr(GBytes) bytes = avatar_test_image_new ("png", width, height);
  g_autoptr(AvatarImage) image = avatar_test_flow_image_new (bytes);

  return avatar_flow_new (client, image, NULL, AVATAR_PREPARE_NONE);
}

gboolean
avatar_test_flow_run (AvatarFlow  *flow,
                      GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_flow_run_async (flow, NULL, avatar_test_store_result, &result);

  return avatar_flow_run_finish (flow, avatar_test_wait_result (&result), error);
}

void
avatar_test_flow_run_with_faults (AvatarTestFlowFixture *fixture,
                                  const char * const    *rules,
                                  AvatarFlow            *flow)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; rules[i] != NULL; i++)
    avatar_test_server_set_fault (fixture->server, rules[i]);

  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_DONE);
}

void
avatar_test_flow_test_faults_overcome (AvatarTestFlowFixture *fixture,
                                       gconstpointer          data)
{
  const char * const *rules = data;
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);

  avatar_test_flow_run_with_faults (fixture, rules, flow);
  avatar_test_flow_assert_variants (flow, 120);
}

void
avatar_test_flow_assert_variants (AvatarFlow *flow,
                                  int         original_side)
{
  const AvatarPrepared *prepared = avatar_flow_get_prepared (flow);
  static const int sides[] = { 44, 48, 60 };
  g_autofree char *prefix = NULL;
  const AvatarVariant *raw;

  g_assert_nonnull (avatar_flow_get_avatar_url (flow));
  g_assert_true (g_str_has_suffix (avatar_flow_get_avatar_url (flow), "/original.webp"));
  prefix = g_strndup (avatar_flow_get_avatar_url (flow),
                      strlen (avatar_flow_get_avatar_url (flow)) - strlen ("original.webp"));

  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      const AvatarVariant *variant = avatar_flow_get_variant (flow, i);
      g_autofree char *url = g_strdup_printf ("%s%d.webp", prefix, sides[i]);

      g_assert_cmpint (variant->kind, ==, i);
      g_assert_cmpstr (variant->url, ==, url);
      g_assert_cmpint (variant->width, ==, sides[i]);
      g_assert_cmpint (variant->height, ==, sides[i]);
      g_assert_cmpuint (variant->byte_size, ==, g_bytes_get_size (variant->bytes));
      g_assert_cmpuint (variant->byte_size, >, 0);
    }

  g_assert_cmpint (avatar_flow_get_variant (flow, AVATAR_VARIANT_ORIGINAL)->width, ==, original_side);
  g_assert_cmpint (avatar_flow_get_variant (flow, AVATAR_VARIANT_ORIGINAL)->height, ==, original_side);
  g_assert_cmpstr (avatar_flow_get_variant (flow, AVATAR_VARIANT_ORIGINAL)->url, ==,
                   avatar_flow_get_avatar_url (flow));

  /* The raw variant is exactly what was sent: its bytes when it was
   * downloaded, its type and length from a HEAD otherwise. */
  raw = avatar_flow_get_variant (flow, AVATAR_VARIANT_RAW);
  g_assert_true (g_str_has_suffix (raw->url, "/raw"));
  if (raw->bytes != NULL)
    g_assert_true (g_bytes_equal (raw->bytes, prepared->bytes));
  g_assert_cmpuint (raw->byte_size, ==, g_bytes_get_size (prepared->bytes));
  g_assert_cmpstr (raw->content_type, ==, prepared->content_type);
  g_assert_cmpint (raw->width, ==, prepared->width);
  g_assert_cmpint (raw->height, ==, prepared->height);
}
