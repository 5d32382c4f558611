/* avatar-faults.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Rules that make the server misbehave on purpose, so that clients can be
 * tested against the failures a real service shows: errors with
 * Retry-After, slow answers, throttled or reset uploads, failed or stuck
 * processing, short-lived URLs and tokens. */

#include "config.h"

#include <gio/gio.h>

#include "avatar-faults.h"
#include "avatar-server-json.h"

typedef struct
{
  char        *route;
  int          remaining;   /* -1: until cleared */
  AvatarFault  fault;
} Rule;

struct _AvatarFaults
{
  GObject                parent_instance;
  GPtrArray             *rules;
  AvatarProcessingFault  processing;
  int                    processing_remaining;
  guint                  presign_expires_s;
  int                    presign_remaining;   /* -1: until cleared */
  int                    processing_delay_ms;
};

G_DEFINE_FINAL_TYPE (AvatarFaults, avatar_faults, G_TYPE_OBJECT)

static const char * const routes[] = {
  "request-url", "upload", "profile", "patch", "cdn", "refresh", NULL
};

static void
rule_free (Rule *rule)
{
  g_free (rule->route);
  g_free (rule);
}

static void
avatar_faults_finalize (GObject *object)
{
  AvatarFaults *self = (AvatarFaults *) object;

  g_clear_pointer (&self->rules, g_ptr_array_unref);

  G_OBJECT_CLASS (avatar_faults_parent_class)->finalize (object);
}

static void
avatar_faults_class_init (AvatarFaultsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = avatar_faults_finalize;
}

static void
avatar_faults_init (AvatarFaults *self)
{
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  self->processing_delay_ms = -1;
}

AvatarFaults *
avatar_faults_new (void)
{
  return g_object_new (AVATAR_TYPE_FAULTS, NULL);
}

static gboolean
read_int (JsonObject  *rule,
          const char  *name,
          gint64       min,
          gint64       max,
          gint64      *value,
          GError     **error)
{
  JsonNode *node = json_object_get_member (rule, name);

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                   name, min, max);
      return FALSE;
    }

  *value = json_node_get_int (node);

  return TRUE;
}

static gboolean
add_route_rule (AvatarFaults  *self,
                JsonObject    *object,
                const char    *route,
                int            count,
                GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  Rule *rule;
  gint64 status = 0, retry_after = -1, delay = 0, reset_after = 0, rate = 0;

  if (!g_strv_contains (routes, route))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unknown route “%s”", route);
      return FALSE;
    }

  if (!read_int (object, "status", 100, 599, &status, error) ||
      !read_int (object, "retryAfter", 0, 86400, &retry_after, error) ||
      !read_int (object, "delayMs", 0, 600000, &delay, error) ||
      !read_int (object, "resetAfterBytes", 0, G_MAXINT32, &reset_after, error) ||
      !read_int (object, "bytesPerSecond", 1, G_MAXINT32, &rate, error))
    return FALSE;

  if (status == 0 && delay == 0 && reset_after == 0 && rate == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A route rule needs status, delayMs, resetAfterBytes or bytesPerSecond");
      return FALSE;
    }

  if ((reset_after > 0 || rate > 0) && g_strcmp0 (route, "upload") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "resetAfterBytes and bytesPerSecond apply to the upload route only");
      return FALSE;
    }

  rule = g_new0 (Rule, 1);
  rule->route = g_strdup (route);
  rule->remaining = count;
  rule->fault.status = (guint) status;
  rule->fault.retry_after_s = (int) retry_after;
  rule->fault.delay_ms = (guint) delay;
  rule->fault.reset_after_bytes = reset_after;
  rule->fault.bytes_per_second = rate;
  g_ptr_array_add (self->rules, rule);

  return TRUE;
}

static gboolean
set_processing (AvatarFaults  *self,
                const char    *mode,
                int            count,
                GError       **error)
{
  if (g_strcmp0 (mode, "fail") == 0)
    self->processing = AVATAR_PROCESSING_FAIL;
  else if (g_strcmp0 (mode, "hang") == 0)
    self->processing = AVATAR_PROCESSING_HANG;
  else
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "“processing” must be “fail” or “hang”");
      return FALSE;
    }

  self->processing_remaining = count;

  return TRUE;
}

/* Adds @rule, parsed from JSON.  @expire_tokens is set when the rule asks
 * for every access token to expire now, which the caller carries out. */
gboolean
avatar_faults_add_rule (AvatarFaults  *self,
                        JsonObject    *rule,
                        gboolean      *expire_tokens,
                        GError       **error)
{
  const char *route = avatar_server_get_string_member (rule, "route");
  const char *processing = avatar_server_get_string_member (rule, "processing");
  gint64 count = -1, presign = 0, processing_delay = -1;

  g_return_val_if_fail (AVATAR_IS_FAULTS (self), FALSE);

  *expire_tokens = FALSE;

  if (!read_int (rule, "count", 1, G_MAXINT32, &count, error))
    return FALSE;

  if (route)
    return add_route_rule (self, rule, route, (int) count, error);

  if (processing)
    return set_processing (self, processing, (int) count, error);

  if (json_object_has_member (rule, "presignExpiresS"))
    {
      if (!read_int (rule, "presignExpiresS", 1, 604800, &presign, error))
        return FALSE;
      self->presign_expires_s = (guint) presign;
      self->presign_remaining = (int) count;
      return TRUE;
    }

  if (json_object_has_member (rule, "processingDelayMs"))
    {
      if (!read_int (rule, "processingDelayMs", 0, 600000, &processing_delay, error))
        return FALSE;
      self->processing_delay_ms = (int) processing_delay;
      return TRUE;
    }

  if (json_object_has_member (rule, "expireAccessTokens"))
    {
      JsonNode *node = json_object_get_member (rule, "expireAccessTokens");

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“expireAccessTokens” must be true or false");
          return FALSE;
        }
      *expire_tokens = json_node_get_boolean (node);
      return TRUE;
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "A rule needs “route”, “processing”, “presignExpiresS”, "
                       "“processingDelayMs” or “expireAccessTokens”");

  return FALSE;
}

void
avatar_faults_clear (AvatarFaults *self)
{
  g_return_if_fail (AVATAR_IS_FAULTS (self));

  g_ptr_array_set_size (self->rules, 0);
  self->processing = AVATAR_PROCESSING_NORMAL;
  self->processing_remaining = 0;
  self->presign_expires_s = 0;
  self->processing_delay_ms = -1;
}

/* Merges every live rule for @route into @fault and uses up one of each
 * rule's count.  Returns whether anything applies. */
gboolean
avatar_faults_take (AvatarFaults *self,
                    const char   *route,
                    AvatarFault  *fault)
{
  gboolean any = FALSE;

  g_return_val_if_fail (AVATAR_IS_FAULTS (self), FALSE);

  *fault = (AvatarFault) { .retry_after_s = -1 };

  for (guint i = 0; i < self->rules->len;)
    {
      Rule *rule = g_ptr_array_index (self->rules, i);

      if (g_strcmp0 (rule->route, route) != 0)
        {
          i++;
          continue;
        }

      any = TRUE;
      if (rule->fault.status)
        {
          fault->status = rule->fault.status;
          fault->retry_after_s = rule->fault.retry_after_s;
        }
      fault->delay_ms = MAX (fault->delay_ms, rule->fault.delay_ms);
      if (rule->fault.reset_after_bytes)
        fault->reset_after_bytes = rule->fault.reset_after_bytes;
      if (rule->fault.bytes_per_second)
        fault->bytes_per_second = rule->fault.bytes_per_second;

      if (rule->remaining > 0 && --rule->remaining == 0)
        g_ptr_array_remove_index (self->rules, i);
      else
        i++;
    }

  return any;
}

AvatarProcessingFault
avatar_faults_take_processing (AvatarFaults *self)
{
  AvatarProcessingFault fault = self->processing;

  if (self->processing_remaining > 0 && --self->processing_remaining == 0)
    self->processing = AVATAR_PROCESSING_NORMAL;

  return fault;
}

guint
avatar_faults_take_presign_expires (AvatarFaults *self,
                                    guint         fallback)
{
  guint expires_s = self->presign_expires_s;

  if (expires_s == 0)
    return fallback;

  if (self->presign_remaining > 0 && --self->presign_remaining == 0)
    self->presign_expires_s = 0;

  return expires_s;
}

int
avatar_faults_get_processing_delay (AvatarFaults *self,
                                    int           fallback)
{
  return self->processing_delay_ms >= 0 ? self->processing_delay_ms : fallback;
}
