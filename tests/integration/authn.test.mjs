// Authentication end to end: a local OIDC provider stand-in (discovery document and JWKS
// over HTTPS with a test CA made here by openssl) that rotates its keys mid-test, the real
// daemon with an "auth" section, and tokens signed here by Node's crypto (RS256, ES256,
// HS256) or minted by `gatehouse token`. Requests keep succeeding across the rotation;
// tokens of the removed key are refused after it, even those verified (and cached) before.
//
// usage: node authn.test.mjs path/to/gatehouse
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { startDaemon as startLib, runner, sleep, makeTestCerts } from './lib.mjs';

const GH = process.argv[2];
if (!GH) {
  console.error('usage: node authn.test.mjs GATEHOUSE');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'gh-authn-'));
// spawnSync would block this process, and with it the provider stand-in the command calls
function run(cmd, args, env = process.env) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

// ---- a test CA and a certificate for 127.0.0.1 ----

const makeCerts = () => makeTestCerts(dir, 'idp', '127.0.0.1', 'IP:127.0.0.1');

// ---- tokens ----

const b64u = (buf) => Buffer.from(buf).toString('base64url');
function sign(alg, key, claims, header = {}) {
  const h = b64u(JSON.stringify({ alg, typ: 'JWT', ...header }));
  const p = b64u(JSON.stringify(claims));
  const input = `${h}.${p}`;
  let sig;
  if (alg === 'HS256') sig = crypto.createHmac('sha256', key).update(input).digest();
  else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), key);
  else if (alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'none') sig = Buffer.alloc(0);
  return `${input}.${b64u(sig)}`;
}
const now = () => Math.floor(Date.now() / 1000);

// ---- the provider stand-in ----

const keyA = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyB = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
let published = [jwk(keyA, 'key-a', 'RS256')];
let jwksFetches = 0;
let issuer;

function startProvider() {
  const server = https.createServer({ key: readFileSync(join(dir, 'idp.key')), cert: readFileSync(join(dir, 'idp.pem')) }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] }));
    } else if (req.url === '/jwks') {
      jwksFetches++;
      res.end(JSON.stringify({ keys: published }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    issuer = `https://127.0.0.1:${server.address().port}`;
    resolve(server);
  }));
}

// ---- the daemon ----

const POLICY = `package t

import rego.v1

default allow := false

allow if "analyst" in input.subject.roles

who := input.subject

echo := input
`;
const SERVICE_SECRET = 'service-to-service-secret-0123456789';

async function startDaemon(config) {
  writeFileSync(join(dir, 'gatehouse.json'), JSON.stringify(config));
  return startLib(GH, dir, { config, env: { ...process.env, GH_TEST_HMAC: SERVICE_SECRET } });
}

async function ask(d, path, token, input = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`http://127.0.0.1:${d.port}${path}`, { method: 'POST', headers, body: JSON.stringify({ input }) });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text, www: res.headers.get('www-authenticate') };
}

const { test, done } = runner();

async function main() {
  makeCerts();
  const provider = await startProvider();
  mkdirSync(join(dir, 'policy'));
  writeFileSync(join(dir, 'policy', 't.rego'), POLICY);
  writeFileSync(join(dir, 'svc.secret'), SERVICE_SECRET + '\n');
  const logPath = join(dir, 'decisions.log');
  const config = {
    policy: [join(dir, 'policy')],
    decision_log: { output: 'file', path: logPath },
    listeners: [
      { name: 'internal', kind: 'data_api', addr: '127.0.0.1:0', auth: false },
      { name: 'reports', kind: 'data_api', addr: '127.0.0.1:0', audiences: ['reports-api'] },
    ],
    auth: {
      audiences: ['orders-api'],
      leeway_s: 5,
      subject: { id: 'sub', tenant: 'custom:tenant', roles: 'cognito:groups' },
      issuers: [
        { issuer, discovery: true, ca_file: join(dir, 'ca.pem'), algorithms: ['RS256', 'ES256'], refresh_s: 2, min_refresh_interval_s: 1 },
        { issuer: 'svc-issuer', hmac_secret: { env: 'GH_TEST_HMAC' }, algorithms: ['HS256'] },
      ],
    },
  };
  const d = await startDaemon(config);
  const claims = (extra = {}) => ({
    iss: issuer, sub: 'alice', aud: 'orders-api', iat: now(), exp: now() + 600,
    'custom:tenant': 'acme', 'cognito:groups': ['analyst'], ...extra,
  });
  const tokenA = sign('RS256', keyA.privateKey, claims(), { kid: 'key-a' });

  await test('authn-1 no token: 401, WWW-Authenticate without an error code', async () => {
    const r = await ask(d, '/v1/data/t/allow');
    assert.equal(r.status, 401);
    assert.equal(r.www, 'Bearer realm="gatehouse"');
    assert.deepEqual([r.json.code, r.json.reason], ['unauthenticated', 'missing_token']);
  });

  await test('authn-2 an RS256 token from discovery keys: the subject the policy sees', async () => {
    let r = await ask(d, '/v1/data/t/allow', tokenA);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result, true);
    r = await ask(d, '/v1/data/t/who', tokenA);
    assert.equal(r.json.result.id, 'alice');
    assert.equal(r.json.result.tenant, 'acme');
    assert.deepEqual(r.json.result.roles, ['analyst']);
    assert.equal(r.json.result.issuer, issuer);
    assert.equal(r.json.result.claims['custom:tenant'], 'acme');
  });

  await test('authn-3 a subject sent by the client is replaced by the verified one', async () => {
    const r = await ask(d, '/v1/data/t/echo', tokenA, { subject: { id: 'mallory', roles: ['admin'] }, x: 1 });
    assert.equal(r.json.result.subject.id, 'alice');
    assert.equal(r.json.result.x, 1);
  });

  await test('authn-4 refusals with their reason, never echoing the token', async () => {
    const cases = [
      ['expired', sign('RS256', keyA.privateKey, claims({ exp: now() - 60 }), { kid: 'key-a' })],
      ['wrong_audience', sign('RS256', keyA.privateKey, claims({ aud: 'other-api' }), { kid: 'key-a' })],
      ['wrong_issuer', sign('RS256', keyA.privateKey, claims({ iss: 'https://evil.example' }), { kid: 'key-a' })],
      ['bad_algorithm', sign('none', null, claims(), { kid: 'key-a' })],
      ['bad_algorithm', sign('HS256', keyA.publicKey.export({ type: 'spki', format: 'pem' }), claims(), { kid: 'key-a' })],
      ['bad_signature', tokenA.slice(0, -6) + (tokenA.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')],
      ['malformed', 'not.a.token'],
      ['untrusted_header', sign('RS256', keyA.privateKey, claims(), { kid: 'key-a', jku: 'https://evil.example/jwks' })],
    ];
    for (const [reason, tok] of cases) {
      const r = await ask(d, '/v1/data/t/allow', tok);
      assert.equal(r.status, 401, `${reason}: ${r.text}`);
      assert.equal(r.json.reason, reason, r.text);
      assert.match(r.www, /^Bearer realm="gatehouse", error="invalid_token", error_description="/);
      assert.ok(!r.text.includes(tok.split('.')[2] || tok), 'the token was echoed');
    }
  });

  await test('authn-5 an HS256 service token (secret from the environment), minted by gatehouse token', async () => {
    const m = spawnSync(GH, ['token', '--issuer', 'svc-issuer', '--key', join(dir, 'svc.secret'), '--sub', 'batch-job',
      '--aud', 'orders-api', '--claim', 'cognito:groups=["analyst"]', '--claim', 'custom:tenant=acme', '--ttl', '5m'], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    const tok = m.stdout.trim();
    const r = await ask(d, '/v1/data/t/who', tok);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.id, 'batch-job');
    assert.deepEqual(r.json.result.roles, ['analyst']);
    const v = spawnSync(GH, ['token', 'verify', '--key', join(dir, 'svc.secret'), '--issuer', 'svc-issuer', '--audience', 'orders-api', tok], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.equal(JSON.parse(v.stdout).claims.sub, 'batch-job');
    writeFileSync(join(dir, 'other.secret'), 'another-secret-of-the-same-length-000');
    const bad = spawnSync(GH, ['token', 'verify', '--key', join(dir, 'other.secret'), tok], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /^refused: bad_signature/);
    const viaConfig = await run(GH, ['token', 'verify', '-c', join(dir, 'gatehouse.json'), tokenA],
      { ...process.env, GH_TEST_HMAC: SERVICE_SECRET });
    assert.equal(viaConfig.status, 0, viaConfig.stdout + viaConfig.stderr);
    assert.equal(JSON.parse(viaConfig.stdout).subject.tenant, 'acme');
  });

  await test('authn-6 the raw token never reaches the decision log', async () => {
    await sleep(100);
    const text = readFileSync(logPath, 'utf8');
    assert.ok(text.length > 0);
    assert.ok(!text.includes(tokenA.split('.')[2]), 'signature in the log');
    assert.ok(!text.includes(tokenA.split('.')[1]), 'claims segment in the log');
    const refused = text.split('\n').filter(Boolean).map(JSON.parse).filter((e) => e.error && e.error.code === 'unauthenticated');
    assert.ok(refused.length >= 8, 'refusals are logged');
    assert.ok(refused.every((e) => e.input === undefined));
  });

  await test('authn-7 key rotation: requests keep succeeding, the removed key is refused after it', async () => {
    const tokenB = sign('ES256', keyB.privateKey, claims(), { kid: 'key-b' });
    let stop = false, failures = 0, ok = 0;
    const load = (async () => {
      while (!stop) {
        const r = await ask(d, '/v1/data/t/allow', tokenA);
        if (r.status === 200) ok++;
        else failures++;
        await sleep(5);
      }
    })();
    await sleep(200);
    published = [jwk(keyA, 'key-a', 'RS256'), jwk(keyB, 'key-b', 'ES256')]; // the provider adds B
    let r = await ask(d, '/v1/data/t/allow', tokenB); // unknown kid: one re-fetch, then accepted
    assert.equal(r.status, 200, r.text);
    await sleep(300);
    stop = true;
    await load;
    assert.equal(failures, 0, `${failures} failures during the rotation (${ok} ok)`);
    published = [jwk(keyB, 'key-b', 'ES256')]; // then retires A
    const t0 = Date.now();
    while (Date.now() - t0 < 6000) {
      r = await ask(d, '/v1/data/t/allow', tokenA);
      if (r.status === 401) break;
      await sleep(100);
    }
    assert.equal(r.status, 401, 'the retired key still works');
    assert.equal(r.json.reason, 'unknown_key');
    r = await ask(d, '/v1/data/t/allow', tokenB);
    assert.equal(r.status, 200);
    console.log(`     (${ok} requests during the rotation, A refused ${Date.now() - t0} ms after retirement, ${jwksFetches} JWKS fetches)`);
  });

  await test('authn-8 metrics: outcomes by reason, cache hits, key fetches', async () => {
    const m = await (await fetch(`http://127.0.0.1:${d.port}/metrics`)).text();
    assert.match(m, /^gatehouse_authn_total\{result="ok",reason="OK"\} [1-9]/m);
    assert.match(m, /^gatehouse_authn_total\{result="expired",reason="EXPIRED"\} 1$/m);
    assert.match(m, /^gatehouse_authn_total\{result="missing_token",reason="MISSING"\} 1$/m);
    assert.match(m, /^gatehouse_authn_cache_hits_total [1-9]/m);
    assert.match(m, /^gatehouse_keys_fetches_total [2-9]/m);
    assert.match(m, /^gatehouse_keys_unknown_kid_refreshes_total [1-9]/m);
  });

  await test('authn-10 listeners: one without authentication, one with its own audience', async () => {
    const internal = { port: d.portOf('internal') }, reports = { port: d.portOf('reports') };
    let r = await ask(internal, '/v1/data/t/who', null, { subject: { id: 'from-the-input' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.id, 'from-the-input'); // no auth here: the input is as sent
    // (key A is retired by now: key B signs)
    r = await ask(reports, '/v1/data/t/allow', sign('ES256', keyB.privateKey, claims(), { kid: 'key-b' }));
    assert.equal(r.status, 401);
    assert.equal(r.json.reason, 'wrong_audience');
    const tokenR = sign('ES256', keyB.privateKey, claims({ aud: ['reports-api', 'x'] }), { kid: 'key-b' });
    r = await ask(reports, '/v1/data/t/allow', tokenR);
    assert.equal(r.status, 200, r.text);
    r = await ask(d, '/v1/data/t/allow', tokenR); // and the main listener wants orders-api
    assert.equal(r.json.reason, 'wrong_audience');
  });

  await test('authn-9 secrets are never written in the config', async () => {
    const bad = { ...config, auth: { ...config.auth, issuers: [{ issuer: 'x', hmac_secret: 'literal-secret' }] } };
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const r = spawnSync(GH, ['run', '-c', join(dir, 'bad.json')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /auth\.issuers\[0\]\.hmac_secret: expected \{"env": "NAME"\} or \{"file": "\/path"\}/);
  });

  d.proc.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
  provider.close();
  done(() => rmSync(dir, { recursive: true, force: true }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
