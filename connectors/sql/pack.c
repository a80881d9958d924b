/* A linear protobuf writer for the (rewritten) parse tree. protobuf-c's pack asks every
 * nested message for its size again at each level, and libpg_query's trees are deep, so
 * packing dominated the rewrite's time; here a first pass records each message's size in
 * visiting order and the second pass writes, reading the sizes back in the same order.
 * It knows proto3 scalars, strings and messages (all pg_query.proto uses); anything else
 * makes it give up and the caller falls back to protobuf-c. */
#include <string.h>

#include "sql_internal.h"

typedef struct packer {
    size_t *sizes; /* body size of each message, in pre-order */
    size_t n, cap;
    gh_arena *a;
    bool failed;
} packer;

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80)
        v >>= 7, n++;
    return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80)
        *p++ = (uint8_t)(v | 0x80), v >>= 7;
    *p++ = (uint8_t)v;
    return p;
}

/* The scalar's wire value (int32 and enums sign-extend, as protobuf requires). */
static bool scalar_value(const ProtobufCFieldDescriptor *f, const void *member, uint64_t *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: *v = (uint64_t)(int64_t) * (const int32_t *)member; return true;
    case PROTOBUF_C_TYPE_UINT32: *v = *(const uint32_t *)member; return true;
    case PROTOBUF_C_TYPE_INT64: *v = (uint64_t) * (const int64_t *)member; return true;
    case PROTOBUF_C_TYPE_UINT64: *v = *(const uint64_t *)member; return true;
    case PROTOBUF_C_TYPE_BOOL: *v = *(const protobuf_c_boolean *)member != 0; return true;
    default: return false;
    }
}

static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    return f->label == PROTOBUF_C_LABEL_NONE || f->label == PROTOBUF_C_LABEL_REQUIRED ||
           (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
            *(const protobuf_c_boolean *)(base + f->quantifier_offset));
}

static size_t message_size(packer *p, const ProtobufCMessage *m);

/* Bytes of one value (without its key); 0 with *skip for a proto3 default left out. */
static size_t value_size(packer *p, const ProtobufCFieldDescriptor *f, const void *member, bool keep_default,
                         bool *skip)
{
    uint64_t v;
    *skip = false;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)member;
        size_t n = s ? strlen(s) : 0;
        *skip = !keep_default && n == 0;
        return varint_len(n) + n;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
        *skip = sub == NULL;
        if (!sub)
            return 0;
        size_t n = message_size(p, sub);
        return varint_len(n) + n;
    }
    if (!scalar_value(f, member, &v)) {
        p->failed = true;
        return 0;
    }
    *skip = !keep_default && v == 0;
    return varint_len(v);
}

static size_t field_size(packer *p, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    size_t key = varint_len((uint64_t)f->id << 3), total = 0;
    bool skip;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) {
            p->failed = *(const size_t *)(base + f->quantifier_offset) != 0; /* packed scalars: not ours */
            return 0;
        }
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        char *const *items = *(char *const *const *)(base + f->offset);
        for (size_t i = 0; i < n; i++)
            total += key + value_size(p, f, &items[i], true, &skip);
        return total;
    }
    if (!field_present(m, f))
        return 0;
    size_t n = value_size(p, f, base + f->offset, (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0, &skip);
    return skip ? 0 : key + n;
}

/* A Node holds one of ~250 kinds: go straight to the one it holds, not through them all. */
static const ProtobufCFieldDescriptor *node_field(const ProtobufCMessage *m)
{
    if (m->descriptor != &pg_query__node__descriptor)
        return NULL;
    return protobuf_c_message_descriptor_get_field(m->descriptor, ((const Node *)m)->node_case);
}

static size_t message_size(packer *p, const ProtobufCMessage *m)
{
    size_t slot = p->n;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        size_t *s = gh_arena_realloc(p->a, p->sizes, p->cap * sizeof *s, cap * sizeof *s);
        if (!s) {
            p->failed = true;
            return 0;
        }
        p->sizes = s, p->cap = cap;
    }
    p->n++;
    size_t total = 0;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const ProtobufCFieldDescriptor *only = node_field(m);
    if (only || d == &pg_query__node__descriptor)
        total = only ? field_size(p, m, only) : 0;
    else
        for (unsigned i = 0; i < d->n_fields && !p->failed; i++)
            total += field_size(p, m, &d->fields[i]);
    p->sizes[slot] = total;
    return total;
}

static uint8_t *message_write(packer *p, const ProtobufCMessage *m, uint8_t *o);

static uint8_t *value_write(packer *p, const ProtobufCFieldDescriptor *f, const void *member, bool keep_default,
                            uint8_t *o)
{
    uint64_t v;
    uint8_t wire = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE ? 2 : 0;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)member;
        size_t n = s ? strlen(s) : 0;
        if (!keep_default && n == 0)
            return o;
        o = varint_put(o, ((uint64_t)f->id << 3) | wire);
        o = varint_put(o, n);
        memcpy(o, s ? s : "", n);
        return o + n;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)member;
        if (!sub)
            return o;
        o = varint_put(o, ((uint64_t)f->id << 3) | wire);
        o = varint_put(o, p->sizes[p->n]); /* this message's slot: the next in pre-order */
        return message_write(p, sub, o);
    }
    scalar_value(f, member, &v);
    if (!keep_default && v == 0)
        return o;
    o = varint_put(o, ((uint64_t)f->id << 3) | wire);
    return varint_put(o, v);
}

static uint8_t *message_write(packer *p, const ProtobufCMessage *m, uint8_t *o)
{
    p->n++;
    const char *base = (const char *)m;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const ProtobufCFieldDescriptor *only = node_field(m);
    unsigned first = 0, end = d->n_fields;
    if (only)
        first = (unsigned)(only - d->fields), end = first + 1;
    else if (d == &pg_query__node__descriptor)
        end = 0;
    for (unsigned i = first; i < end; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            char *const *items = *(char *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                o = value_write(p, f, &items[k], true, o);
        } else if (field_present(m, f)) {
            o = value_write(p, f, base + f->offset, (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0, o);
        }
    }
    return o;
}

/* The packed tree in the arena, or NULL when the writer does not know a field kind or the
 * arena fails (then the caller packs with protobuf-c). */
uint8_t *sql_pack(const ProtobufCMessage *root, gh_arena *a, size_t *len)
{
    packer p = {.a = a};
    size_t n = message_size(&p, root);
    uint8_t *buf = p.failed ? NULL : gh_arena_alloc(a, n ? n : 1);
    if (!buf)
        return NULL;
    p.n = 0;
    uint8_t *end = message_write(&p, root, buf);
    if ((size_t)(end - buf) != n)
        return NULL;
    *len = n;
    return buf;
}
