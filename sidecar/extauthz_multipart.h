/* multipart/form-data bodies for ext_authz's parsed_body (extauthz_multipart.c), private to
 * the ext_authz core. */
#ifndef GATEHOUSE_EXTAUTHZ_MULTIPART_H
#define GATEHOUSE_EXTAUTHZ_MULTIPART_H

#include <stddef.h>

#include "gatehouse/arena.h"
#include "gatehouse/value.h"

/* body[0..len) sent with Content-Type `ctype` (NUL-terminated) as {name: [values]}; *out is
 * null when ctype names no boundary. 0, or GH_EINVAL with Go's message in err. */
int extauthz_multipart_parse(gh_arena *a, const char *ctype, const char *body, size_t len,
                             const gh_value **out, char *err, size_t errlen);

#endif
