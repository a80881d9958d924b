/* ext_authz requests to input documents: a CheckRequest's protobuf bytes (or an
 * http_service request, turned into the same CheckRequest) become the document
 * opa-envoy-plugin evaluates. `attributes` is the message in protojson's shape (Go's
 * protojson.Marshal: lowerCamelCase names, zero values left out, 64-bit integers as
 * strings, enums by name, bytes in base64, Timestamp in RFC 3339, Struct as JSON); then
 * parsed_path, parsed_query and parsed_body exactly as the plugin derives them with Go's
 * net/url. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "envoy/service/auth/v3/external_auth.pb-c.h"
#include "extauthz.h"
#include "extauthz_multipart.h"
#include "gatehouse/error.h"

typedef Envoy__Service__Auth__V3__CheckRequest CheckRequest;
typedef Envoy__Service__Auth__V3__AttributeContext AttributeContext;
typedef Envoy__Service__Auth__V3__AttributeContext__Request AttributeContext__Request;
typedef Envoy__Service__Auth__V3__AttributeContext__HttpRequest HttpRequest;
typedef Envoy__Service__Auth__V3__AttributeContext__HttpRequest__HeadersEntry HeaderEntry;

/* Where a conversion writes its error. */
typedef struct conv {
    gh_arena *a;
    char *err;
    size_t errlen;
} conv;

static int fail(conv *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(conv *c, int code, const char *fmt, ...) {
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int oom(conv *c) { return fail(c, GH_ENOMEM, "extauthz: out of memory"); }

/* ---- small helpers ---- */

static const gh_value *str_val(conv *c, const char *s, size_t n) {
    return gh_value_string(c->a, s, n);
}

/* An object from parallel key/value arrays whose keys are known to be distinct. */
static int make_object(conv *c, const gh_value **keys, const gh_value **vals, size_t n,
                       const gh_value **out) {
    int rc = gh_value_object(c->a, keys, vals, n, out, NULL);
    return rc == 0 ? 0 : rc == GH_ENOMEM ? oom(c) : fail(c, GH_EINVAL, "extauthz: duplicate key");
}

static bool utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t need;
        uint32_t cp;
        if (b < 0x80) { i++; continue; }
        if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; }
        else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0F; }
        else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07; }
        else return false;
        if (n - i <= need) return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* overlong forms, surrogates and values past U+10FFFF */
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding, as Go's encoding/json writes []byte. */
static const gh_value *base64_val(conv *c, const uint8_t *p, size_t n) {
    size_t out_len = (n + 2) / 3 * 4;
    char *s = gh_arena_alloc(c->a, out_len + 1);
    if (!s) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        s[o++] = B64[(v >> 18) & 63];
        s[o++] = B64[(v >> 12) & 63];
        s[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    s[o] = '\0';
    return gh_value_string_ref(c->a, s, o);
}

/* ---- the wire pre-check: nesting depth, NUL bytes ---- */

/* protobuf-c unpacks recursively without a depth limit, so a CheckRequest whose Struct
 * metadata nests thousands deep could exhaust the stack. This walk follows only the
 * length-delimited fields the schema says are messages; it also rejects truncated
 * lengths early. Everything else is left to protobuf-c. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return false;
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) { *v = x; return true; }
    }
    return false;
}

static bool skip_field(const uint8_t **p, const uint8_t *end, unsigned wire) {
    uint64_t v;
    switch (wire) {
    case 0: return read_varint(p, end, &v);
    case 1: if (end - *p < 8) return false; *p += 8; return true;
    case 5: if (end - *p < 4) return false; *p += 4; return true;
    default: return false; /* groups are not proto3; length-delimited handled by caller */
    }
}

static int depth_check(conv *c, const uint8_t *p, const uint8_t *end,
                       const ProtobufCMessageDescriptor *d, int depth) {
    if (depth > EXTAUTHZ_MAX_DEPTH)
        return fail(c, GH_EPARSE, "CheckRequest: messages nested deeper than %d",
                    EXTAUTHZ_MAX_DEPTH);
    while (p < end) {
        uint64_t tag, len;
        if (!read_varint(&p, end, &tag))
            return fail(c, GH_EPARSE, "CheckRequest: malformed protobuf (bad tag)");
        unsigned wire = (unsigned)(tag & 7);
        if (wire != 2) {
            if (!skip_field(&p, end, wire))
                return fail(c, GH_EPARSE, "CheckRequest: malformed protobuf (bad field)");
            continue;
        }
        if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p))
            return fail(c, GH_EPARSE, "CheckRequest: malformed protobuf (bad length)");
        const ProtobufCFieldDescriptor *f =
            tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3))
                                   : NULL;
        /* protobuf-c ends strings at their first NUL, where Go keeps the rest: such a
           string would be read differently here, so it is refused */
        if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p, 0, len))
            return fail(c, GH_EPARSE, "CheckRequest: field %s holds a NUL byte", f->name);
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
            int rc = depth_check(c, p, p + len, f->descriptor, depth + 1);
            if (rc) return rc;
        }
        p += len;
    }
    return 0;
}

/* ---- protojson ---- */

static int pj_message(conv *c, const ProtobufCMessage *m, const gh_value **out);

/* protoc's default json_name: underscores dropped, the letter after each capitalised. */
static const gh_value *json_name(conv *c, const char *name) {
    size_t n = strlen(name);
    char *s = gh_arena_alloc(c->a, n + 1);
    if (!s) return NULL;
    size_t o = 0;
    bool upper = false;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '_') { upper = true; continue; }
        s[o++] = upper && name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 32) : name[i];
        upper = false;
    }
    return gh_value_string(c->a, s, o);
}

static bool is_named(const ProtobufCMessageDescriptor *d, const char *full) {
    return strcmp(d->name, full) == 0;
}

/* protojson writes non-finite doubles as these strings. */
static const gh_value *double_val(conv *c, double d) {
    if (d != d) return str_val(c, "NaN", 3);
    if (d > 1.7976931348623157e308) return str_val(c, "Infinity", 8);
    if (d < -1.7976931348623157e308) return str_val(c, "-Infinity", 9);
    return gh_value_double(c->a, d);
}

static const gh_value *int64_text(conv *c, long long v, bool is_unsigned) {
    char buf[32];
    int n = is_unsigned ? snprintf(buf, sizeof buf, "%llu", (unsigned long long)v)
                        : snprintf(buf, sizeof buf, "%lld", v);
    return str_val(c, buf, (size_t)n);
}

static int string_val(conv *c, const ProtobufCFieldDescriptor *f, const char *s,
                      const gh_value **out) {
    size_t n = s ? strlen(s) : 0;
    if (!utf8_valid((const unsigned char *)s, n))
        return fail(c, GH_EPARSE, "CheckRequest: field %s holds invalid UTF-8", f->name);
    *out = gh_value_string_ref(c->a, s ? s : "", n);
    return *out ? 0 : oom(c);
}

static int enum_val(conv *c, const ProtobufCFieldDescriptor *f, int v, const gh_value **out) {
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    *out = ev ? str_val(c, ev->name, strlen(ev->name)) : gh_value_int(c->a, v);
    return *out ? 0 : oom(c);
}

/* One scalar or message held at p (a pointer to the member or to an array element). */
static int pj_single(conv *c, const ProtobufCFieldDescriptor *f, const void *p,
                     const gh_value **out) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        *out = gh_value_int(c->a, *(const int32_t *)p); break;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        *out = gh_value_int(c->a, *(const uint32_t *)p); break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        *out = int64_text(c, *(const int64_t *)p, false); break;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        *out = int64_text(c, (long long)*(const uint64_t *)p, true); break;
    case PROTOBUF_C_TYPE_FLOAT: *out = double_val(c, *(const float *)p); break;
    case PROTOBUF_C_TYPE_DOUBLE: *out = double_val(c, *(const double *)p); break;
    case PROTOBUF_C_TYPE_BOOL: *out = gh_value_bool(*(const protobuf_c_boolean *)p); break;
    case PROTOBUF_C_TYPE_ENUM: return enum_val(c, f, *(const int *)p, out);
    case PROTOBUF_C_TYPE_STRING: return string_val(c, f, *(char *const *)p, out);
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        *out = base64_val(c, b->data, b->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: return pj_message(c, *(ProtobufCMessage *const *)p, out);
    }
    return *out ? 0 : oom(c);
}

static size_t type_size(ProtobufCType t) {
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    default: return 4;
    }
}

/* A map field arrives as repeated <Name>Entry messages with key = 1 and value = 2. */
static bool is_map_field(const ProtobufCFieldDescriptor *f) {
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE) return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    size_t n = strlen(d->short_name);
    return d->n_fields == 2 && n > 5 && strcmp(d->short_name + n - 5, "Entry") == 0 &&
           d->fields[0].id == 1 && d->fields[1].id == 2;
}

typedef struct kvpair {
    const gh_value *key, *val;
    size_t seq;
} kvpair;

static int kv_cmp(const void *x, const void *y) {
    const kvpair *a = x, *b = y;
    int k = gh_value_compare(a->key, b->key);
    return k ? k : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* Pairs to an object where a repeated key keeps its last value (protobuf's rule for maps,
 * and Go's for JSON). pairs is reordered. */
static int object_last_wins(conv *c, kvpair *pairs, size_t n, const gh_value **out) {
    qsort(pairs, n, sizeof *pairs, kv_cmp);
    const gh_value **keys = gh_arena_alloc(c->a, (n + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(c->a, (n + 1) * sizeof *vals);
    if (!keys || !vals) return oom(c);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && gh_value_equal(pairs[i].key, pairs[i + 1].key)) continue;
        keys[k] = pairs[i].key;
        vals[k++] = pairs[i].val;
    }
    return make_object(c, keys, vals, k, out);
}

static int pj_map(conv *c, const ProtobufCFieldDescriptor *f, size_t n,
                  ProtobufCMessage *const *entries, const gh_value **out) {
    const ProtobufCMessageDescriptor *entry = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &entry->fields[0], *vf = &entry->fields[1];
    kvpair *pairs = gh_arena_alloc(c->a, (n + 1) * sizeof *pairs);
    if (!pairs) return oom(c);
    for (size_t i = 0; i < n; i++) {
        const char *e = (const char *)entries[i];
        const gh_value *k;
        int rc = pj_single(c, kf, e + kf->offset, &k);
        if (rc) return rc;
        if (gh_value_kind(k) != GH_KIND_STRING) { /* integer keys print as JSON strings */
            gh_buf b;
            gh_buf_init(&b, 64);
            gh_json_write(&b, k, 0);
            k = b.failed ? NULL : str_val(c, b.data, b.len);
            gh_buf_free(&b);
            if (!k) return oom(c);
        }
        pairs[i].key = k;
        pairs[i].seq = i;
        const char *vp = e + vf->offset;
        if (vf->type == PROTOBUF_C_TYPE_MESSAGE && !*(ProtobufCMessage *const *)vp) {
            /* a map value left out on the wire is the empty message */
            const ProtobufCMessageDescriptor *vd = vf->descriptor;
            ProtobufCMessage *empty = gh_arena_calloc(c->a, 1, vd->sizeof_message);
            if (!empty) return oom(c);
            protobuf_c_message_init(vd, empty);
            rc = pj_message(c, empty, &pairs[i].val);
        } else {
            rc = pj_single(c, vf, vp, &pairs[i].val);
        }
        if (rc) return rc;
    }
    return object_last_wins(c, pairs, n, out);
}

static int pj_repeated(conv *c, const ProtobufCFieldDescriptor *f, size_t n, const char *arr,
                       const gh_value **out) {
    const gh_value **items = gh_arena_alloc(c->a, (n + 1) * sizeof *items);
    if (!items) return oom(c);
    size_t sz = type_size(f->type);
    for (size_t i = 0; i < n; i++) {
        int rc = pj_single(c, f, arr + i * sz, &items[i]);
        if (rc) return rc;
    }
    *out = gh_value_array(c->a, items, n);
    return *out ? 0 : oom(c);
}

/* Whether a proto3 field without explicit presence differs from its zero value. */
static bool nonzero(const ProtobufCFieldDescriptor *f, const void *p) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: { const char *s = *(char *const *)p; return s && *s; }
    case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len > 0;
    case PROTOBUF_C_TYPE_MESSAGE: return *(void *const *)p != NULL;
    case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p != 0;
    case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p != 0;
    default: {
        uint64_t v = 0;
        memcpy(&v, p, type_size(f->type));
        return v != 0;
    }
    }
}

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
    const char *base = (const char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)(base + f->quantifier_offset) > 0;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    return nonzero(f, base + f->offset);
}

static int pj_field(conv *c, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                    const gh_value **out) {
    const char *base = (const char *)m;
    if (f->label != PROTOBUF_C_LABEL_REPEATED) return pj_single(c, f, base + f->offset, out);
    size_t n = *(const size_t *)(base + f->quantifier_offset);
    const char *arr = *(const char *const *)(base + f->offset);
    if (is_map_field(f)) return pj_map(c, f, n, (ProtobufCMessage *const *)arr, out);
    return pj_repeated(c, f, n, arr, out);
}

/* ---- well-known types ---- */

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    /* Howard Hinnant's days_from_civil inverse */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as protojson writes it; the range
 * protojson accepts (years 1 to 9999). */
static int pj_timestamp(conv *c, const Google__Protobuf__Timestamp *t, const gh_value **out) {
    const int64_t min = -62135596800LL, max = 253402300799LL;
    if (t->seconds < min || t->seconds > max || t->nanos < 0 || t->nanos > 999999999)
        return fail(c, GH_EPARSE, "CheckRequest: google.protobuf.Timestamp out of range");
    int64_t days = t->seconds >= 0 ? t->seconds / 86400 : -((-t->seconds + 86399) / 86400);
    int64_t secs = t->seconds - days * 86400, y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, mo, d,
                     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (t->nanos % 1000000 == 0 && t->nanos)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ".%03d", t->nanos / 1000000);
    else if (t->nanos % 1000 == 0 && t->nanos)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ".%06d", t->nanos / 1000);
    else if (t->nanos)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ".%09d", t->nanos);
    buf[n++] = 'Z';
    *out = str_val(c, buf, (size_t)n);
    return *out ? 0 : oom(c);
}

static int pj_struct(conv *c, const Google__Protobuf__Struct *s, const gh_value **out);

static int pj_list(conv *c, const Google__Protobuf__ListValue *l, const gh_value **out);

static int pj_value(conv *c, const Google__Protobuf__Value *v, const gh_value **out) {
    switch (v->kind_case) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE: *out = GH_NULL; return 0;
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
        *out = gh_value_double(c->a, v->number_value);
        return *out ? 0 : fail(c, GH_EPARSE, "CheckRequest: google.protobuf.Value holds %g",
                               v->number_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE: {
        static const ProtobufCFieldDescriptor sf = {.name = "string_value"};
        return string_val(c, &sf, v->string_value, out);
    }
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE: *out = gh_value_bool(v->bool_value); return 0;
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE: return pj_struct(c, v->struct_value, out);
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE: return pj_list(c, v->list_value, out);
    default:
        return fail(c, GH_EPARSE, "CheckRequest: google.protobuf.Value with no kind set");
    }
}

static int pj_list(conv *c, const Google__Protobuf__ListValue *l, const gh_value **out) {
    size_t n = l ? l->n_values : 0;
    const gh_value **items = gh_arena_alloc(c->a, (n + 1) * sizeof *items);
    if (!items) return oom(c);
    for (size_t i = 0; i < n; i++) {
        int rc = pj_value(c, l->values[i], &items[i]);
        if (rc) return rc;
    }
    *out = gh_value_array(c->a, items, n);
    return *out ? 0 : oom(c);
}

static int pj_struct(conv *c, const Google__Protobuf__Struct *s, const gh_value **out) {
    size_t n = s ? s->n_fields : 0;
    kvpair *pairs = gh_arena_alloc(c->a, (n + 1) * sizeof *pairs);
    if (!pairs) return oom(c);
    static const ProtobufCFieldDescriptor kf = {.name = "fields"};
    for (size_t i = 0; i < n; i++) {
        Google__Protobuf__Struct__FieldsEntry *e = s->fields[i];
        int rc = string_val(c, &kf, e->key, &pairs[i].key);
        if (!rc) {
            Google__Protobuf__Value empty = GOOGLE__PROTOBUF__VALUE__INIT;
            rc = pj_value(c, e->value ? e->value : &empty, &pairs[i].val);
        }
        if (rc) return rc;
        pairs[i].seq = i;
    }
    return object_last_wins(c, pairs, n, out);
}

/* A message as protojson writes it: well-known types in their JSON forms, others as an
 * object of their populated fields. */
static int pj_message(conv *c, const ProtobufCMessage *m, const gh_value **out) {
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (is_named(d, "google.protobuf.Timestamp"))
        return pj_timestamp(c, (const Google__Protobuf__Timestamp *)m, out);
    if (is_named(d, "google.protobuf.Struct"))
        return pj_struct(c, (const Google__Protobuf__Struct *)m, out);
    if (is_named(d, "google.protobuf.Value"))
        return pj_value(c, (const Google__Protobuf__Value *)m, out);
    if (is_named(d, "google.protobuf.ListValue"))
        return pj_list(c, (const Google__Protobuf__ListValue *)m, out);
    const gh_value **keys = gh_arena_alloc(c->a, (d->n_fields + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(c->a, (d->n_fields + 1) * sizeof *vals);
    if (!keys || !vals) return oom(c);
    size_t n = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!field_present(m, f)) continue;
        int rc = pj_field(c, m, f, &vals[n]);
        if (rc) return rc;
        if (!(keys[n++] = json_name(c, f->name))) return oom(c);
    }
    return make_object(c, keys, vals, n, out);
}

/* ---- Go's net/url, as the plugin uses it ---- */

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* url.PathUnescape (plus_is_space false) or url.QueryUnescape (true) of s[0..n) into a new
 * string; GH_EINVAL naming the bad escape as Go does. */
static int unescape(conv *c, const char *s, size_t n, bool plus_is_space, const gh_value **out) {
    char *d = gh_arena_alloc(c->a, n + 1);
    if (!d) return oom(c);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) /* Go quotes at most the three bytes of the escape */
                return fail(c, GH_EINVAL, "invalid URL escape \"%.*s\"", (int)(n - i), s + i);
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return fail(c, GH_EINVAL, "invalid URL escape \"%.3s\"", s + i);
            d[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[o++] = plus_is_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    *out = gh_value_string_ref(c->a, d, o);
    return *out ? 0 : oom(c);
}

/* strings.Split(strings.TrimLeft(PathUnescape(path before '?'), "/"), "/") */
static int parsed_path(conv *c, const char *path, size_t n, const gh_value **out) {
    const char *q = memchr(path, '?', n);
    const gh_value *dec;
    int rc = unescape(c, path, q ? (size_t)(q - path) : n, false, &dec);
    if (rc) return rc;
    size_t len;
    const char *s = gh_string_ptr(dec, &len);
    while (len && *s == '/') s++, len--;
    size_t nseg = 1;
    for (size_t i = 0; i < len; i++) nseg += s[i] == '/';
    const gh_value **segs = gh_arena_alloc(c->a, nseg * sizeof *segs);
    if (!segs) return oom(c);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '/') continue;
        if (!(segs[k++] = gh_value_string_ref(c->a, s + start, i - start))) return oom(c);
        start = i + 1;
    }
    *out = gh_value_array(c->a, segs, k);
    return *out ? 0 : oom(c);
}

/* Pairs to {key: [values in order]}. pairs is reordered. */
static int group_pairs(conv *c, kvpair *pairs, size_t n, const gh_value **out) {
    qsort(pairs, n, sizeof *pairs, kv_cmp);
    const gh_value **keys = gh_arena_alloc(c->a, (n + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(c->a, (n + 1) * sizeof *vals);
    const gh_value **items = gh_arena_alloc(c->a, (n + 1) * sizeof *items);
    if (!keys || !vals || !items) return oom(c);
    size_t k = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && gh_value_equal(pairs[j].key, pairs[i].key); j++) items[j - i] = pairs[j].val;
        keys[k] = pairs[i].key;
        if (!(vals[k++] = gh_value_array(c->a, items, j - i))) return oom(c);
    }
    return make_object(c, keys, vals, k, out);
}

/* url.ParseQuery: '&'-separated pairs, '+' as space; a ';' or a bad escape fails the whole
 * query (the plugin refuses the request then). A map of name to array of values. */
static int parse_query(conv *c, const char *s, size_t n, const gh_value **out) {
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) cap += s[i] == '&';
    kvpair *pairs = gh_arena_alloc(c->a, cap * sizeof *pairs);
    if (!pairs) return oom(c);
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '&') continue;
        const char *item = s + start;
        size_t len = i - start;
        start = i + 1;
        if (memchr(item, ';', len)) return fail(c, GH_EINVAL, "invalid semicolon separator in query");
        if (!len) continue;
        const char *eq = memchr(item, '=', len);
        size_t klen = eq ? (size_t)(eq - item) : len;
        int rc = unescape(c, item, klen, true, &pairs[np].key);
        if (!rc)
            rc = unescape(c, eq ? eq + 1 : "", eq ? len - klen - 1 : 0, true, &pairs[np].val);
        if (rc) return rc;
        pairs[np].seq = np;
        np++;
    }
    return group_pairs(c, pairs, np, out);
}

/* ---- the body ---- */

/* The last value Envoy sent for a header (names are lower-case on the wire). */
static const char *header_get(const HttpRequest *h, const char *name) {
    const char *v = NULL;
    for (size_t i = 0; i < h->n_headers; i++)
        if (h->headers[i]->key && strcmp(h->headers[i]->key, name) == 0) v = h->headers[i]->value;
    return v;
}

/* strconv.ParseInt(s, 10, 64) */
static bool go_parse_int(const char *s, int64_t *out) {
    bool neg = *s == '-';
    if (*s == '+' || *s == '-') s++;
    if (!*s) return false;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        unsigned dgt = (unsigned)(*s - '0');
        if (v > (limit - dgt) / 10) return false;
        v = v * 10 + dgt;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* The plugin's truncation test: a content-length larger than the body received (and not
 * -1) means Envoy cut the body short. */
static int check_truncated(conv *c, const HttpRequest *h, size_t body_len, bool *truncated) {
    const char *cl = header_get(h, "content-length");
    int64_t n;
    if (!cl) return 0;
    if (!go_parse_int(cl, &n))
        return fail(c, GH_EINVAL, "strconv.ParseInt: parsing \"%.64s\": invalid syntax", cl);
    *truncated = n != -1 && n > 0 && (uint64_t)n > body_len;
    return 0;
}

/* The body as text: `body`, or else `raw_body` (Envoy's pack_as_bytes). */
static bool body_text(const HttpRequest *h, const char **p, size_t *n) {
    if (h->body && *h->body) {
        *p = h->body;
        *n = strlen(h->body);
    } else {
        *p = (const char *)h->raw_body.data;
        *n = h->raw_body.len;
    }
    return *n > 0;
}

static int json_body(conv *c, const HttpRequest *h, const gh_value **out, bool *truncated) {
    const char *p;
    size_t n;
    if (!body_text(h, &p, &n)) return 0;
    int rc = check_truncated(c, h, n, truncated);
    if (rc || *truncated) return rc;
    gh_json_error jerr;
    rc = gh_json_read(c->a, p, n, NULL, out, &jerr);
    if (rc == GH_ENOMEM || rc == GH_ELIMIT) return oom(c);
    if (rc) return fail(c, GH_EINVAL, "request body: %s", jerr.msg);
    return 0;
}

static int form_body(conv *c, const HttpRequest *h, const gh_value **out, bool *truncated) {
    const char *p;
    size_t n;
    if (!body_text(h, &p, &n)) return 0;
    int rc = check_truncated(c, h, n, truncated);
    if (rc || *truncated) return rc;
    return parse_query(c, p, n, out);
}

static int multipart_body(conv *c, const HttpRequest *h, const char *ctype,
                          const gh_value **out, bool *truncated) {
    const char *p;
    size_t n;
    if (!body_text(h, &p, &n)) return 0;
    int rc = check_truncated(c, h, n, truncated);
    if (rc || *truncated) return rc;
    rc = extauthz_multipart_parse(c->a, ctype, p, n, out, c->err, c->errlen);
    return rc == GH_EINVAL && c->err && strcmp(c->err, "out of memory") == 0 ? GH_ENOMEM : rc;
}

/* parsed_body and truncated_body as the plugin sets them: Envoy's partial-body header says
 * the body was cut; JSON, form and multipart bodies are parsed; a gRPC body needs a
 * descriptor set (not configured: null); any other type is left unparsed (null). */
static int parse_body(conv *c, const HttpRequest *h, const gh_value **out, bool *truncated) {
    *out = GH_NULL;
    *truncated = false;
    if (!h) return 0;
    const char *partial = header_get(h, "x-envoy-auth-partial-body");
    if (partial && strcmp(partial, "true") == 0) {
        *truncated = true;
        return 0;
    }
    const char *ct = header_get(h, "content-type");
    if (!ct) return 0;
    if (strstr(ct, "application/json")) return json_body(c, h, out, truncated);
    if (strstr(ct, "application/grpc")) return 0;
    if (strstr(ct, "application/x-www-form-urlencoded")) return form_body(c, h, out, truncated);
    if (strstr(ct, "multipart/form-data")) return multipart_body(c, h, ct, out, truncated);
    return 0;
}

/* ---- the input document ---- */

enum { MAX_EXTRA = 7 };

static int add_member(conv *c, const gh_value **keys, const gh_value **vals, size_t *n,
                      const char *key, const gh_value *val) {
    if (!val || !(keys[*n] = str_val(c, key, strlen(key)))) return oom(c);
    vals[(*n)++] = val;
    return 0;
}

static const gh_value *version_doc(conv *c) {
    const gh_value *keys[2] = {str_val(c, "encoding", 8), str_val(c, "ext_authz", 9)};
    const gh_value *vals[2] = {str_val(c, "protojson", 9), str_val(c, "v3", 2)};
    const gh_value *out;
    if (!keys[0] || !keys[1] || !vals[0] || !vals[1]) return NULL;
    return make_object(c, keys, vals, 2, &out) ? NULL : out;
}

/* The plugin's members beside the message's own (only "attributes"). */
static int derived_members(conv *c, const CheckRequest *req, const extauthz_opts *opts,
                           const gh_value **keys, const gh_value **vals, size_t *n) {
    const AttributeContext *at = req->attributes;
    const HttpRequest *h = at && at->request ? at->request->http : NULL;
    const char *path = h && h->path ? h->path : "";
    const gh_value *pp, *pq = NULL, *body;
    const char *q = strchr(path, '?');
    int rc = parsed_path(c, path, strlen(path), &pp);
    if (!rc) rc = parse_query(c, q ? q + 1 : "", q ? strlen(q + 1) : 0, &pq);
    if (!rc) rc = add_member(c, keys, vals, n, "parsed_path", pp);
    if (!rc) rc = add_member(c, keys, vals, n, "parsed_query", pq);
    if (!rc) rc = add_member(c, keys, vals, n, "version", version_doc(c));
    if (!rc && !(opts && opts->skip_body_parse)) {
        bool truncated;
        rc = parse_body(c, h, &body, &truncated);
        if (!rc) rc = add_member(c, keys, vals, n, "parsed_body", body);
        if (!rc) rc = add_member(c, keys, vals, n, "truncated_body", gh_value_bool(truncated));
    }
    const char *principal = at && at->source ? at->source->principal : NULL;
    if (!rc && principal && *principal)
        rc = add_member(c, keys, vals, n, "source_principal", str_val(c, principal, strlen(principal)));
    return rc;
}

static int build_input(conv *c, const CheckRequest *req, const extauthz_opts *opts,
                       const gh_value **input) {
    const gh_value *doc;
    int rc = pj_message(c, &req->base, &doc);
    if (rc) return rc;
    size_t own = gh_value_len(doc), n = 0;
    const gh_value **keys = gh_arena_alloc(c->a, (own + MAX_EXTRA) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(c->a, (own + MAX_EXTRA) * sizeof *vals);
    if (!keys || !vals) return oom(c);
    for (; n < own; n++) {
        keys[n] = gh_object_key_at(doc, n);
        vals[n] = gh_object_value_at(doc, n);
    }
    rc = derived_members(c, req, opts, keys, vals, &n);
    return rc ? rc : make_object(c, keys, vals, n, input);
}

/* protobuf-c allocates the unpacked message from the caller's arena: nothing to free, and
 * strings in the message can be shared by the document. */
typedef struct arena_alloc {
    gh_arena *a;
    bool failed;
} arena_alloc;

static void *pb_alloc(void *ud, size_t size) {
    arena_alloc *aa = ud;
    void *p = gh_arena_alloc(aa->a, size ? size : 1);
    if (!p) aa->failed = true;
    return p;
}

static void pb_free(void *ud, void *p) { (void)ud, (void)p; }

int extauthz_decode_check_opts(const uint8_t *buf, size_t len, gh_arena *a,
                               const extauthz_opts *opts, const gh_value **input, char *err,
                               size_t errlen) {
    conv c = {a, err, errlen};
    if (err && errlen) err[0] = '\0';
    *input = NULL;
    if (len > EXTAUTHZ_MAX_MESSAGE)
        return fail(&c, GH_ELIMIT, "CheckRequest: %zu bytes, more than %u", len, EXTAUTHZ_MAX_MESSAGE);
    static const uint8_t none[1];
    if (!buf) buf = none;
    int rc = depth_check(&c, buf, buf + len, &envoy__service__auth__v3__check_request__descriptor, 1);
    if (rc) return rc;
    arena_alloc aa = {a, false};
    ProtobufCAllocator alloc = {pb_alloc, pb_free, &aa};
    CheckRequest *req = envoy__service__auth__v3__check_request__unpack(&alloc, len, buf);
    if (!req) return aa.failed ? oom(&c) : fail(&c, GH_EPARSE, "CheckRequest: malformed protobuf");
    return build_input(&c, req, opts, input);
}

int extauthz_decode_check(const uint8_t *buf, size_t len, gh_arena *a, const gh_value **input,
                          char *err, size_t errlen) {
    return extauthz_decode_check_opts(buf, len, a, NULL, input, err, errlen);
}

int extauthz_input_with(gh_arena *a, const gh_value *input, const char *key,
                        const gh_value *value, const gh_value **out) {
    size_t n = gh_value_len(input), k = 0;
    const gh_value **keys = gh_arena_alloc(a, (n + 1) * sizeof *keys);
    const gh_value **vals = gh_arena_alloc(a, (n + 1) * sizeof *vals);
    const gh_value *name = gh_value_string(a, key, strlen(key));
    if (!keys || !vals || !name) return GH_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (gh_value_equal(gh_object_key_at(input, i), name)) continue;
        keys[k] = gh_object_key_at(input, i);
        vals[k++] = gh_object_value_at(input, i);
    }
    keys[k] = name;
    vals[k++] = value;
    return gh_value_object(a, keys, vals, k, out, NULL) == 0 ? 0 : GH_ENOMEM;
}

/* ---- http_service requests ---- */

static char *lower_dup(conv *c, extauthz_str s) {
    char *d = gh_arena_strndup(c->a, s.ptr ? s.ptr : "", s.len);
    for (size_t i = 0; d && i < s.len; i++)
        if (d[i] >= 'A' && d[i] <= 'Z') d[i] = (char)(d[i] + 32);
    return d;
}

static char *join3(conv *c, const char *a, const char *sep, extauthz_str b) {
    size_t la = strlen(a), ls = strlen(sep);
    char *d = gh_arena_alloc(c->a, la + ls + b.len + 1);
    if (!d) return NULL;
    memcpy(d, a, la);
    memcpy(d + la, sep, ls);
    if (b.len) memcpy(d + la + ls, b.ptr, b.len);
    d[la + ls + b.len] = '\0';
    return d;
}

/* Adds name: value, joining a repeated name's values with "," as Envoy merges them. */
static int put_header(conv *c, HttpRequest *h, HeaderEntry **slots, char *name, extauthz_str value) {
    for (size_t i = 0; i < h->n_headers; i++) {
        if (strcmp(slots[i]->key, name) != 0) continue;
        return (slots[i]->value = join3(c, slots[i]->value, ",", value)) ? 0 : oom(c);
    }
    HeaderEntry *e = gh_arena_alloc(c->a, sizeof *e);
    if (!e) return oom(c);
    envoy__service__auth__v3__attribute_context__http_request__headers_entry__init(e);
    e->key = name;
    if (!(e->value = gh_arena_strndup(c->a, value.ptr ? value.ptr : "", value.len))) return oom(c);
    slots[h->n_headers++] = e;
    return 0;
}

static extauthz_str cstr(const char *s) { return (extauthz_str){s, s ? strlen(s) : 0}; }

/* The path Envoy sent without the configured prefix, with the query put back. */
static char *original_path(conv *c, const extauthz_http_request *r) {
    extauthz_str p = r->path;
    if (r->strip_prefix.len && p.len >= r->strip_prefix.len &&
        memcmp(p.ptr, r->strip_prefix.ptr, r->strip_prefix.len) == 0) {
        p.ptr += r->strip_prefix.len;
        p.len -= r->strip_prefix.len;
    }
    char *base = p.len && p.ptr[0] == '/' ? gh_arena_strndup(c->a, p.ptr, p.len)
                                          : join3(c, "", "/", p);
    return base && r->query.len ? join3(c, base, "?", r->query) : base;
}

static int http_headers(conv *c, const extauthz_http_request *r, HttpRequest *h) {
    h->headers = gh_arena_calloc(c->a, r->n_headers + 3, sizeof *h->headers);
    if (!h->headers) return oom(c);
    int rc = 0;
    for (size_t i = 0; !rc && i < r->n_headers; i++) {
        char *name = lower_dup(c, r->headers[i].key);
        rc = name ? put_header(c, h, h->headers, name, r->headers[i].value) : oom(c);
    }
    const char *host = header_get(h, "host");
    if (!rc && host) rc = put_header(c, h, h->headers, ":authority", cstr(host));
    if (!rc) rc = put_header(c, h, h->headers, ":method", cstr(h->method));
    if (!rc) rc = put_header(c, h, h->headers, ":path", cstr(h->path));
    return rc;
}

/* A body that is not UTF-8 cannot go in the string field; it goes in raw_body, as Envoy's
 * pack_as_bytes would send it. */
static int http_body(conv *c, const extauthz_http_request *r, HttpRequest *h) {
    if (!r->body.len) return 0;
    if (utf8_valid((const unsigned char *)r->body.ptr, r->body.len) &&
        !memchr(r->body.ptr, '\0', r->body.len))
        return (h->body = gh_arena_strndup(c->a, r->body.ptr, r->body.len)) ? 0 : oom(c);
    h->raw_body.data = (uint8_t *)gh_arena_strndup(c->a, r->body.ptr, r->body.len);
    h->raw_body.len = r->body.len;
    return h->raw_body.data ? 0 : oom(c);
}

static int http_request(conv *c, const extauthz_http_request *r, HttpRequest *h) {
    h->method = gh_arena_strndup(c->a, r->method.ptr ? r->method.ptr : "", r->method.len);
    h->path = original_path(c, r);
    if (r->protocol.len) h->protocol = gh_arena_strndup(c->a, r->protocol.ptr, r->protocol.len);
    if (!h->method || !h->path || !h->protocol) return oom(c);
    int rc = http_headers(c, r, h);
    if (rc) return rc;
    const char *host = header_get(h, "host"), *id = header_get(h, "x-request-id");
    if (host) h->host = (char *)host;
    if (id) h->id = (char *)id;
    return http_body(c, r, h);
}

static bool has_nul(extauthz_str s) { return s.len && memchr(s.ptr, 0, s.len); }

/* The text fields become C strings: a NUL in one would cut it short. */
static int check_nul(conv *c, const extauthz_http_request *r) {
    bool bad = has_nul(r->method) || has_nul(r->path) || has_nul(r->query) || has_nul(r->protocol);
    for (size_t i = 0; !bad && i < r->n_headers; i++)
        bad = has_nul(r->headers[i].key) || has_nul(r->headers[i].value);
    return bad ? fail(c, GH_EINVAL, "request: a NUL byte in the method, path, query or a header") : 0;
}

int extauthz_input_from_http(const extauthz_http_request *r, gh_arena *a,
                             const extauthz_opts *opts, const gh_value **input, char *err,
                             size_t errlen) {
    conv c = {a, err, errlen};
    if (err && errlen) err[0] = '\0';
    *input = NULL;
    if (check_nul(&c, r)) return GH_EINVAL;
    CheckRequest *req = gh_arena_alloc(a, sizeof *req);
    AttributeContext *at = gh_arena_alloc(a, sizeof *at);
    AttributeContext__Request *rq = gh_arena_alloc(a, sizeof *rq);
    HttpRequest *h = gh_arena_alloc(a, sizeof *h);
    if (!req || !at || !rq || !h) return oom(&c);
    envoy__service__auth__v3__check_request__init(req);
    envoy__service__auth__v3__attribute_context__init(at);
    envoy__service__auth__v3__attribute_context__request__init(rq);
    envoy__service__auth__v3__attribute_context__http_request__init(h);
    req->attributes = at;
    at->request = rq;
    rq->http = h;
    int rc = http_request(&c, r, h);
    return rc ? rc : build_input(&c, req, opts, input);
}
