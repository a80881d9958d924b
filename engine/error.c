/* Messages and names for GH_ERROR_MAP codes. */
#include "gatehouse/error.h"

const char *gh_strerror(int code)
{
    switch (code) {
    case GH_OK: return "ok";
#define GH_XX_MSG(name, c, msg) \
    case c: return msg;
        GH_ERROR_MAP(GH_XX_MSG)
#undef GH_XX_MSG
    }
    return "unknown error";
}

const char *gh_err_name(int code)
{
    switch (code) {
    case GH_OK: return "GH_OK";
#define GH_XX_NAME(name, c, msg) \
    case c: return "GH_E" #name;
        GH_ERROR_MAP(GH_XX_NAME)
#undef GH_XX_NAME
    }
    return "GH_EUNKNOWN";
}
