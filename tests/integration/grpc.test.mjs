// The gRPC transport (sidecar/grpc.c) end to end: grpc_echo_server driven by a real gRPC
// client (@grpc/grpc-js with @grpc/proto-loader, installed here by `npm ci`), by Node's http2
// module for requests no gRPC client sends (wrong content-type, :method, compressed flag), and
// by raw bytes for broken HTTP/2 frames. Then the same over TLS (a test CA made here by the
// openssl CLI), a graceful stop, and the server's counters.
//
// usage: node grpc.test.mjs path/to/grpc_echo_server
import { spawn, spawnSync } from 'node:child_process';
import { makeTestCerts } from './lib.mjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import assert from 'node:assert/strict';

const SERVER = process.argv[2];
if (!SERVER) {
  console.error('usage: node grpc.test.mjs GRPC_ECHO_SERVER');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gh-grpc-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the client libraries, from the committed lock file ----

if (!existsSync(join(here, 'node_modules/@grpc/grpc-js/package.json'))) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: here, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`npm ci failed in ${here}:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
}
const require = createRequire(join(here, 'package.json'));
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const loadOpts = { keepCase: true, longs: Number, enums: String, defaults: true };
const echoPkg = grpc.loadPackageDefinition(protoLoader.loadSync(join(here, 'grpc_echo.proto'), loadOpts));
const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(join(here, '../../proto/grpc/health/v1/health.proto'), loadOpts));
const { status: S } = grpc;

// ---- the server under test ----

const running = new Set(); // servers a failed case left behind are killed at the end

async function startServer(args = []) {
  const p = spawn(SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(p);
  p.on('exit', () => running.delete(p));
  let out = '', err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  // 'close', not 'exit': the counters line must be read too
  const exited = new Promise((r) => p.on('close', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 100 && !/port \d+/.test(out); i++) await sleep(50);
  const m = out.match(/port (\d+)/);
  if (!m) throw new Error(`grpc_echo_server did not start: ${err}`);
  return {
    port: +m[1],
    proc: p,
    async stop() {
      p.kill('SIGTERM');
      const { code, signal } = await exited;
      const counters = out.split('\n').find((l) => l.startsWith('{'));
      return { code, signal, counters: counters && JSON.parse(counters), stderr: err };
    },
  };
}

// ---- helpers ----

function unary(client, method, req, metadata = new grpc.Metadata()) {
  return new Promise((resolve) => {
    client[method](req, metadata, { deadline: Date.now() + 10000 }, (e, res) => resolve({ e, res }));
  });
}

// One request on a fresh HTTP/2 session (Node's http2): headers and body bytes as given.
function h2request(port, headers, body, { secure = false, ca } = {}) {
  return new Promise((resolve) => {
    const s = http2.connect(`${secure ? 'https' : 'http'}://127.0.0.1:${port}`, secure ? { ca, servername: 'localhost' } : {});
    s.on('error', () => {});
    const req = s.request(headers);
    let resHeaders = {}, trailers = {}, data = Buffer.alloc(0);
    req.on('response', (h) => (resHeaders = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d) => (data = Buffer.concat([data, d])));
    req.on('error', () => {});
    req.on('close', () => {
      s.close();
      resolve({ headers: resHeaders, trailers, data, rstCode: req.rstCode });
    });
    req.end(body);
  });
}

const frame = (msg, flag = 0) => {
  const b = Buffer.alloc(5 + msg.length);
  b[0] = flag;
  b.writeUInt32BE(msg.length, 1);
  msg.copy(b, 5);
  return b;
};
// EchoMessage{text = s} by hand (field 2, length-delimited)
const echoText = (s) => Buffer.concat([Buffer.from([0x12, Buffer.byteLength(s)]), Buffer.from(s)]);

// Raw bytes to the server; everything read until it closes (or timeoutMs).
function raw(port, bytes, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ bytes: got, why });
    };
    sock.on('data', (b) => (got = Buffer.concat([got, b])));
    sock.on('close', () => finish('close'));
    sock.on('error', (e) => finish(e.code));
    setTimeout(() => finish('timeout'), timeoutMs);
    sock.on('connect', () => sock.write(bytes));
  });
}

// The frames in a byte string: [{type, flags, stream, payload}]
function frames(buf) {
  const out = [];
  for (let i = 0; i + 9 <= buf.length; ) {
    const len = buf.readUIntBE(i, 3);
    out.push({ type: buf[i + 3], flags: buf[i + 4], stream: buf.readUInt32BE(i + 5) & 0x7fffffff,
               payload: buf.subarray(i + 9, i + 9 + len) });
    i += 9 + len;
  }
  return out;
}
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const h2frame = (type, flags, stream, payload) => {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
};
const GOAWAY = 7;

// ---- the cases ----

const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([true, name]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push([false, name]);
    console.log(`FAIL ${name}\n     ${String(e.stack || e).split('\n').slice(0, 8).join('\n     ')}`);
  }
}

const LIMIT = 1 << 20; // --max-message for the server under test

// The cases every transport must pass: creds and chanOpts for grpc-js, h2opts for Node's http2.
async function commonCases(tag, port, creds, h2opts, chanOpts = {}) {
  const client = new echoPkg.gatehouse.test.Echo(`127.0.0.1:${port}`, creds, chanOpts);
  const health = new healthPkg.grpc.health.v1.Health(`127.0.0.1:${port}`, creds, chanOpts);

  await test(`${tag}-1 unary Echo returns the message`, async () => {
    const payload = Buffer.from([0, 1, 2, 255, 254]);
    const { e, res } = await unary(client, 'Echo', { payload, text: 'héllo ✓' });
    assert.equal(e, null);
    assert.deepEqual(res.payload, payload);
    assert.equal(res.text, 'héllo ✓');
  });

  await test(`${tag}-2 an empty message is a message`, async () => {
    const { e, res } = await unary(client, 'Echo', {});
    assert.equal(e, null);
    assert.equal(res.text, '');
  });

  await test(`${tag}-3 300 concurrent calls on one channel (100 streams at most)`, async () => {
    const calls = [];
    for (let i = 0; i < 300; i++) calls.push(unary(client, 'Echo', { text: `call ${i}`, payload: Buffer.alloc(i * 37, i) }));
    const all = await Promise.all(calls);
    all.forEach(({ e, res }, i) => {
      assert.equal(e, null, `call ${i}: ${e && e.message}`);
      assert.equal(res.text, `call ${i}`);
      assert.equal(res.payload.length, i * 37);
    });
  });

  await test(`${tag}-4 Health/Check: SERVING for "" and for the Echo service, NOT_FOUND else`, async () => {
    let r = await unary(health, 'Check', { service: '' });
    assert.equal(r.e, null);
    assert.equal(r.res.status, 'SERVING');
    r = await unary(health, 'Check', { service: 'gatehouse.test.Echo' });
    assert.equal(r.res.status, 'SERVING');
    r = await unary(health, 'Check', { service: 'gatehouse.test' });
    assert.equal(r.e.code, S.NOT_FOUND);
  });

  await test(`${tag}-5 an unknown method is UNIMPLEMENTED`, async () => {
    const { e } = await unary(client, 'Missing', { text: 'x' });
    assert.equal(e.code, S.UNIMPLEMENTED);
    assert.equal(e.details, 'unknown method /gatehouse.test.Echo/Missing');
  });

  await test(`${tag}-6 a handler's status and message (percent-encoded on the wire)`, async () => {
    const message = 'nö: 100% denied\n\t"quoted"';
    const { e } = await unary(client, 'Fail', { code: S.PERMISSION_DENIED, message });
    assert.equal(e.code, S.PERMISSION_DENIED);
    assert.equal(e.details, message);
    const r = await h2request(port, { ':method': 'POST', ':path': '/gatehouse.test.Echo/Fail', 'content-type': 'application/grpc' },
      frame(Buffer.from([0x08, 0x05, 0x12, 0x04, 0x61, 0x25, 0x0a, 0x62])), h2opts); // code 5, "a%\nb"
    assert.equal(r.headers['grpc-status'], '5');
    assert.equal(r.headers['grpc-message'], 'a%25%0Ab');
  });

  await test(`${tag}-7 a message over the limit is RESOURCE_EXHAUSTED; one under it echoes`, async () => {
    let r = await unary(client, 'Echo', { payload: Buffer.alloc(LIMIT + 1, 7) });
    assert.equal(r.e.code, S.RESOURCE_EXHAUSTED);
    assert.match(r.e.details, /^request message larger than max \(\d+ vs\. 1048576\)$/);
    // larger than the client's 64 KiB window: our sending waits for its WINDOW_UPDATEs
    r = await unary(client, 'Echo', { payload: Buffer.alloc(LIMIT - 100, 9) });
    assert.equal(r.e, null);
    assert.equal(r.res.payload.length, LIMIT - 100);
    assert.equal(r.res.payload[LIMIT - 101], 9);
  });

  await test(`${tag}-8 headers over the limit are RESOURCE_EXHAUSTED`, async () => {
    const md = new grpc.Metadata();
    md.set('x-big', 'v'.repeat(9000));
    const { e } = await unary(client, 'Echo', { text: 'x' }, md);
    assert.equal(e.code, S.RESOURCE_EXHAUSTED);
    assert.match(e.details, /^request headers of \d+ bytes exceed the limit of 8192$/);
  });

  await test(`${tag}-9 wrong content-type: HTTP 415 with grpc-status INTERNAL`, async () => {
    const r = await h2request(port, { ':method': 'POST', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/json' },
      '{"text":"x"}', h2opts);
    assert.equal(r.headers[':status'], 415);
    assert.equal(r.headers['grpc-status'], '13');
    assert.equal(r.headers['grpc-message'], 'unexpected content-type "application/json"');
    const ok = await unary(client, 'Echo', { text: 'still here' });
    assert.equal(ok.res.text, 'still here');
  });

  await test(`${tag}-10 application/grpc+proto and ;params are gRPC; GET is 405`, async () => {
    let r = await h2request(port, { ':method': 'POST', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/grpc+proto' },
      frame(echoText('plus')), h2opts);
    assert.equal(r.headers[':status'], 200);
    assert.equal(r.trailers['grpc-status'], '0');
    assert.deepEqual(r.data, frame(echoText('plus')));
    r = await h2request(port, { ':method': 'POST', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/grpcx' },
      frame(echoText('x')), h2opts);
    assert.equal(r.headers[':status'], 415);
    r = await h2request(port, { ':method': 'GET', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/grpc' },
      undefined, h2opts);
    assert.equal(r.headers[':status'], 405);
    assert.equal(r.headers['grpc-status'], '13');
  });

  await test(`${tag}-11 message framing: compressed flag, cut message, two messages, none`, async () => {
    const hdr = { ':method': 'POST', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/grpc' };
    const cases = [
      [{}, frame(echoText('z'), 1), '13', 'compressed flag set with identity or empty encoding'],
      [{ 'grpc-encoding': 'gzip' }, frame(echoText('z'), 1), '12', 'grpc-encoding "gzip" is not supported'],
      [{}, frame(echoText('z'), 2), '13', 'unexpected message flags 2'],
      [{}, frame(echoText('abc')).subarray(0, 7), '13', 'incomplete request message'],
      [{}, Buffer.from([0, 0]), '13', 'incomplete request message'],
      [{}, Buffer.concat([frame(echoText('a')), frame(echoText('b'))]), '13', 'more than one request message for a unary method'],
      [{}, Buffer.alloc(0), '13', 'half-closed without a request message'],
    ];
    for (const [extra, body, code, msg] of cases) {
      const r = await h2request(port, { ...hdr, ...extra }, body, h2opts);
      assert.equal(r.headers[':status'], 200, msg);
      assert.equal(r.headers['grpc-status'], code, msg);
      assert.equal(decodeURIComponent(r.headers['grpc-message']), msg);
    }
  });

  await test(`${tag}-12 client streaming into a unary method: INTERNAL, RST_STREAM(NO_ERROR)`, async () => {
    const ser = (m) => m, de = (b) => b;
    const { e } = await new Promise((resolve) => {
      const call = client.makeClientStreamRequest('/gatehouse.test.Echo/Echo', ser, de, (e, res) => resolve({ e, res }));
      call.write(echoText('one'));
      call.write(echoText('two'));
      setTimeout(() => call.end(), 100);
    });
    assert.equal(e.code, S.INTERNAL);
    assert.equal(e.details, 'more than one request message for a unary method');
  });

  client.close();
  health.close();
}

async function malformedCases(srv) {
  const client = new echoPkg.gatehouse.test.Echo(`127.0.0.1:${srv.port}`, grpc.credentials.createInsecure());
  await test('h2c-13 a malformed frame: GOAWAY(FRAME_SIZE_ERROR), others keep working', async () => {
    const before = await unary(client, 'Echo', { text: 'before' });
    assert.equal(before.res.text, 'before');
    // SETTINGS with a 5-byte payload (must be a multiple of 6)
    const r = await raw(srv.port, Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(5))]));
    assert.equal(r.why, 'close');
    const ga = frames(r.bytes).find((f) => f.type === GOAWAY);
    assert.ok(ga, 'no GOAWAY');
    assert.equal(ga.payload.readUInt32BE(4), 6); // FRAME_SIZE_ERROR
    const after = await unary(client, 'Echo', { text: 'after' });
    assert.equal(after.res.text, 'after');
  });

  await test('h2c-14 not HTTP/2 at all (an HTTP/1.1 request): closed, others keep working', async () => {
    const r = await raw(srv.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(r.why, 'close');
    const g = frames(r.bytes).find((f) => f.type === GOAWAY);
    assert.ok(g, 'no GOAWAY');
    assert.equal(g.payload.readUInt32BE(4), 1); // PROTOCOL_ERROR
    const after = await unary(client, 'Echo', { text: 'after' });
    assert.equal(after.res.text, 'after');
  });

  await test('h2c-15 HEADERS on stream 0: connection error, GOAWAY(PROTOCOL_ERROR)', async () => {
    const r = await raw(srv.port, Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0)), h2frame(1, 4, 0, Buffer.from([0x82]))]));
    const g = frames(r.bytes).find((f) => f.type === GOAWAY);
    assert.ok(g, 'no GOAWAY');
    assert.equal(g.payload.readUInt32BE(4), 1);
  });
  client.close();
}

async function idleCase() {
  await test('h2c-16 an idle connection gets GOAWAY(NO_ERROR) and is closed', async () => {
    const srv = await startServer(['--idle-ms', '300']);
    const t0 = Date.now();
    const r = await raw(srv.port, Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0))]), 5000);
    assert.equal(r.why, 'close');
    const g = frames(r.bytes).find((f) => f.type === GOAWAY);
    assert.ok(g, 'no GOAWAY');
    assert.equal(g.payload.readUInt32BE(4), 0);
    assert.ok(Date.now() - t0 >= 250, 'closed too early');
    const { counters } = await srv.stop();
    assert.equal(counters.rejected.timeout, 1);
  });
}

// HEADERS for POST /gatehouse.test.Echo/Echo, content-type application/grpc (HPACK by hand:
// static-table :method POST and :scheme http, literal :authority, :path and content-type),
// no END_STREAM.
function echoHeaders(stream) {
  const path = Buffer.from('/gatehouse.test.Echo/Echo');
  const ct = Buffer.from('application/grpc');
  const block = Buffer.concat([Buffer.from([0x83, 0x86, 0x01, 0x01, 0x78, 0x04, path.length]), path,
    Buffer.from([0x0f, 0x10, ct.length]), ct]);
  return h2frame(1, 4, stream, block); // END_HEADERS
}
const RST_STREAM = 3;

async function limitCases() {
  await test('h2c-19 a request that stalls: GOAWAY(NO_ERROR), its stream refused, closed', async () => {
    const srv = await startServer(['--read-ms', '300']);
    const r = await raw(srv.port, Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0)), echoHeaders(1),
      h2frame(0, 0, 1, frame(echoText('cut')).subarray(0, 6))]));
    assert.equal(r.why, 'close');
    const fr = frames(r.bytes);
    const g = fr.find((f) => f.type === GOAWAY);
    assert.ok(g, 'no GOAWAY');
    assert.equal(g.payload.readUInt32BE(4), 0);
    const rst = fr.find((f) => f.type === RST_STREAM && f.stream === 1);
    assert.ok(rst, 'stream 1 not reset');
    assert.equal(rst.payload.readUInt32BE(0), 7); // REFUSED_STREAM
    const { counters } = await srv.stop();
    assert.equal(counters.rejected.timeout, 1);
  });

  await test('h2c-20 streams past SETTINGS_MAX_CONCURRENT_STREAMS are refused', async () => {
    const srv = await startServer(['--streams', '2', '--read-ms', '300']);
    const r = await raw(srv.port, Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0)),
      echoHeaders(1), echoHeaders(3), echoHeaders(5)]));
    const fr = frames(r.bytes);
    const settings = fr.find((f) => f.type === 4 && !(f.flags & 1));
    const entries = [];
    for (let i = 0; i + 6 <= settings.payload.length; i += 6)
      entries.push([settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2)]);
    assert.deepEqual(entries.find(([id]) => id === 3), [3, 2]); // MAX_CONCURRENT_STREAMS
    // stream 5 at once; 1 and 3 when the stalled connection times out
    const rst = fr.filter((f) => f.type === RST_STREAM).map((f) => [f.stream, f.payload.readUInt32BE(0)]);
    assert.deepEqual(rst[0], [5, 7]);
    assert.deepEqual(rst.slice(1).sort(), [[1, 7], [3, 7]]);
    await srv.stop();
  });

  await test('h2c-21 unfinished requests past the connection buffer: RESOURCE_EXHAUSTED', async () => {
    const srv = await startServer(['--conn-buffer', '100000']);
    const s = http2.connect(`http://127.0.0.1:${srv.port}`);
    s.on('error', () => {});
    const hdr = { ':method': 'POST', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/grpc' };
    const big = frame(Buffer.alloc(80000, 1));
    const first = s.request(hdr);
    first.on('error', () => {});
    // held, not ended; under the client's first 64 KiB window, so it goes out at once and
    // ahead of the second stream's HEADERS
    first.write(big.subarray(0, 60000));
    await sleep(200);
    const second = s.request(hdr);
    let trailers = {};
    second.on('response', (h) => (trailers = h));
    second.on('error', () => {});
    second.end(big);
    await new Promise((r) => second.on('close', r));
    assert.equal(trailers['grpc-status'], '8');
    assert.match(decodeURIComponent(trailers['grpc-message']), /too many unfinished requests \(limit 100000 bytes\)/);
    let firstTrailers = {};
    first.on('trailers', (t) => (firstTrailers = t));
    first.resume();
    first.end(big.subarray(60000));
    await new Promise((r) => first.on('close', r));
    assert.equal(firstTrailers['grpc-status'], '0');
    s.destroy();
    await srv.stop();
  });
}

async function stopCase() {
  await test('h2c-17 graceful stop: answered calls stand, an unfinished one is refused, exit 0', async () => {
    const srv = await startServer();
    const s = http2.connect(`http://127.0.0.1:${srv.port}`);
    s.on('error', () => {});
    const goaway = new Promise((r) => s.on('goaway', (code, last) => r({ code, last })));
    const hdr = { ':method': 'POST', ':path': '/gatehouse.test.Echo/Echo', 'content-type': 'application/grpc' };
    const done = s.request(hdr);
    let doneTrailers;
    done.on('trailers', (t) => (doneTrailers = t));
    done.resume();
    done.end(frame(echoText('done')));
    await new Promise((r) => done.on('close', r));
    assert.equal(doneTrailers['grpc-status'], '0');
    const open = s.request(hdr);
    open.on('error', () => {});
    open.write(frame(echoText('never finished')).subarray(0, 4));
    await sleep(100);
    const closed = new Promise((r) => open.on('close', () => r(open.rstCode)));
    const stopped = srv.stop();
    const ga = await goaway;
    assert.equal(ga.code, 0);
    assert.equal(await closed, http2.constants.NGHTTP2_REFUSED_STREAM);
    const { code, counters } = await stopped;
    assert.equal(code, 0);
    assert.equal(counters.requests, 1);
    assert.equal(counters.by_status.OK, 1);
    s.destroy();
  });
}

// ---- TLS ----

const makeCerts = () => makeTestCerts(dir, 'srv', 'localhost', 'IP:127.0.0.1,DNS:localhost');

async function tlsCases() {
  makeCerts();
  const ca = readFileSync(join(dir, 'ca.pem'));
  const srv = await startServer(['--tls', join(dir, 'srv.pem'), join(dir, 'srv.key'), '--max-message', String(LIMIT)]);
  const nameOpts = { 'grpc.ssl_target_name_override': 'localhost' }; // no IP as SNI (RFC 6066)
  await commonCases('tls', srv.port, grpc.credentials.createSsl(ca), { secure: true, ca }, nameOpts);

  await test('tls-13 ALPN without h2 is refused; h2 clients keep working', async () => {
    const err = await new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', servername: 'localhost', port: srv.port, ca, ALPNProtocols: ['http/1.1'] });
      s.on('secureConnect', () => { s.destroy(); resolve(null); });
      s.on('error', (e) => resolve(e));
    });
    assert.ok(err, 'the handshake succeeded');
    assert.match(String(err.message), /no.application.protocol/i);
    const client = new echoPkg.gatehouse.test.Echo(`127.0.0.1:${srv.port}`, grpc.credentials.createSsl(ca), nameOpts);
    const { res } = await unary(client, 'Echo', { text: 'after' });
    assert.equal(res.text, 'after');
    client.close();
  });

  await test('tls-14 not TLS at all (h2c preface to the TLS port): closed', async () => {
    const r = await raw(srv.port, Buffer.concat([PREFACE, h2frame(4, 0, 0, Buffer.alloc(0))]));
    assert.equal(r.why, 'close');
    assert.equal(frames(r.bytes).filter((f) => f.type === 4).length, 0); // no SETTINGS in clear
  });

  await test('tls-15 a bad certificate path fails to start, naming it', async () => {
    const p = spawnSync(SERVER, ['--tls', join(dir, 'missing.pem'), join(dir, 'srv.key')], { encoding: 'utf8' });
    assert.equal(p.status, 1);
    assert.match(p.stderr, /^grpc_echo_server: TLS: .*missing\.pem: /);
  });

  const { code, counters } = await srv.stop();
  await test('tls-16 stopped cleanly; counters add up', async () => {
    assert.equal(code, 0);
    assert.equal(counters.rejected.protocol, 2); // tls-13 (ALPN), tls-14 (not TLS)
    assert.equal(counters.rejected.unknown_method, 1);
  });
}

// ---- run ----

const srv = await startServer(['--max-message', String(LIMIT)]);
await commonCases('h2c', srv.port, grpc.credentials.createInsecure(), {});
await malformedCases(srv);
const stopped = await srv.stop();
await test('h2c-18 stopped cleanly; counters add up', async () => {
  assert.equal(stopped.code, 0, stopped.stderr);
  const c = stopped.counters;
  assert.equal(c.rejected.content_type, 2);       // h2c-9, h2c-10
  assert.equal(c.rejected.method, 1);             // h2c-10
  assert.equal(c.rejected.unknown_method, 1);     // h2c-5
  assert.equal(c.rejected.message_limit, 1);      // h2c-7
  assert.equal(c.rejected.header_limit, 1);       // h2c-8
  assert.equal(c.rejected.framing, 8);            // h2c-11 (7), h2c-12
  assert.equal(c.rejected.protocol, 3);           // h2c-13, 14, 15
  assert.equal(c.by_status.UNIMPLEMENTED, 2);     // h2c-5, gzip
  assert.equal(c.by_status.PERMISSION_DENIED, 1); // h2c-6
  assert.equal(c.by_status.NOT_FOUND, 2);         // h2c-4, h2c-6 (raw)
  const sum = Object.values(c.by_status).reduce((a, b) => a + b, 0);
  assert.equal(sum, c.requests);
});
await idleCase();
await limitCases();
await stopCase();
await tlsCases();

for (const p of running) p.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
const failed = results.filter(([ok]) => !ok);
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
