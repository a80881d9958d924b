/* The ext_authz core (sidecar/extauthz*.c): CheckRequests built with the generated
 * protobuf-c structs, encoded, decoded into input documents and compared with the
 * documents in tests/data/extauthz/; http_service requests; decisions mapped to results and
 * encoded CheckResponses decoded back; malformed bytes; and policies/envoy evaluated on
 * decoded inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/auth/v3/external_auth.pb-c.h"
#include "extauthz.h"
#include "gatehouse/engine.h"
#include "gatehouse/error.h"
#include "testlib.h"

/* The checks read deprecated fields (HeaderValueOption.append, OkHttpResponse's own
 * dynamic_metadata) to make sure they stay unset. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

typedef Envoy__Service__Auth__V3__CheckRequest CheckRequest;
typedef Envoy__Service__Auth__V3__AttributeContext AttributeContext;
typedef Envoy__Service__Auth__V3__AttributeContext__Peer Peer;
typedef Envoy__Service__Auth__V3__AttributeContext__Request Request;
typedef Envoy__Service__Auth__V3__AttributeContext__HttpRequest HttpRequest;
typedef Envoy__Service__Auth__V3__AttributeContext__HttpRequest__HeadersEntry HeaderEntry;
typedef Envoy__Service__Auth__V3__CheckResponse CheckResponse;

static gh_arena arena;

/* ---- building requests ---- */

/* A request under construction: everything lives in the test arena. */
typedef struct req {
    CheckRequest check;
    AttributeContext attrs;
    Request request;
    HttpRequest http;
    HeaderEntry *hdr[16];
} req;

static void req_init(req *r, const char *method, const char *path) {
    envoy__service__auth__v3__check_request__init(&r->check);
    envoy__service__auth__v3__attribute_context__init(&r->attrs);
    envoy__service__auth__v3__attribute_context__request__init(&r->request);
    envoy__service__auth__v3__attribute_context__http_request__init(&r->http);
    r->check.attributes = &r->attrs;
    r->attrs.request = &r->request;
    r->request.http = &r->http;
    r->http.method = (char *)method;
    r->http.path = (char *)path;
    r->http.headers = r->hdr;
}

static void req_header(req *r, const char *k, const char *v) {
    HeaderEntry *e = gh_arena_alloc(&arena, sizeof *e);
    envoy__service__auth__v3__attribute_context__http_request__headers_entry__init(e);
    e->key = (char *)k;
    e->value = (char *)v;
    r->hdr[r->http.n_headers++] = e;
}

static uint8_t *pack(const CheckRequest *c, size_t *len) {
    *len = envoy__service__auth__v3__check_request__get_packed_size(c);
    uint8_t *buf = gh_arena_alloc(&arena, *len + 1);
    envoy__service__auth__v3__check_request__pack(c, buf);
    return buf;
}

static const gh_value *json(const char *text) {
    const gh_value *v = NULL;
    gh_json_error err;
    if (gh_json_read(&arena, text, strlen(text), NULL, &v, &err) != 0)
        test_fail(__FILE__, __LINE__, "bad test JSON: %s", err.msg);
    return v;
}

static const gh_value *json_file(const char *path) {
    size_t n;
    char *text = test_read_file(path, &n);
    if (!text) {
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return NULL;
    }
    const gh_value *v = json(text);
    free(text);
    return v;
}

static void check_doc(int line, const gh_value *got, const gh_value *want) {
    tests_run++;
    if (got && want && gh_value_equal(got, want)) return;
    gh_buf a, b;
    gh_buf_init(&a, 0);
    gh_buf_init(&b, 0);
    if (got) gh_json_write(&a, got, GH_JSON_PRETTY);
    if (want) gh_json_write(&b, want, GH_JSON_PRETTY);
    test_fail(__FILE__, line, "document differs\n   got: %s\n  want: %s", a.data ? a.data : "(null)",
              b.data ? b.data : "(null)");
    gh_buf_free(&a);
    gh_buf_free(&b);
}
#define CHECK_DOC(got, want) check_doc(__LINE__, got, want)

static const gh_value *decode(const CheckRequest *c, const extauthz_opts *opts, int *rc, char *err,
                              size_t errlen) {
    size_t len;
    uint8_t *buf = pack(c, &len);
    const gh_value *input = NULL;
    *rc = extauthz_decode_check_opts(buf, len, &arena, opts, &input, err, errlen);
    return input;
}

static const gh_value *decode_ok(const CheckRequest *c, const extauthz_opts *opts) {
    char err[256];
    int rc;
    const gh_value *in = decode(c, opts, &rc, err, sizeof err);
    if (rc) test_fail(__FILE__, __LINE__, "decode failed: %s", err);
    return in;
}

static const gh_value *get(const gh_value *obj, const char *key) {
    return gh_object_get_str(obj, key, strlen(key));
}

/* ---- inputs ---- */

static Google__Protobuf__Value *pv(Google__Protobuf__Value__KindCase k) {
    Google__Protobuf__Value *v = gh_arena_alloc(&arena, sizeof *v);
    google__protobuf__value__init(v);
    v->kind_case = k;
    return v;
}

static Google__Protobuf__Struct__FieldsEntry *field(const char *k, Google__Protobuf__Value *v) {
    Google__Protobuf__Struct__FieldsEntry *e = gh_arena_alloc(&arena, sizeof *e);
    google__protobuf__struct__fields_entry__init(e);
    e->key = (char *)k;
    e->value = v;
    return e;
}

/* {"sub": "alice", "n": 1.5, "ok": true, "none": null, "list": [1, "a"]} */
static Google__Protobuf__Struct *jwt_claims(void) {
    static Google__Protobuf__Struct s = GOOGLE__PROTOBUF__STRUCT__INIT;
    static Google__Protobuf__Struct__FieldsEntry *fields[5];
    static Google__Protobuf__ListValue list = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
    static Google__Protobuf__Value *items[2];
    Google__Protobuf__Value *sub = pv(GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
    sub->string_value = "alice";
    Google__Protobuf__Value *n = pv(GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
    n->number_value = 1.5;
    Google__Protobuf__Value *ok = pv(GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE);
    ok->bool_value = 1;
    items[0] = pv(GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
    items[0]->number_value = 1;
    items[1] = pv(GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
    items[1]->string_value = "a";
    list.n_values = 2;
    list.values = items;
    Google__Protobuf__Value *lv = pv(GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
    lv->list_value = &list;
    fields[0] = field("sub", sub);
    fields[1] = field("n", n);
    fields[2] = field("ok", ok);
    fields[3] = field("none", pv(GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE));
    fields[4] = field("list", lv);
    s.n_fields = 5;
    s.fields = fields;
    return &s;
}

static Envoy__Config__Core__V3__Address *socket_address(const char *ip, uint32_t port) {
    Envoy__Config__Core__V3__SocketAddress *sa = gh_arena_alloc(&arena, sizeof *sa);
    envoy__config__core__v3__socket_address__init(sa);
    sa->address = (char *)ip;
    sa->port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
    sa->port_value = port;
    Envoy__Config__Core__V3__Address *a = gh_arena_alloc(&arena, sizeof *a);
    envoy__config__core__v3__address__init(a);
    a->address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
    a->socket_address = sa;
    return a;
}

/* extauthz-1: every part of a typical Check, protojson-shaped, with a JSON body. */
static void test_json_request(void) {
    static const char path[] = "/api/v1/users/alice%20smith/orders?x=1&y=a+b&x=2&z=%2F";
    req r;
    req_init(&r, "POST", (char *)path);
    Peer src = ENVOY__SERVICE__AUTH__V3__ATTRIBUTE_CONTEXT__PEER__INIT;
    Peer dst = ENVOY__SERVICE__AUTH__V3__ATTRIBUTE_CONTEXT__PEER__INIT;
    src.address = socket_address("10.0.0.7", 51234);
    src.principal = "spiffe://cluster.local/ns/shop/sa/web";
    dst.address = socket_address("10.0.0.9", 8080);
    r.attrs.source = &src;
    r.attrs.destination = &dst;
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = 1700000000;
    t.nanos = 123000000;
    r.request.time = &t;
    r.http.id = "req-1";
    req_header(&r, ":authority", "shop.test");
    req_header(&r, ":method", "POST");
    req_header(&r, ":path", path);
    req_header(&r, "content-type", "application/json");
    req_header(&r, "content-length", "23");
    req_header(&r, "x-forwarded-proto", "https");
    r.http.host = "shop.test";
    r.http.scheme = "https";
    r.http.size = 23;
    r.http.protocol = "HTTP/1.1";
    r.http.body = "{\"item\":\"book\",\"qty\":2}";
    Envoy__Service__Auth__V3__AttributeContext__ContextExtensionsEntry ext =
        ENVOY__SERVICE__AUTH__V3__ATTRIBUTE_CONTEXT__CONTEXT_EXTENSIONS_ENTRY__INIT;
    Envoy__Service__Auth__V3__AttributeContext__ContextExtensionsEntry *exts[1] = {&ext};
    ext.key = "virtual_host";
    ext.value = "shop";
    r.attrs.n_context_extensions = 1;
    r.attrs.context_extensions = exts;
    Envoy__Config__Core__V3__Metadata md = ENVOY__CONFIG__CORE__V3__METADATA__INIT;
    Envoy__Config__Core__V3__Metadata__FilterMetadataEntry fm =
        ENVOY__CONFIG__CORE__V3__METADATA__FILTER_METADATA_ENTRY__INIT;
    Envoy__Config__Core__V3__Metadata__FilterMetadataEntry *fms[1] = {&fm};
    fm.key = "envoy.filters.http.jwt_authn";
    fm.value = jwt_claims();
    md.n_filter_metadata = 1;
    md.filter_metadata = fms;
    r.attrs.metadata_context = &md;
    CHECK_DOC(decode_ok(&r.check, NULL), json_file("data/extauthz/check_json.json"));

    /* extauthz-1b: skip-request-body-parse leaves both body members out */
    extauthz_opts skip = {.skip_body_parse = true};
    const gh_value *in = decode_ok(&r.check, &skip);
    CHECK(in && !get(in, "parsed_body") && !get(in, "truncated_body") && get(in, "parsed_path"));

    /* extauthz-1c: a content-length beyond the body received means Envoy cut it */
    r.hdr[4]->value = "4096";
    in = decode_ok(&r.check, NULL);
    CHECK(in && gh_value_equal(get(in, "truncated_body"), GH_TRUE));
    CHECK(in && gh_value_kind(get(in, "parsed_body")) == GH_KIND_NULL);
    /* extauthz-1d: content-length -1 is "unknown", not truncation */
    r.hdr[4]->value = "-1";
    in = decode_ok(&r.check, NULL);
    CHECK(in && gh_value_equal(get(in, "truncated_body"), GH_FALSE));
    CHECK(in && gh_value_kind(get(in, "parsed_body")) == GH_KIND_OBJECT);
}

/* extauthz-2: a form body sent as raw bytes (pack_as_bytes), a negative size, "//login". */
static void test_form_request(void) {
    static const char body[] = "user=al%21ce&remember=on&tags=a&tags=b+c";
    req r;
    req_init(&r, "POST", "//login");
    req_header(&r, "content-type", "application/x-www-form-urlencoded; charset=utf-8");
    r.http.size = -1;
    r.http.raw_body.data = (uint8_t *)body;
    r.http.raw_body.len = strlen(body);
    CHECK_DOC(decode_ok(&r.check, NULL), json_file("data/extauthz/check_form.json"));
}

/* extauthz-2b: multipart/form-data bodies, read as Go's mime/multipart reads them. */
static void test_multipart(void) {
    static const struct {
        const char *ctype, *body, *want, *err;
    } cases[] = {
        /* preamble and epilogue, repeated names, a JSON part, a file, unnamed and
           non-form-data parts skipped, a boundary look-alike inside a body, folded header */
        {"multipart/form-data; boundary=XyZ",
         "preamble line\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
         "--XyZ  \r\ncontent-disposition: form-data;\r\n name=a\r\n\r\n2\r\n"
         "--XyZ\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"k\": [1, true]}\r\n"
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZabc\r\n"
         "--XyZ\r\nContent-Type: text/plain\r\n\r\nno name\r\n"
         "--XyZ\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nnot a form field\r\n"
         "--XyZ--\r\nepilogue",
         "{\"a\": [\"1\", \"2\"], \"meta\": [{\"k\": [1, true]}], \"file\": [\"hello\\r\\n--XyZabc\"]}", NULL},
        /* lines ending in LF alone when the first boundary line does; quoted boundary */
        {"multipart/form-data; charset=utf-8; boundary=\"b:1\"",
         "--b:1\nContent-Disposition: form-data; name=\"q\"\n\nv\n--b:1--", "{\"q\": [\"v\"]}", NULL},
        /* the plugin matches the type case-sensitively: this one is left unparsed */
        {"Multipart/Form-Data; boundary=b", "--b\r\n\r\nx\r\n--b--", "null", NULL},
        {"multipart/form-data; boundary=b", "--b--\r\n", "{}", NULL},
        {"multipart/form-data", "--b\r\n\r\nx\r\n--b--", "null", NULL},
        {"multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever ends", NULL,
         "multipart: unexpected EOF in a part"},
        {"multipart/form-data; boundary=b", "--b\r\nno colon here\r\n\r\nx\r\n--b--", NULL,
         "malformed MIME header line: no colon here"},
        {"multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=j\r\nContent-Type: application/json\r\n\r\n{]\r\n--b--",
         NULL, "request body: json: 1:2:"},
        {"multipart/form-data; boundary=b", "--b\r\n\r\nx\r\n--b\r\ngarbage", NULL,
         "multipart: unexpected EOF in part headers"},
        {"multipart/form-data; boundary=\"\"", "--\r\n", NULL, "multipart: boundary is empty"},
        {"multipart/form-data; boundary=b; boundary=c", "--b--", NULL, "mime: invalid media parameter"},
        {"multipart/form-data; boundary=b; charset=x; CHARSET=y", "--b--", NULL,
         "mime: invalid media parameter"},
        /* quoted-printable parts are decoded: escapes, a soft line break, a literal '=' */
        {"multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=q\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\n"
         "caf=C3=A9 =\r\nand more=3D  \r\nx=zz\r\n--b--",
         "{\"q\": [\"caf\u00e9 and more=\\r\\nx=zz\"]}", NULL},
        {"multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=q\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
         "bad \x01 byte\r\n--b--",
         NULL, "quotedprintable: invalid unescaped byte 0x01 in body"},
        {"multipart/form-data; boundary=b", "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\nz", NULL,
         "multipart: unexpected EOF in a part"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        req r;
        req_init(&r, "POST", "/upload");
        req_header(&r, "content-type", cases[i].ctype);
        r.http.body = (char *)cases[i].body;
        char err[256] = "";
        int rc;
        const gh_value *in = decode(&r.check, NULL, &rc, err, sizeof err);
        if (cases[i].want) {
            tests_run++;
            if (rc) test_fail(__FILE__, __LINE__, "multipart case %zu: %s", i, err);
            CHECK_DOC(in ? get(in, "parsed_body") : NULL, json(cases[i].want));
        } else {
            CHECK_INT(rc, GH_EINVAL);
            tests_run++;
            if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
                test_fail(__FILE__, __LINE__, "multipart case %zu: error \"%s\", want \"%s\"", i,
                          err, cases[i].err);
        }
    }
}

/* extauthz-3: Envoy's x-envoy-auth-partial-body: true marks the body as cut, whatever it is. */
static void test_partial_body(void) {
    req r;
    req_init(&r, "POST", "/upload");
    req_header(&r, "content-type", "application/json");
    req_header(&r, "x-envoy-auth-partial-body", "true");
    r.http.body = "{\"half\": ";
    const gh_value *in = decode_ok(&r.check, NULL);
    CHECK(in && gh_value_equal(get(in, "truncated_body"), GH_TRUE));
    CHECK(in && gh_value_kind(get(in, "parsed_body")) == GH_KIND_NULL);
    /* "false" is not "true": the body is parsed, and this one is broken JSON */
    r.hdr[1]->value = "false";
    char err[256];
    int rc;
    in = decode(&r.check, NULL, &rc, err, sizeof err);
    CHECK_INT(rc, GH_EINVAL);
    CHECK(strncmp(err, "request body: json:", 19) == 0);
}

/* extauthz-4: the empty CheckRequest still gets every derived member. */
static void test_empty_request(void) {
    CheckRequest c = ENVOY__SERVICE__AUTH__V3__CHECK_REQUEST__INIT;
    const gh_value *in = NULL;
    char err[128];
    CHECK_INT(extauthz_decode_check(NULL, 0, &arena, &in, err, sizeof err), 0);
    CHECK_DOC(in, json("{\"parsed_path\": [\"\"], \"parsed_query\": {}, \"parsed_body\": null,"
                       " \"truncated_body\": false,"
                       " \"version\": {\"encoding\": \"protojson\", \"ext_authz\": \"v3\"}}"));
    CHECK_DOC(decode_ok(&c, NULL), in);
}

/* extauthz-5: requests the plugin refuses to turn into input, each with Go's message. */
static void test_refused_requests(void) {
    static const struct {
        const char *path, *ctype, *clen, *body, *err;
    } cases[] = {
        {"/a%zzb", NULL, NULL, NULL, "invalid URL escape \"%zz\""},
        {"/a%4", NULL, NULL, NULL, "invalid URL escape \"%4\""},
        {"/a?x=%G1", NULL, NULL, NULL, "invalid URL escape \"%G1\""},
        {"/a?x=1;y=2", NULL, NULL, NULL, "invalid semicolon separator in query"},
        {"/a", "application/json", NULL, "{\"a\": }", NULL},
        {"/a", "application/json", "12x", "{}", "strconv.ParseInt: parsing \"12x\": invalid syntax"},
        {"/a", "application/x-www-form-urlencoded", NULL, "a=%", "invalid URL escape \"%\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        req r;
        req_init(&r, "POST", (char *)cases[i].path);
        if (cases[i].ctype) req_header(&r, "content-type", cases[i].ctype);
        if (cases[i].clen) req_header(&r, "content-length", cases[i].clen);
        if (cases[i].body) r.http.body = (char *)cases[i].body;
        char err[256] = "";
        int rc;
        const gh_value *in = decode(&r.check, NULL, &rc, err, sizeof err);
        CHECK_INT(rc, GH_EINVAL);
        CHECK(in == NULL);
        if (cases[i].err) CHECK_STR(err, cases[i].err);
        else CHECK(strstr(err, "request body: json: 1:7:") == err);
    }
}

/* ---- malformed bytes ---- */

static void expect_parse_error(int line, const uint8_t *buf, size_t len, const char *want) {
    const gh_value *in = (const gh_value *)1;
    char err[256] = "";
    int rc = extauthz_decode_check(buf, len, &arena, &in, err, sizeof err);
    tests_run++;
    if (rc != GH_EPARSE || in != NULL || (want && !strstr(err, want)))
        test_fail(__FILE__, line, "rc %d, err \"%s\" (want GH_EPARSE, \"%s\")", rc, err,
                  want ? want : "");
}
#define EXPECT_PARSE_ERROR(buf, len, want) expect_parse_error(__LINE__, buf, len, want)

/* {"k": {"k": ... "x"}} nested `depth` Structs deep. */
static Google__Protobuf__Struct *nested_struct(size_t depth) {
    Google__Protobuf__Value *v = pv(GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
    v->string_value = "x";
    Google__Protobuf__Struct *s = NULL;
    for (size_t i = 0; i < depth; i++) {
        if (s) {
            v = pv(GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
            v->struct_value = s;
        }
        s = gh_arena_alloc(&arena, sizeof *s);
        google__protobuf__struct__init(s);
        s->fields = gh_arena_alloc(&arena, sizeof *s->fields);
        s->fields[0] = field("k", v);
        s->n_fields = 1;
    }
    return s;
}

/* A request whose metadata_context holds {"f": nested_struct(depth)}. */
static int decode_nested(size_t depth, const gh_value **in, char *err, size_t errlen) {
    req r;
    req_init(&r, "GET", "/");
    Envoy__Config__Core__V3__Metadata md = ENVOY__CONFIG__CORE__V3__METADATA__INIT;
    Envoy__Config__Core__V3__Metadata__FilterMetadataEntry fm =
        ENVOY__CONFIG__CORE__V3__METADATA__FILTER_METADATA_ENTRY__INIT;
    Envoy__Config__Core__V3__Metadata__FilterMetadataEntry *fms[1] = {&fm};
    fm.key = "f";
    fm.value = nested_struct(depth);
    md.n_filter_metadata = 1;
    md.filter_metadata = fms;
    r.attrs.metadata_context = &md;
    size_t len;
    uint8_t *buf = pack(&r.check, &len);
    return extauthz_decode_check(buf, len, &arena, in, err, errlen);
}

static void test_malformed(void) {
    static const uint8_t truncated_len[] = {0x0a, 0x10, 0x0a};       /* attributes: 16 bytes, 1 there */
    static const uint8_t bad_wire[] = {0x0f};                      /* field 1, wire type 7 */
    static const uint8_t bad_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t group[] = {0x0b, 0x0c};                   /* a proto2 group */
    static const uint8_t wrong_type[] = {0x08, 0x01};              /* attributes as a varint */
    EXPECT_PARSE_ERROR(truncated_len, sizeof truncated_len, "bad length");
    EXPECT_PARSE_ERROR(bad_wire, sizeof bad_wire, "malformed protobuf");
    EXPECT_PARSE_ERROR(bad_varint, sizeof bad_varint, "malformed protobuf");
    EXPECT_PARSE_ERROR(group, sizeof group, "malformed protobuf");
    EXPECT_PARSE_ERROR(wrong_type, sizeof wrong_type, "malformed protobuf");

    /* invalid UTF-8 in a string field (Go's protobuf refuses it too) */
    req r;
    req_init(&r, "GET", "/caf\xe9");
    size_t len;
    uint8_t *buf = pack(&r.check, &len);
    EXPECT_PARSE_ERROR(buf, len, "field path holds invalid UTF-8");

    /* a NUL inside a string: Go would keep what follows, protobuf-c would not */
    static const uint8_t nul_body[] = {0x0a, 0x0b, 0x22, 0x09, 0x12, 0x07, 0x5a, 0x05,
                                       '{', '}', 0, 'x', 'y'}; /* attributes.request.http.body */
    EXPECT_PARSE_ERROR(nul_body, sizeof nul_body, "field body holds a NUL byte");
    static const uint8_t nul_header[] = {0x0a, 0x0f, 0x22, 0x0d, 0x12, 0x0b, 0x1a, 0x09, 0x0a, 0x01,
                                         'a', 0x12, 0x04, 'b', 0, 'c', 'd'}; /* headers {"a": "b\0cd"} */
    EXPECT_PARSE_ERROR(nul_header, sizeof nul_header, "field value holds a NUL byte");

    /* metadata nested past the limit is refused before protobuf-c recurses into it:
       CheckRequest, AttributeContext, Metadata, its entry, then three messages per Struct
       (Struct, its entry, Value) */
    const gh_value *in = NULL;
    char err[256] = "";
    CHECK_INT(decode_nested(10, &in, err, sizeof err), 0);
    const gh_value *f = in ? get(get(get(get(in, "attributes"), "metadataContext"), "filterMetadata"), "f") : NULL;
    for (int i = 0; i < 9 && f; i++) f = get(f, "k");
    CHECK(f && gh_value_equal(get(f, "k"), json("\"x\"")));
    CHECK_INT(decode_nested(20, &in, err, sizeof err), 0); /* 4 + 3 * 20 = 64 levels */
    CHECK_INT(decode_nested(21, &in, err, sizeof err), GH_EPARSE);
    CHECK_STR(err, "CheckRequest: messages nested deeper than 64");
    CHECK_INT(decode_nested(1000, &in, err, sizeof err), GH_EPARSE);

    /* random bytes and random mutations of a real request: an answer, never a crash */
    req_init(&r, "GET", "/x?a=1");
    req_header(&r, "content-type", "application/json");
    r.http.body = "{\"a\": [1, 2, {\"b\": null}]}";
    buf = pack(&r.check, &len);
    uint8_t *copy = gh_arena_alloc(&arena, len);
    unsigned seed = 12345;
    int answered = 0;
    for (int i = 0; i < 20000; i++) {
        memcpy(copy, buf, len);
        for (int k = 0; k < 1 + i % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] = (uint8_t)(seed >> 16);
        }
        gh_arena scratch;
        gh_arena_init(&scratch, 1 << 20);
        const gh_value *in = NULL;
        char err[128];
        int rc = extauthz_decode_check(copy, len - (i % 3), &scratch, &in, err, sizeof err);
        answered += (rc == 0) == (in != NULL);
        gh_arena_free(&scratch);
    }
    CHECK_INT(answered, 20000);
}

/* ---- http_service requests ---- */

/* extauthz-6: the HTTP listener's document, and the same document as the equivalent
 * CheckRequest gives. */
static void test_http_input(void) {
    static const extauthz_kv headers[] = {
        {{"Host", 4}, {"shop.test", 9}},
        {{"X-Request-Id", 12}, {"abc-123", 7}},
        {{"Accept", 6}, {"application/json", 16}},
        {{"accept", 6}, {"text/plain", 10}},
        {{"Authorization", 13}, {"Bearer t0ken", 12}},
    };
    extauthz_http_request hr = {
        .method = {"GET", 3},
        .path = {"/ext_authz/api/v1/orders/7", 26},
        .query = {"expand=items&expand=customer", 28},
        .headers = headers,
        .n_headers = 5,
        .protocol = {"HTTP/1.1", 8},
        .strip_prefix = {"/ext_authz", 10},
    };
    const gh_value *in = NULL;
    char err[256];
    CHECK_INT(extauthz_input_from_http(&hr, &arena, NULL, &in, err, sizeof err), 0);
    const gh_value *want = json_file("data/extauthz/http_input.json");
    CHECK_DOC(in, want);

    static const char path[] = "/api/v1/orders/7?expand=items&expand=customer";
    req r;
    req_init(&r, "GET", path);
    req_header(&r, "host", "shop.test");
    req_header(&r, "x-request-id", "abc-123");
    req_header(&r, "accept", "application/json,text/plain");
    req_header(&r, "authorization", "Bearer t0ken");
    req_header(&r, ":authority", "shop.test");
    req_header(&r, ":method", "GET");
    req_header(&r, ":path", path);
    r.http.id = "abc-123";
    r.http.host = "shop.test";
    r.http.protocol = "HTTP/1.1";
    CHECK_DOC(decode_ok(&r.check, NULL), in);

    /* the listener's verified identity goes in as "subject", replacing any such member */
    const gh_value *with = NULL, *again = NULL;
    CHECK_INT(extauthz_input_with(&arena, in, "subject", json("{\"id\": \"u1\"}"), &with), 0);
    CHECK_INT(extauthz_input_with(&arena, with, "subject", json("\"u2\""), &again), 0);
    CHECK(with && gh_value_len(with) == gh_value_len(in) + 1 &&
          gh_value_equal(get(get(with, "subject"), "id"), json("\"u1\"")));
    CHECK(again && gh_value_len(again) == gh_value_len(with) &&
          gh_value_equal(get(again, "subject"), json("\"u2\"")));

    /* a NUL in a header is refused rather than cut short */
    static const extauthz_kv nul_headers[] = {{{"x-a", 3}, {"b\0c", 3}}};
    extauthz_http_request nul = {.method = {"GET", 3}, .path = {"/", 1}, .headers = nul_headers, .n_headers = 1};
    CHECK_INT(extauthz_input_from_http(&nul, &arena, NULL, &in, err, sizeof err), GH_EINVAL);
    CHECK_STR(err, "request: a NUL byte in the method, path, query or a header");

    /* a body that is not UTF-8 travels as rawBody; a form body is parsed either way */
    static const extauthz_kv form_headers[] = {
        {{"Content-Type", 12}, {"application/x-www-form-urlencoded", 33}},
    };
    extauthz_http_request post = {
        .method = {"POST", 4},
        .path = {"/form", 5},
        .headers = form_headers,
        .n_headers = 1,
        .body = {"a=\xff&b=2", 7},
    };
    CHECK_INT(extauthz_input_from_http(&post, &arena, NULL, &in, err, sizeof err), 0);
    const gh_value *http = in ? get(get(get(in, "attributes"), "request"), "http") : NULL;
    CHECK(http && get(http, "rawBody") && !get(http, "body"));
    /* Go keeps the byte as it is in the string (no U+FFFD), and so does the document */
    const gh_value *a = in ? get(get(in, "parsed_body"), "a") : NULL;
    CHECK(gh_value_len(a) == 1 && gh_value_equal(gh_array_get(a, 0), gh_value_string(&arena, "\xff", 1)));
}

/* ---- decisions ---- */

typedef struct decision_case {
    const char *decision; /* JSON, or NULL for undefined */
    bool dry_run;
    int rc;               /* extauthz_decide's return */
    bool allowed, policy_allowed, structured;
    int status;
    size_t n_headers, n_remove, n_resp_add, n_qset, n_qremove;
    const char *body, *error; /* error: a prefix of out.error */
} decision_case;

static const decision_case decisions[] = {
    {"true", false, 0, true, true, false, 403, 0, 0, 0, 0, 0, NULL, ""},
    {"false", false, 0, false, false, false, 403, 0, 0, 0, 0, 0, NULL, ""},
    {NULL, false, GH_EINVAL, false, false, true, 403, 0, 0, 0, 0, 0, NULL, "undefined decision"},
    {"\"yes\"", false, GH_EINVAL, false, false, true, 403, 0, 0, 0, 0, 0, NULL,
     "illegal value for policy evaluation result: string"},
    {"{}", false, GH_EINVAL, false, false, true, 403, 0, 0, 0, 0, 0, NULL,
     "unable to determine evaluation result due to missing \"allowed\" key"},
    {"{\"allowed\": 1}", false, GH_EINVAL, false, false, true, 403, 0, 0, 0, 0, 0, NULL,
     "type assertion error, expected allowed to be of type 'boolean' but got 'number'"},
    {"{\"allowed\": true, \"headers\": {\"x-user\": \"alice\", \"x-role\": [\"a\", \"b\"]},"
     " \"request_headers_to_remove\": [\"authorization\"],"
     " \"response_headers_to_add\": [{\"set-cookie\": \"a=1\"}, {\"set-cookie\": \"b=2\"}],"
     " \"query_parameters_to_set\": {\"user\": \"alice\", \"tag\": [\"x\", \"y\"]},"
     " \"query_parameters_to_remove\": [\"token\"], \"http_status\": \"ignored when allowed\","
     " \"body\": 5}",
     false, 0, true, true, true, 403, 3, 1, 2, 3, 1, NULL, ""},
    {"{\"allowed\": false, \"http_status\": 401, \"headers\": {\"www-authenticate\": \"Bearer\"},"
     " \"body\": \"{\\\"error\\\":\\\"no token\\\"}\", \"request_headers_to_remove\": 7}",
     false, 0, false, false, true, 401, 1, 0, 0, 0, 0, "{\"error\":\"no token\"}", ""},
    {"{\"allowed\": false}", false, 0, false, false, true, 403, 0, 0, 0, 0, 0, "", ""},
    {"{\"allowed\": false, \"http_status\": 299}", false, GH_EINVAL, false, false, true, 403, 0, 0,
     0, 0, 0, NULL, "Invalid HTTP status code 299"},
    {"{\"allowed\": false, \"http_status\": 404.5}", false, GH_EINVAL, false, false, true, 403, 0,
     0, 0, 0, 0, NULL, "Invalid HTTP status code 404.5"},
    {"{\"allowed\": false, \"http_status\": 429, \"body\": \"slow down\", \"headers\": [1]}", false,
     GH_EINVAL, false, false, true, 429, 0, 0, 0, 0, 0, "slow down",
     "type assertion error, expected headers to be of type 'object' but got 'number'"},
    {"{\"allowed\": true, \"headers\": {\"x\": [\"a\", 2]}}", false, GH_EINVAL, false, false, true,
     403, 0, 0, 0, 0, 0, NULL, "invalid value type number for header 'x'"},
    {"{\"allowed\": true, \"request_headers_to_remove\": \"authorization\"}", false, GH_EINVAL,
     false, false, true, 403, 0, 0, 0, 0, 0, NULL,
     "type assertion error, expected request_headers_to_remove to be of type '[]string' but got 'string'"},
    {"{\"allowed\": true, \"query_parameters_to_set\": [\"a\"]}", false, GH_EINVAL, false, false,
     true, 403, 0, 0, 0, 0, 0, NULL,
     "type assertion error, expected query_parameters_to_set to be a map but got 'array'"},
    {"{\"allowed\": true, \"dynamic_metadata\": [1]}", false, GH_EINVAL, false, false, true, 403,
     0, 0, 0, 0, 0, NULL, "type assertion error, expected dynamic_metadata to be of type 'object'"},
    {"{\"allowed\": false, \"body\": 12}", false, GH_EINVAL, false, false, true, 403, 0, 0, 0, 0,
     0, NULL, "type assertion error, expected body to be of type 'string' but got 'number'"},
    /* dry-run: Envoy always lets the request through, unchanged; the real answer is kept */
    {"false", true, 0, true, false, true, 403, 0, 0, 0, 0, 0, NULL, ""},
    {"{\"allowed\": false, \"http_status\": 401, \"headers\": {\"a\": \"b\"}}", true, 0, true,
     false, true, 401, 0, 0, 0, 0, 0, NULL, ""},
    {NULL, true, GH_EINVAL, true, false, true, 403, 0, 0, 0, 0, 0, NULL, "undefined decision"},
    {"{\"allowed\": true, \"headers\": {\"a\": \"b\"}}", true, 0, true, true, true, 403, 1, 0, 0,
     0, 0, NULL, ""},
};

static bool str_is(extauthz_str s, const char *want) {
    return want ? s.len == strlen(want) && (!s.len || memcmp(s.ptr, want, s.len) == 0) : s.len == 0;
}

static void test_decisions(void) {
    for (size_t i = 0; i < sizeof decisions / sizeof decisions[0]; i++) {
        const decision_case *c = &decisions[i];
        extauthz_result r;
        int rc = extauthz_decide(c->decision ? json(c->decision) : NULL, c->dry_run, &r);
        tests_run++;
        if (rc != c->rc || r.allowed != c->allowed || r.policy_allowed != c->policy_allowed ||
            r.structured != c->structured || r.http_status != c->status ||
            r.n_headers != c->n_headers || r.n_request_headers_to_remove != c->n_remove ||
            r.n_response_headers_to_add != c->n_resp_add ||
            r.n_query_parameters_to_set != c->n_qset ||
            r.n_query_parameters_to_remove != c->n_qremove || !str_is(r.body, c->body) ||
            strncmp(r.error, c->error, strlen(c->error)) != 0 || (!*c->error && *r.error))
            test_fail(__FILE__, __LINE__,
                      "decision %zu (%s): rc %d allowed %d/%d structured %d status %d headers %zu "
                      "remove %zu add %zu qset %zu qremove %zu body '%.*s' error '%s'",
                      i, c->decision ? c->decision : "undefined", rc, r.allowed, r.policy_allowed,
                      r.structured, r.http_status, r.n_headers, r.n_request_headers_to_remove,
                      r.n_response_headers_to_add, r.n_query_parameters_to_set,
                      r.n_query_parameters_to_remove, (int)r.body.len, r.body.ptr ? r.body.ptr : "",
                      r.error);
        extauthz_result_free(&r);
    }
}

/* ---- responses ---- */

static CheckResponse *respond(const char *decision, bool dry_run, const char *decision_id,
                              extauthz_result *r) {
    extauthz_decide(decision ? json(decision) : NULL, dry_run, r);
    r->decision_id = decision_id;
    uint8_t *buf;
    size_t len;
    CHECK_INT(extauthz_encode_check_response(r, &buf, &len), 0);
    CheckResponse *resp = envoy__service__auth__v3__check_response__unpack(NULL, len, buf);
    free(buf);
    CHECK(resp != NULL);
    return resp;
}

static bool header_is(Envoy__Config__Core__V3__HeaderValueOption *o, const char *k, const char *v) {
    return o && o->header && strcmp(o->header->key, k) == 0 && strcmp(o->header->value, v) == 0 &&
           !o->append;
}

static const Google__Protobuf__Value *struct_get(const Google__Protobuf__Struct *s, const char *k) {
    for (size_t i = 0; s && i < s->n_fields; i++)
        if (strcmp(s->fields[i]->key, k) == 0) return s->fields[i]->value;
    return NULL;
}

static void test_ok_response(void) {
    extauthz_result r;
    CheckResponse *resp = respond(
        "{\"allowed\": true, \"headers\": {\"x-user\": \"alice\"},"
        " \"request_headers_to_remove\": [\"authorization\"],"
        " \"response_headers_to_add\": {\"x-served-by\": \"gatehouse\"},"
        " \"query_parameters_to_set\": {\"tag\": [\"x\", \"y\"]},"
        " \"query_parameters_to_remove\": [\"token\"],"
        " \"dynamic_metadata\": {\"tenant\": \"acme\", \"n\": 2, \"tags\": [\"a\", null, true],"
        " \"decision_id\": \"policy's own\", \"deep\": {\"k\": {\"x\": 1.5}}}}",
        false, "dec-42", &r);
    if (!resp) return;
    CHECK(resp->status && resp->status->code == 0 && !*resp->status->message);
    CHECK_INT(resp->http_response_case, ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__HTTP_RESPONSE_OK_RESPONSE);
    Envoy__Service__Auth__V3__OkHttpResponse *ok = resp->ok_response;
    CHECK(ok && ok->n_headers == 1 && header_is(ok->headers[0], "x-user", "alice"));
    CHECK(ok && ok->n_headers_to_remove == 1 && strcmp(ok->headers_to_remove[0], "authorization") == 0);
    CHECK(ok && ok->n_response_headers_to_add == 1 &&
          header_is(ok->response_headers_to_add[0], "x-served-by", "gatehouse"));
    CHECK(ok && ok->n_query_parameters_to_set == 2 &&
          strcmp(ok->query_parameters_to_set[0]->key, "tag") == 0 &&
          strcmp(ok->query_parameters_to_set[1]->value, "y") == 0);
    CHECK(ok && ok->n_query_parameters_to_remove == 1 &&
          strcmp(ok->query_parameters_to_remove[0], "token") == 0);
    CHECK(ok && !ok->dynamic_metadata); /* the deprecated field stays unset */
    const Google__Protobuf__Struct *md = resp->dynamic_metadata;
    const Google__Protobuf__Value *v = struct_get(md, "decision_id");
    CHECK(v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE &&
          strcmp(v->string_value, "dec-42") == 0);
    CHECK(md && md->n_fields == 5);
    v = struct_get(md, "n");
    CHECK(v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE && v->number_value == 2);
    v = struct_get(md, "tags");
    CHECK(v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE && v->list_value->n_values == 3 &&
          v->list_value->values[1]->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE &&
          v->list_value->values[2]->bool_value);
    v = struct_get(md, "deep");
    v = v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE ? struct_get(v->struct_value, "k") : NULL;
    v = v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE ? struct_get(v->struct_value, "x") : NULL;
    CHECK(v && v->number_value == 1.5);
    envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
    extauthz_result_free(&r);
}

static void test_denied_responses(void) {
    extauthz_result r;
    CheckResponse *resp = respond(
        "{\"allowed\": false, \"http_status\": 401, \"headers\": {\"www-authenticate\": \"Bearer\"},"
        " \"body\": \"who are you?\"}",
        false, NULL, &r);
    if (resp) {
        CHECK(resp->status && resp->status->code == 7);
        CHECK_INT(resp->http_response_case,
                  ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__HTTP_RESPONSE_DENIED_RESPONSE);
        Envoy__Service__Auth__V3__DeniedHttpResponse *d = resp->denied_response;
        CHECK(d && d->status && d->status->code == 401);
        CHECK(d && d->n_headers == 1 && header_is(d->headers[0], "www-authenticate", "Bearer"));
        CHECK(d && strcmp(d->body, "who are you?") == 0);
        CHECK(!resp->dynamic_metadata);
        envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
    }
    extauthz_result_free(&r);

    /* a boolean denial carries no http_response: Envoy answers its own 403 */
    resp = respond("false", false, "dec-1", &r);
    if (resp) {
        CHECK(resp->status && resp->status->code == 7);
        CHECK_INT(resp->http_response_case, ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__HTTP_RESPONSE__NOT_SET);
        CHECK(resp->dynamic_metadata && resp->dynamic_metadata->n_fields == 1);
        envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
    }
    extauthz_result_free(&r);

    /* an unusable decision: denied with 403 and nothing of the reason for the client */
    resp = respond("{\"allowed\": \"yes\", \"body\": \"x\"}", false, NULL, &r);
    if (resp) {
        CHECK(resp->status && resp->status->code == 7);
        CHECK(resp->denied_response && resp->denied_response->status->code == 403 &&
              strcmp(resp->denied_response->body, "x") == 0);
        envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
    }
    extauthz_result_free(&r);

    /* dry-run: OK with an empty ok_response, the metadata kept */
    resp = respond("{\"allowed\": false, \"dynamic_metadata\": {\"why\": \"no role\"},"
                   " \"headers\": {\"a\": \"b\"}}", true, "dec-2", &r);
    if (resp) {
        CHECK(resp->status && resp->status->code == 0);
        CHECK(resp->http_response_case == ENVOY__SERVICE__AUTH__V3__CHECK_RESPONSE__HTTP_RESPONSE_OK_RESPONSE &&
              resp->ok_response->n_headers == 0);
        CHECK(struct_get(resp->dynamic_metadata, "why") && struct_get(resp->dynamic_metadata, "decision_id"));
        envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
    }
    CHECK(!r.policy_allowed && r.allowed);
    extauthz_result_free(&r);

    /* a request that could not be decoded: 400, PERMISSION_DENIED */
    extauthz_bad_request(&r, "invalid URL escape \"%zz\"");
    uint8_t *buf;
    size_t len;
    CHECK_INT(extauthz_encode_check_response(&r, &buf, &len), 0);
    resp = envoy__service__auth__v3__check_response__unpack(NULL, len, buf);
    free(buf);
    CHECK(resp && resp->status->code == 7 && resp->denied_response &&
          resp->denied_response->status->code == 400 && !*resp->denied_response->body);
    if (resp) envoy__service__auth__v3__check_response__free_unpacked(resp, NULL);
}

static void test_http_reply(void) {
    extauthz_result r;
    extauthz_http_reply h;
    extauthz_decide(json("{\"allowed\": true, \"headers\": {\"x-user\": \"alice\"},"
                         " \"response_headers_to_add\": {\"x-served-by\": \"gatehouse\"},"
                         " \"request_headers_to_remove\": [\"authorization\", \"cookie\"]}"),
                    false, &r);
    CHECK_INT(extauthz_http_response(&r, &h), 0);
    CHECK_INT(h.status, 200);
    CHECK_INT(h.n_headers, 3);
    CHECK(h.n_headers == 3 && str_is(h.headers[0].key, "x-user") && str_is(h.headers[0].value, "alice"));
    CHECK(h.n_headers == 3 && str_is(h.headers[1].key, "x-served-by"));
    CHECK(h.n_headers == 3 && str_is(h.headers[2].key, "x-envoy-auth-headers-to-remove") &&
          str_is(h.headers[2].value, "authorization, cookie"));
    CHECK(h.body.len == 0);
    extauthz_http_reply_free(&h);
    extauthz_result_free(&r);

    extauthz_decide(json("{\"allowed\": false, \"http_status\": 418, \"body\": \"x\"}"), false, &r);
    CHECK_INT(r.http_status, 403); /* 418 is not one of Envoy's codes: the decision is refused */
    extauthz_result_free(&r);
    extauthz_decide(json("{\"allowed\": false, \"http_status\": 429, \"body\": \"slow\","
                         " \"headers\": {\"retry-after\": \"5\"}}"), false, &r);
    CHECK_INT(extauthz_http_response(&r, &h), 0);
    CHECK_INT(h.status, 429);
    CHECK(str_is(h.body, "slow") && h.n_headers == 1 && str_is(h.headers[0].value, "5"));
    extauthz_http_reply_free(&h);
    extauthz_result_free(&r);

    extauthz_decide(NULL, false, &r);
    CHECK_INT(extauthz_http_response(&r, &h), 0);
    CHECK(h.status == 403 && h.n_headers == 0 && h.body.len == 0);
    extauthz_http_reply_free(&h);
    extauthz_result_free(&r);
}

/* ---- policies/envoy on decoded inputs ---- */

static gh_revision *load_envoy_policy(void) {
    size_t n, dn;
    char *text = test_read_file("../policies/envoy/authz.rego", &n);
    char *data_text = test_read_file("../policies/envoy/data.json", &dn);
    if (!text || !data_text) {
        test_fail(__FILE__, __LINE__, "cannot read policies/envoy");
        free(text);
        free(data_text);
        return NULL;
    }
    gh_json_opts jo = {.flags = GH_JSON_RELAXED};
    const gh_value *data = NULL, *key = gh_value_string(&arena, "envoy", 5);
    gh_json_read(&arena, data_text, dn, &jo, &data, NULL);
    const gh_value *root = NULL;
    gh_value_object(&arena, &key, &data, 1, &root, NULL);
    gh_source src = {"policies/envoy/authz.rego", text, n};
    gh_diags diags;
    gh_diags_init(&diags);
    gh_revision *rev = gh_revision_load(&src, 1, root, NULL, &diags);
    if (!rev) test_fail(__FILE__, __LINE__, "policies/envoy does not load");
    gh_diags_free(&diags);
    free(text);
    free(data_text);
    return rev;
}

/* A token the example policy accepts, minted with the engine's io.jwt.encode_sign. */
static const char *mint_token(gh_evaluator *ev, gh_revision *rev, const char *sub, const char *role) {
    char q[1024];
    snprintf(q, sizeof q,
             "t := io.jwt.encode_sign({\"typ\": \"JWT\", \"alg\": \"HS256\"},"
             " {\"iss\": data.envoy.jwt.issuer, \"aud\": data.envoy.jwt.audience,"
             " \"sub\": \"%s\", \"role\": \"%s\", \"exp\": 4102444800},"
             " {\"kty\": \"oct\", \"k\": base64url.encode_no_pad(data.envoy.jwt.secret)})",
             sub, role);
    gh_diags diags;
    gh_diags_init(&diags);
    gh_query *query = gh_query_prepare(rev, q, strlen(q), &diags);
    gh_diags_free(&diags);
    const gh_value *rows = NULL;
    gh_eval_error err;
    const char *tok = NULL;
    if (query && gh_query_eval(ev, query, NULL, &rows, &err) == 0 && gh_value_len(rows) == 1) {
        size_t len;
        const char *s = gh_string_ptr(get(gh_array_get(rows, 0), "t"), &len);
        tok = s ? gh_arena_strndup(&arena, s, len) : NULL;
    }
    if (query) gh_query_free(query);
    return tok;
}

static extauthz_result decide_policy(gh_evaluator *ev, gh_revision *rev, req *r) {
    extauthz_result out;
    const gh_value *input = decode_ok(&r->check, NULL), *decision = NULL;
    gh_eval_error err;
    if (gh_eval(ev, rev, "data.envoy.authz.allow", input, &decision, &err) != 0)
        test_fail(__FILE__, __LINE__, "evaluation failed: %s", err.msg);
    extauthz_decide(decision, false, &out);
    return out;
}

static bool has_header(const extauthz_result *r, const char *k, const char *v) {
    for (size_t i = 0; i < r->n_headers; i++)
        if (str_is(r->headers[i].key, k) && str_is(r->headers[i].value, v)) return true;
    return false;
}

static void test_envoy_policy(void) {
    gh_revision *rev = load_envoy_policy();
    if (!rev) return;
    gh_evaluator *ev = gh_evaluator_new(NULL);
    req r;

    /* a public route: allowed, no identity headers */
    req_init(&r, "GET", "/health?probe=1");
    extauthz_result res = decide_policy(ev, rev, &r);
    CHECK(res.allowed && res.structured && res.n_request_headers_to_remove == 1);
    extauthz_result_free(&res);

    /* no token on a private route: 401 with a challenge and a JSON body */
    req_init(&r, "GET", "/api/v1/orders");
    res = decide_policy(ev, rev, &r);
    CHECK(!res.allowed && res.http_status == 401 && !*res.error);
    CHECK(has_header(&res, "www-authenticate", "Bearer realm=\"shop-api\""));
    CHECK(str_is(res.body, "{\"error\":\"missing bearer token\"}"));
    extauthz_result_free(&res);

    /* a customer's token: orders allowed with identity headers, admin routes refused */
    const char *tok = mint_token(ev, rev, "alice", "customer");
    CHECK(tok != NULL);
    char auth[1024];
    snprintf(auth, sizeof auth, "Bearer %s", tok ? tok : "");
    req_init(&r, "POST", "/api/v1/orders");
    req_header(&r, "authorization", auth);
    res = decide_policy(ev, rev, &r);
    CHECK(res.allowed && has_header(&res, "x-user-id", "alice") &&
          has_header(&res, "x-user-role", "customer"));
    CHECK(res.n_request_headers_to_remove == 1 &&
          str_is(res.request_headers_to_remove[0], "authorization"));
    extauthz_result_free(&res);

    req_init(&r, "DELETE", "/api/v1/products/7");
    req_header(&r, "authorization", auth);
    res = decide_policy(ev, rev, &r);
    CHECK(!res.allowed && res.http_status == 403);
    CHECK(str_is(res.body, "{\"error\":\"DELETE /api/v1/products/7 is not allowed for role customer\"}"));
    extauthz_result_free(&res);

    /* the per-user route, matched on parsed_path (percent-decoded) */
    req_init(&r, "GET", "/api/v1/users/%61lice");
    req_header(&r, "authorization", auth);
    res = decide_policy(ev, rev, &r);
    CHECK(res.allowed);
    extauthz_result_free(&res);

    gh_evaluator_free(ev);
    gh_revision_release(rev);
}

int main(void) {
    gh_arena_init(&arena, 0);
    test_json_request();
    test_form_request();
    test_multipart();
    test_partial_body();
    test_empty_request();
    test_refused_requests();
    test_malformed();
    test_http_input();
    test_decisions();
    test_ok_response();
    test_denied_responses();
    test_http_reply();
    test_envoy_policy();
    gh_arena_free(&arena);
    return tests_done("test_extauthz");
}
