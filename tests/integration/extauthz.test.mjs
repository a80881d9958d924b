// Envoy ext_authz through gatehouse, end to end: the daemon with ext_authz listeners
// (http_service mode, and gRPC when @grpc/grpc-js is installed) on policies/envoy, driven
// as Envoy drives them: allow with headers for upstream, deny with status, headers and
// body, a bearer token checked by the policy, policy errors and undefined decisions
// denying, dry-run allowing, malformed requests refused while others are served.
//
// usage: node extauthz.test.mjs path/to/gatehouse
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startDaemon, runner, sleep, hs256Token } from './lib.mjs';

const GH = process.argv[2];
if (!GH) {
  console.error('usage: node extauthz.test.mjs GATEHOUSE');
  process.exit(2);
}
const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gh-extauthz-'));
const { test, done } = runner();

const SECRET = 'demo-only-signing-secret-change-me';
const token = (claims) => hs256Token(SECRET, claims);
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra = {}) => ({ iss: 'https://auth.example.com', aud: 'shop-api', sub: 'u-42',
  role: 'customer', iat: now(), exp: now() + 600, ...extra });

async function check(port, method, path, headers = {}, body) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

// ---- the gRPC client (from tests/integration's lock file) ----

const here = new URL('.', import.meta.url).pathname;
function grpcClient(port) {
  if (!existsSync(join(here, 'node_modules/@grpc/grpc-js/package.json'))) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: here, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm ci failed:\n${r.stdout}${r.stderr}`);
  }
  const require = createRequire(join(here, 'package.json'));
  const grpc = require('@grpc/grpc-js');
  const loader = require('@grpc/proto-loader');
  const def = loader.loadSync('envoy/service/auth/v3/external_auth.proto', {
    keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
    includeDirs: [join(repo, 'proto')],
  });
  const pkg = grpc.loadPackageDefinition(def);
  const client = new pkg.envoy.service.auth.v3.Authorization(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    grpc,
    close: () => client.close(),
    check: (req) => new Promise((resolve, reject) =>
      client.Check(req, (err, res) => (err ? reject(err) : resolve(res)))),
  };
}

// A CheckRequest as Envoy sends it.
function checkRequest(method, path, headers = {}, body = '') {
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.0.0.7', port_value: 53422 } } },
      destination: { address: { socket_address: { address: '10.0.0.9', port_value: 8080 } } },
      request: {
        time: { seconds: now(), nanos: 0 },
        http: {
          id: '1234', method, path, host: 'shop.example.com', scheme: 'http', protocol: 'HTTP/1.1',
          headers: { ':authority': 'shop.example.com', ':method': method, ':path': path, ...headers },
          body, size: body.length,
        },
      },
    },
  };
}

const headerMap = (list) => Object.fromEntries((list || []).map((h) => [h.header.key, h.header.value]));

async function main() {
  writeFileSync(join(dir, 'broken.rego'), `package broken

import rego.v1

allow := 1 if input.attributes.request.http.method
allow := 2 if input.attributes.request.http.method
`);
  writeFileSync(join(dir, 'subj.rego'), `package subj

import rego.v1

allow := {
	"allowed": true,
	"headers": {
		"x-subject": input.subject.id,
		"x-saw-authorization": sprintf("%v", [object.get(input.attributes.request.http.headers, "authorization", false) != false]),
	},
} if input.subject.id
`);
  // echoes what the plugin's input holds about the body, and sets dynamic metadata
  writeFileSync(join(dir, 'echo.rego'), `package echo

import rego.v1

allow := {
	"allowed": true,
	"headers": {
		"x-truncated": sprintf("%v", [input.truncated_body]),
		"x-parsed-body": json.marshal(object.get(input, "parsed_body", null)),
		"x-body-size": sprintf("%d", [count(input.attributes.request.http.body)]),
	},
	"dynamic_metadata": {"tenant": "acme", "checks": 2},
}
`);
  const logPath = join(dir, 'decisions.log');
  const config = {
    policy: [`envoy:${join(repo, 'policies/envoy')}`, join(dir, 'broken.rego'), join(dir, 'subj.rego'), join(dir, 'echo.rego')],
    auth: {
      audiences: ['shop-api'],
      issuers: [{ issuer: 'https://auth.example.com', hmac_secret: { env: 'GH_XA_SECRET' }, algorithms: ['HS256'] }],
    },
    decision_log: { output: 'file', path: logPath },
    listeners: [
      { name: 'envoy-http', kind: 'ext_authz_http', addr: '127.0.0.1:0', decision: '/envoy/authz/allow', path_prefix: '/authz', auth: false },
      { name: 'broken', kind: 'ext_authz_http', addr: '127.0.0.1:0', decision: '/broken/allow', auth: false },
      { name: 'undefined', kind: 'ext_authz_http', addr: '127.0.0.1:0', decision: '/envoy/authz/nothing', auth: false },
      { name: 'dry', kind: 'ext_authz_http', addr: '127.0.0.1:0', decision: '/envoy/authz/allow', dry_run: true, auth: false },
      { name: 'envoy-grpc', kind: 'ext_authz_grpc', addr: '127.0.0.1:0', decision: '/envoy/authz/allow', auth: false },
      { name: 'broken-grpc', kind: 'ext_authz_grpc', addr: '127.0.0.1:0', decision: '/broken/allow', auth: false },
      { name: 'authed-grpc', kind: 'ext_authz_grpc', addr: '127.0.0.1:0', decision: '/subj/allow', auth: true },
      { name: 'echo-grpc', kind: 'ext_authz_grpc', addr: '127.0.0.1:0', decision: '/echo/allow', auth: false },
    ],
  };
  const d = await startDaemon(GH, dir, { config, env: { ...process.env, GH_XA_SECRET: SECRET } });
  const port = d.portOf('envoy-http');

  await test('xa-http-1 a public route is allowed (the prefix is stripped)', async () => {
    const r = await check(port, 'GET', '/authz/api/v1/catalog');
    assert.equal(r.status, 200, r.text);
  });

  await test('xa-http-2 a customer reads orders: allowed, identity headers for upstream', async () => {
    const r = await check(port, 'GET', '/authz/api/v1/orders?page=2', { authorization: `Bearer ${token(claims())}` });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-user-id'), 'u-42');
    assert.equal(r.headers.get('x-user-role'), 'customer');
  });

  await test('xa-http-3 denied with the decision\'s status, headers and body', async () => {
    let r = await check(port, 'DELETE', '/authz/api/v1/orders', { authorization: `Bearer ${token(claims())}` });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(r.text), { error: 'DELETE /api/v1/orders is not allowed for role customer' });
    r = await check(port, 'GET', '/authz/api/v1/orders');
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="shop-api"');
    r = await check(port, 'GET', '/authz/api/v1/orders', { authorization: `Bearer ${token(claims({ exp: now() - 60 }))}` });
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.text), { error: 'token expired' });
  });

  await test('xa-http-4 the policy sees parsed_path, parsed_query and a JSON body', async () => {
    const t = token(claims({ sub: 'u-7' }));
    const r = await check(port, 'PATCH', '/authz/api/v1/users/u-7', { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, '{"name":"x"}');
    assert.equal(r.status, 200, r.text);
    const other = await check(port, 'PATCH', '/authz/api/v1/users/u-8', { authorization: `Bearer ${t}` });
    assert.equal(other.status, 403);
  });

  await test('xa-http-5 a policy error and an undefined decision both deny (403)', async () => {
    let r = await check(d.portOf('broken'), 'GET', '/anything');
    assert.equal(r.status, 403);
    assert.ok(!r.text.includes('conflict'), 'the error reached the client');
    r = await check(d.portOf('undefined'), 'GET', '/anything');
    assert.equal(r.status, 403);
  });

  await test('xa-http-6 dry-run allows what the policy denies, and logs the real decision', async () => {
    const r = await check(d.portOf('dry'), 'DELETE', '/api/v1/orders');
    assert.equal(r.status, 200);
    await sleep(200);
    const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
    const mine = lines.find((e) => e.path === 'envoy/authz/allow' && e.input && e.input.attributes.request.http.method === 'DELETE' && e.input.attributes.request.http.path === '/api/v1/orders');
    assert.ok(mine, 'no decision-log line');
    assert.equal(mine.result.allowed, false);
    const err = lines.find((e) => e.path === 'broken/allow');
    assert.ok(err && err.error, 'the policy error is in the log');
    const withToken = lines.find((e) => e.erased && e.erased.includes('/input/attributes/request/http/headers/authorization'));
    assert.ok(withToken, 'the Authorization header is erased and listed');
    const leak = readFileSync(logPath, 'utf8').split('\n').find((l) => l.includes('eyJ')); // a JWT's first bytes
    assert.ok(!leak, `a bearer token reached the decision log: ${leak && leak.slice(0, 600)}`);
  });

  await test('xa-http-7 metrics count ext_authz decisions', async () => {
    const m = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
    assert.match(m, /^gatehouse_http_requests_total\{endpoint="ext_authz_http",decision="allow"\} [1-9]/m);
    assert.match(m, /^gatehouse_http_requests_total\{endpoint="ext_authz_http",decision="deny"\} [1-9]/m);
    assert.match(m, /^gatehouse_http_requests_total\{endpoint="ext_authz_http",decision="error"\} [1-9]/m);
  });

  const gc = grpcClient(d.portOf('envoy-grpc'));
  await test('xa-grpc-1 Check allows with headers for upstream and removals, status OK', async () => {
    const res = await gc.check(checkRequest('GET', '/api/v1/orders?page=2', { authorization: `Bearer ${token(claims())}` }));
    assert.equal(res.status.code, 0);
    assert.equal(res.http_response, 'ok_response');
    const h = headerMap(res.ok_response.headers);
    assert.equal(h['x-user-id'], 'u-42');
    assert.deepEqual(res.ok_response.headers_to_remove, ['authorization']);
  });

  await test('xa-grpc-2 Check denies with the decision\'s status, headers and body (PERMISSION_DENIED)', async () => {
    let res = await gc.check(checkRequest('DELETE', '/api/v1/orders', { authorization: `Bearer ${token(claims())}` }));
    assert.equal(res.status.code, 7);
    assert.equal(res.http_response, 'denied_response');
    assert.equal(res.denied_response.status.code, 'Forbidden');
    assert.deepEqual(JSON.parse(res.denied_response.body), { error: 'DELETE /api/v1/orders is not allowed for role customer' });
    res = await gc.check(checkRequest('GET', '/api/v1/orders'));
    assert.equal(res.denied_response.status.code, 'Unauthorized');
    assert.equal(headerMap(res.denied_response.headers)['www-authenticate'], 'Bearer realm="shop-api"');
  });

  await test('xa-grpc-3 a JSON body and parsed_path reach the policy', async () => {
    const t = token(claims({ sub: 'u-7' }));
    const res = await gc.check(checkRequest('PATCH', '/api/v1/users/u-7', { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, '{"name":"x"}'));
    assert.equal(res.status.code, 0);
  });

  await test('xa-grpc-4 a policy error denies; a malformed CheckRequest is a gRPC error; the server keeps serving', async () => {
    const bc = grpcClient(d.portOf('broken-grpc'));
    const res = await bc.check(checkRequest('GET', '/x'));
    assert.equal(res.status.code, 7);
    bc.close();
    const session = http2.connect(`http://127.0.0.1:${d.portOf('envoy-grpc')}`);
    const junk = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]); // a length beyond the message
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, junk.length]), junk]);
    const status = await new Promise((resolve) => {
      const st = session.request({ ':method': 'POST', ':path': '/envoy.service.auth.v3.Authorization/Check', 'content-type': 'application/grpc', te: 'trailers' });
      let grpcStatus;
      st.on('trailers', (t) => (grpcStatus = t['grpc-status']));
      st.on('response', (h) => { if (h['grpc-status']) grpcStatus = h['grpc-status']; });
      st.on('close', () => resolve(grpcStatus));
      st.end(frame);
    });
    assert.equal(status, '3'); // INVALID_ARGUMENT
    const wrongType = await new Promise((resolve) => {
      const st = session.request({ ':method': 'POST', ':path': '/envoy.service.auth.v3.Authorization/Check', 'content-type': 'application/json' });
      st.on('response', (h) => resolve(h[':status']));
      st.end('{}');
    });
    assert.equal(wrongType, 415);
    session.close();
    const ok = await gc.check(checkRequest('GET', '/api/v1/catalog'));
    assert.equal(ok.status.code, 0);
  });

  await test('xa-grpc-5 many concurrent Checks on one channel', async () => {
    const t = `Bearer ${token(claims())}`;
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      gc.check(checkRequest(i % 2 ? 'GET' : 'DELETE', '/api/v1/orders', { authorization: t }))));
    assert.equal(all.filter((r) => r.status.code === 0).length, 100);
    assert.equal(all.filter((r) => r.status.code === 7).length, 100);
  });
  gc.close();

  await test('xa-grpc-8 /metrics shows the gRPC listeners: decisions and transport counters', async () => {
    const m = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
    assert.match(m, /^gatehouse_http_requests_total\{endpoint="ext_authz_grpc",decision="allow"\} [1-9]/m);
    assert.match(m, /^gatehouse_grpc_responses_total\{code="OK"\} [1-9]/m);
    assert.match(m, /^gatehouse_grpc_responses_total\{code="INVALID_ARGUMENT"\} [1-9]/m);
    assert.match(m, /^gatehouse_grpc_rejected_total\{reason="content_type"\} [1-9]/m);
    assert.match(m, /^gatehouse_grpc_connections_total [1-9]/m);
  });

  await test('xa-grpc-7 bodies as Envoy sends them: JSON, form, large, truncated; dynamic metadata', async () => {
    const ec = grpcClient(d.portOf('echo-grpc'));
    let res = await ec.check(checkRequest('POST', '/f', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&a=2&b=x%20y'));
    let h = headerMap(res.ok_response.headers);
    assert.deepEqual(JSON.parse(h['x-parsed-body']), { a: ['1', '2'], b: ['x y'] });
    assert.equal(h['x-truncated'], 'false');
    const big = JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, name: `item-${i}` })) });
    res = await ec.check(checkRequest('POST', '/j', { 'content-type': 'application/json' }, big));
    h = headerMap(res.ok_response.headers);
    assert.equal(+h['x-body-size'], big.length);
    assert.equal(JSON.parse(h['x-parsed-body']).items.length, 5000);
    // Envoy cut the body at max_request_bytes: partial, so it is not parsed
    const cut = big.slice(0, 8192);
    res = await ec.check(checkRequest('POST', '/j', { 'content-type': 'application/json', 'content-length': String(big.length), 'x-envoy-auth-partial-body': 'true' }, cut));
    h = headerMap(res.ok_response.headers);
    assert.equal(h['x-truncated'], 'true');
    assert.equal(h['x-parsed-body'], 'null');
    const md = res.dynamic_metadata.fields;
    assert.equal(md.tenant.stringValue, 'acme'); // Struct: proto-loader keeps its camelCase
    assert.equal(md.checks.numberValue, 2);
    assert.match(md.decision_id.stringValue, /^[0-9a-f-]{36}$/);
    ec.close();
  });

  await test('xa-grpc-6 a listener with authentication: the token\'s subject reaches the policy, a bad token is a 401 denial', async () => {
    const ac = grpcClient(d.portOf('authed-grpc'));
    let res = await ac.check(checkRequest('GET', '/x', { authorization: `Bearer ${token(claims({ sub: 'u-9' }))}` }));
    assert.equal(res.status.code, 0);
    assert.equal(headerMap(res.ok_response.headers)['x-subject'], 'u-9');
    assert.equal(headerMap(res.ok_response.headers)['x-saw-authorization'], 'false'); // the subject instead
    res = await ac.check(checkRequest('GET', '/x', { authorization: `Bearer ${token(claims({ exp: now() - 100 }))}` }));
    assert.equal(res.status.code, 7);
    assert.equal(res.denied_response.status.code, 'Unauthorized');
    assert.match(headerMap(res.denied_response.headers)['www-authenticate'], /error="invalid_token", error_description="token expired"/);
    assert.equal(JSON.parse(res.denied_response.body).code, 'expired');
    res = await ac.check(checkRequest('GET', '/x'));
    assert.equal(headerMap(res.denied_response.headers)['www-authenticate'], 'Bearer realm="gatehouse"');
    ac.close();
  });

  d.proc.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
  done(() => rmSync(dir, { recursive: true, force: true }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
