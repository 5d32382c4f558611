/* avatar-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-error.h"

G_DEFINE_QUARK (avatar-error-quark, avatar_error)
