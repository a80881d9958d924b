// The RE2 shim, the only C++ in gatehouse: compiles Go-syntax patterns with RE2 (linear
// time matching, so a policy can match untrusted input safely) and exposes find-at-position
// to C. Error texts are translated to Go's regexp/syntax wording, which OPA reports.
#include "builtins/regex_shim.h"

#include <re2/re2.h>

#include <cstdio>
#include <map>
#include <new>
#include <string>
#include <vector>

struct bi_re {
    re2::RE2 re;
    int ngroups;
    explicit bi_re(const re2::StringPiece &p, const re2::RE2::Options &o) : re(p, o), ngroups(0) {}
};

static const char *go_code(re2::RE2::ErrorCode c)
{
    switch (c) {
    case re2::RE2::ErrorBadEscape: return "invalid escape sequence";
    case re2::RE2::ErrorBadCharClass: return "invalid character class";
    case re2::RE2::ErrorBadCharRange: return "invalid character class range";
    case re2::RE2::ErrorMissingBracket: return "missing closing ]";
    case re2::RE2::ErrorMissingParen: return "missing closing )";
    case re2::RE2::ErrorUnexpectedParen: return "unexpected )";
    case re2::RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case re2::RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case re2::RE2::ErrorRepeatSize: return "invalid repeat count";
    case re2::RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case re2::RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case re2::RE2::ErrorBadUTF8: return "invalid UTF-8";
    case re2::RE2::ErrorBadNamedCapture: return "invalid named capture";
    case re2::RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "internal error";
    }
}

// Go (1.22+) accepts (?<name>re) as well as (?P<name>re); older RE2 only the latter, so
// the former is rewritten outside character classes and escapes.
static std::string go_named_groups(const char *p, size_t n)
{
    std::string out;
    out.reserve(n + 8);
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        out += c;
        if (c == '\\' && i + 1 < n) {
            out += p[++i];
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            continue;
        }
        if (c == '[') {
            in_class = true;
            if (i + 1 < n && p[i + 1] == '^') out += p[++i];
            if (i + 1 < n && p[i + 1] == ']') out += p[++i]; // a leading ] is literal
            continue;
        }
        if (c == '(' && i + 3 < n && p[i + 1] == '?' && p[i + 2] == '<' && p[i + 3] != '=' &&
            p[i + 3] != '!') {
            out += "?P<";
            i += 2;
        }
    }
    return out;
}

extern "C" bi_re *bi_re_compile(const char *pat, size_t n, char *err, size_t errcap)
{
    if (errcap) err[0] = '\0';
    re2::RE2::Options o;
    o.set_log_errors(false);
    o.set_encoding(re2::RE2::Options::EncodingUTF8);
    bi_re *r = nullptr;
    try {
        std::string p = go_named_groups(pat, n);
        r = new bi_re(re2::StringPiece(p), o);
    } catch (...) {
        return nullptr;
    }
    if (!r->re.ok()) {
        const std::string &arg = r->re.error_arg();
        if (errcap)
            std::snprintf(err, errcap, "error parsing regexp: %s: `%s`", go_code(r->re.error_code()),
                          arg.c_str());
        delete r;
        return nullptr;
    }
    r->ngroups = r->re.NumberOfCapturingGroups();
    return r;
}

extern "C" void bi_re_free(void *re)
{
    delete static_cast<bi_re *>(re);
}

extern "C" int bi_re_ngroups(const bi_re *re)
{
    return re->ngroups;
}

extern "C" bool bi_re_find(const bi_re *re, const char *text, size_t n, size_t pos, long *m)
{
    int nsub = re->ngroups + 1;
    re2::StringPiece small[8];
    std::vector<re2::StringPiece> big;
    re2::StringPiece *sub = small;
    if (nsub > 8) {
        try {
            big.resize((size_t)nsub);
        } catch (...) { // out of memory: report no match rather than unwind into C
            return false;
        }
        sub = big.data();
    }
    re2::StringPiece t(text, n);
    if (pos > n || !re->re.Match(t, pos, n, re2::RE2::UNANCHORED, sub, nsub)) return false;
    for (int i = 0; i < nsub; i++) {
        if (sub[i].data() == nullptr) {
            m[2 * i] = m[2 * i + 1] = -1;
        } else {
            m[2 * i] = (long)(sub[i].data() - text);
            m[2 * i + 1] = m[2 * i] + (long)sub[i].size();
        }
    }
    return true;
}

extern "C" bool bi_re_test(const bi_re *re, const char *text, size_t n)
{
    return re->re.Match(re2::StringPiece(text, n), 0, n, re2::RE2::UNANCHORED, nullptr, 0);
}

extern "C" int bi_re_group(const bi_re *re, const char *name, size_t n)
{
    try {
        const std::map<std::string, int> &g = re->re.NamedCapturingGroups();
        auto it = g.find(std::string(name, n));
        return it == g.end() ? -1 : it->second;
    } catch (...) {
        return -1;
    }
}
