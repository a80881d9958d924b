/* A linear protobuf reader for libpg_query's parse trees, into the arena. protobuf-c's unpack
 * visits every field a message type declares for each message it reads, and a Node declares
 * ~250 (one per node kind), so reading a tree cost more than parsing the SQL; here a field
 * is found by its number. It knows proto3 scalars, strings and messages, all that
 * pg_query.proto uses; anything else (or malformed input) makes it give up, and the caller
 * falls back to protobuf-c. */
#include <string.h>

#include "sql_internal.h"

#define MAX_NESTING 3000

typedef struct reader {
    gh_arena *a;
    int depth;
} reader;

static bool varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Moves *p past one field's value of the given wire type. */
static bool skip_value(const uint8_t **p, const uint8_t *end, unsigned wire)
{
    uint64_t v;
    switch (wire) {
    case 0: return varint_get(p, end, &v);
    case 1: return end - *p >= 8 ? (*p += 8, true) : false;
    case 5: return end - *p >= 4 ? (*p += 4, true) : false;
    case 2: return varint_get(p, end, &v) && v <= (uint64_t)(end - *p) ? (*p += v, true) : false;
    default: return false;
    }
}

static ProtobufCMessage *read_message(reader *r, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                                      const uint8_t *end);

static bool store_scalar(const ProtobufCFieldDescriptor *f, void *member, uint64_t v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: *(int32_t *)member = (int32_t)v; return true;
    case PROTOBUF_C_TYPE_UINT32: *(uint32_t *)member = (uint32_t)v; return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64: *(uint64_t *)member = v; return true;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)member = v != 0; return true;
    default: return false;
    }
}

/* Reads one value of field f at *p into member (a struct member or an array slot). */
static bool read_value(reader *r, const ProtobufCFieldDescriptor *f, unsigned wire, const uint8_t **p,
                       const uint8_t *end, void *member)
{
    uint64_t v;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (wire != 2 || !varint_get(p, end, &v) || v > (uint64_t)(end - *p))
            return false;
        const uint8_t *start = *p;
        *p += v;
        if (f->type == PROTOBUF_C_TYPE_STRING)
            return (*(char **)member = gh_arena_strndup(r->a, (const char *)start, v)) != NULL;
        return (*(ProtobufCMessage **)member = read_message(r, f->descriptor, start, *p)) != NULL;
    }
    return wire == 0 && varint_get(p, end, &v) && store_scalar(f, member, v);
}

/* Pass 1 counted each repeated field into its n_ member; give each its array. */
static bool alloc_repeated(reader *r, const ProtobufCMessageDescriptor *d, char *base)
{
    if (d == &pg_query__node__descriptor)
        return true; /* a Node has no repeated field */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t *n = (size_t *)(base + f->quantifier_offset);
        if (f->label != PROTOBUF_C_LABEL_REPEATED || *n == 0)
            continue;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
            return false; /* packed scalars: not in pg_query.proto */
        void *arr = gh_arena_alloc(r->a, *n * sizeof(void *));
        if (!arr)
            return false;
        *(void **)(base + f->offset) = arr;
        *n = 0; /* pass 2 counts again as it fills */
    }
    return true;
}

static bool read_fields(reader *r, const ProtobufCMessageDescriptor *d, char *base, const uint8_t *p,
                        const uint8_t *end, bool fill)
{
    while (p < end) {
        uint64_t key;
        if (!varint_get(&p, end, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
            return false;
        unsigned wire = key & 7;
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
        if (!f || (f->label == PROTOBUF_C_LABEL_REPEATED && !fill) || (f->label != PROTOBUF_C_LABEL_REPEATED && fill)) {
            if (f && f->label == PROTOBUF_C_LABEL_REPEATED)
                (*(size_t *)(base + f->quantifier_offset))++;
            if (!skip_value(&p, end, wire))
                return false;
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t *n = (size_t *)(base + f->quantifier_offset);
            void **arr = *(void ***)(base + f->offset);
            if (!read_value(r, f, wire, &p, end, &arr[(*n)++]))
                return false;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            *(uint32_t *)(base + f->quantifier_offset) = f->id;
        if (!read_value(r, f, wire, &p, end, base + f->offset))
            return false;
    }
    return true;
}

static ProtobufCMessage *read_message(reader *r, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                                      const uint8_t *end)
{
    if (++r->depth > MAX_NESTING)
        return NULL;
    char *base = gh_arena_alloc(r->a, d->sizeof_message);
    if (!base)
        return NULL;
    d->message_init((ProtobufCMessage *)base);
    /* pass 1: scalars, strings, messages, and counts of repeated fields; pass 2: repeated */
    if (!read_fields(r, d, base, p, end, false) || !alloc_repeated(r, d, base) ||
        !read_fields(r, d, base, p, end, true))
        return NULL;
    r->depth--;
    return (ProtobufCMessage *)base;
}

PgQuery__ParseResult *sql_unpack(const uint8_t *data, size_t len, gh_arena *a)
{
    reader r = {.a = a};
    return (PgQuery__ParseResult *)read_message(&r, &pg_query__parse_result__descriptor, data, data + len);
}
