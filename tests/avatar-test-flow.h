/* avatar-test-flow.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarFlow's tests: a client signed in to a devserver of its own, flows
 * of generated pictures, a run waited for on the main context, and the
 * checks of what a finished run fetched.
 */

#pragma once

#include "avatar-flow.h"
#include "avatar-test-server.h"

G_BEGIN_DECLS

/* A GTest fixture: a devserver started with --faults for each test and a
 * client signed in to it as its demo user. */
typedef struct
{
  AvatarTestServer *server;
  AvatarClient     *client;
  /* Emissions of the client's tokens-changed. */
  guint             tokens_changed;
} AvatarTestFlowFixture;

typedef void (*AvatarTestFlowFunc) (AvatarTestFlowFixture *fixture,
                                    gconstpointer          data);

/* Adds the test @path: @test with @data, on a fixture set up before it
 * and torn down after it (the server must exit cleanly). */
void         avatar_test_flow_add              (const char            *path,
                                                gconstpointer          data,
                                                AvatarTestFlowFunc     test);

/* An AvatarImage of @bytes, asserting that it loads. */
AvatarImage *avatar_test_flow_image_new        (GBytes                *bytes);
/* A flow of a generated PNG of @width × @height, prepared the default way. */
AvatarFlow  *avatar_test_flow_pattern_new      (AvatarClient          *client,
                                                int                    width,
                                                int                    height);
/* Runs @flow to its end, iterating the main context, and returns what
 * avatar_flow_run_finish () returns. */
gboolean     avatar_test_flow_run              (AvatarFlow            *flow,
                                                GError               **error);
/* Sets each fault rule of the NULL-terminated @rules on @fixture's server,
 * then runs @flow, asserting that it gets through to DONE. */
void         avatar_test_flow_run_with_faults  (AvatarTestFlowFixture *fixture,
                                                const char * const    *rules,
                                                AvatarFlow            *flow);
/* A test of @fixture's server: a flow of a 120 × 120 picture rides out the
 * NULL-terminated fault rules @data to the end, with every variant right. */
void         avatar_test_flow_test_faults_overcome (AvatarTestFlowFixture *fixture,
                                                    gconstpointer          data);
/* Asserts the variants of a finished run: the 44, 48 and 60 px WebPs beside
 * the avatar URL, the original of @original_side at that URL, and a raw that
 * is exactly the prepared picture that was sent. */
void         avatar_test_flow_assert_variants  (AvatarFlow            *flow,
                                                int                    original_side);

G_END_DECLS
