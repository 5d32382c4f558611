/* avatar-test-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs avatar-upload (its path in $AVATAR_UPLOAD_CLI) for a test, against
 * a devserver of the fixture's or a scripted API, and reads what it wrote:
 * its JSON on stdout, its sentence on stderr and its exit status.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "avatar-test-http.h"
#include "avatar-test-server.h"

G_BEGIN_DECLS

/* A devserver, a private folder and a 160 × 120 PNG in it. */
typedef struct
{
  AvatarTestServer *server;
  char             *dir;
  char             *picture;
} AvatarTestCliFixture;

typedef void (*AvatarTestCliFunc) (AvatarTestCliFixture *fixture,
                                   gconstpointer         data);

/* Adds the test @path: @func with @data on a fixture of its own. */
void        avatar_test_cli_add                    (const char           *path,
                                                    gconstpointer         data,
                                                    AvatarTestCliFunc     func);
void        avatar_test_cli_setup                  (AvatarTestCliFixture *fixture,
                                                    gconstpointer         data);
void        avatar_test_cli_teardown               (AvatarTestCliFixture *fixture,
                                                    gconstpointer         data);
/* Writes @bytes to @name in the fixture's folder. Returns: (transfer full)
 * the file's path */
char       *avatar_test_cli_write_file             (AvatarTestCliFixture *fixture,
                                                    const char           *name,
                                                    GBytes               *bytes);

/* Environments for the runs below, NAME=VALUE each; all three return
 * (transfer full). The devserver's address and app ID, and the tokens
 * given (nullable). */
char      **avatar_test_cli_server_env_with_tokens (AvatarTestCliFixture *fixture,
                                                    const char           *access_token,
                                                    const char           *refresh_token);
/* The devserver's address, app ID and demo user's tokens. */
char      **avatar_test_cli_server_env             (AvatarTestCliFixture *fixture);
/* The scripted @api's address, an app ID and an access token. */
char      **avatar_test_cli_api_env                (AvatarTestHttp       *api);

/* One run of the command: done once it ended, with status its exit status
 * or 128 + the signal that ended it. */
typedef struct
{
  GSubprocess *process;
  gboolean     done;
  char        *out;
  char        *err;
  int          status;
} AvatarTestCliRun;

void        avatar_test_cli_run_clear              (AvatarTestCliRun     *run);
/* Starts the command with @args; @env (NAME=VALUE, nullable) replaces any
 * AVATAR_* variable of the test's own environment. */
void        avatar_test_cli_start                  (AvatarTestCliRun     *run,
                                                    const char * const   *env,
                                                    const char * const   *args);
/* Like avatar_test_cli_start, with stderr on @stderr_fd (taken) instead of
 * a pipe when it is not -1. */
void        avatar_test_cli_start_full             (AvatarTestCliRun     *run,
                                                    const char * const   *env,
                                                    const char * const   *args,
                                                    int                   stderr_fd);
/* Starts the command and waits until it ended. */
void        avatar_test_cli_run                    (AvatarTestCliRun     *run,
                                                    const char * const   *env,
                                                    const char * const   *args);
/* Runs the command to its end, which must succeed. Returns: (transfer full)
 * its JSON */
JsonObject *avatar_test_cli_run_json               (AvatarTestCliRun     *run,
                                                    const char * const   *env,
                                                    const char * const   *args);
/* The JSON object on stdout. Returns: (transfer full) */
JsonObject *avatar_test_cli_parse_output           (AvatarTestCliRun     *run);
/* The run failed with @status: nothing on stdout, one sentence on stderr. */
void        avatar_test_cli_assert_failed          (AvatarTestCliRun     *run,
                                                    int                   status);
/* @text is one sentence on one line. */
void        avatar_test_assert_one_sentence        (const char           *text);

G_END_DECLS
