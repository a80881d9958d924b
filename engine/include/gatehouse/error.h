/* gatehouse error codes: one X-macro pairs each negative code with its name and message,
 * in the style of libuv's UV_ERRNO_MAP. Functions return 0 or one of these. */
#ifndef GATEHOUSE_ERROR_H
#define GATEHOUSE_ERROR_H

#define GH_ERROR_MAP(XX)                                                   \
    XX(NOMEM, -1, "out of memory")                                         \
    XX(LIMIT, -2, "size limit exceeded")                                   \
    XX(INVAL, -3, "invalid argument")                                      \
    XX(PARSE, -4, "parse error")                                           \
    XX(JSON, -5, "malformed JSON")                                         \
    XX(IO, -6, "input/output error")                                       \
    XX(NOTFOUND, -7, "not found")                                          \
    XX(TYPE, -8, "type error")                                             \
    XX(UNDEFINED, -9, "undefined")                                         \
    XX(INTERNAL, -10, "internal error")                                    \
    XX(BUILTIN, -11, "builtin error")

typedef enum {
    GH_OK = 0,
#define GH_XX_ENUM(name, code, msg) GH_E##name = (code),
    GH_ERROR_MAP(GH_XX_ENUM)
#undef GH_XX_ENUM
} gh_status;

/* Human message for a code; "unknown error" for codes outside the map. */
const char *gh_strerror(int code);
/* Symbolic name ("GH_EPARSE") for a code. */
const char *gh_err_name(int code);

#endif
