// gatehouse run, end to end: starts the real daemon on 127.0.0.1 (port 0, read back from
// its "listening" log line) and drives it with Node's fetch and raw sockets. Covers the
// Data API shapes, the server's own refusals (malformed JSON, huge bodies, slow headers,
// garbage bytes, header limits) while other connections keep being served, pipelining,
// hot reload (good and broken), decision-log masking, /health, /metrics, config errors,
// and SIGTERM under load losing no decision-log line.
//
// usage: node daemon.test.mjs path/to/gatehouse
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import assert from 'node:assert/strict';
import { startDaemon as startLib, runner, sleep } from './lib.mjs';

const GH = process.argv[2];
if (!GH) {
  console.error('usage: node daemon.test.mjs GATEHOUSE');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'gh-daemon-'));

// ---- the daemon ----

const POLICY_V1 = `package t

import rego.v1

default allow := false

allow if input.user == "alice"

version := 1

conflict := 1 if input.x
conflict := 2 if input.x

main := {"allow": allow, "version": version}

echo := {"user": input.user}

bad_number := to_number(input.n)
`;

function writePolicy(text) {
  // written aside and renamed in, as editors and config management do
  writeFileSync(join(dir, 'policy', '.tmp'), text);
  renameSync(join(dir, 'policy', '.tmp'), join(dir, 'policy', 't.rego'));
}

function startDaemon(extraArgs = [], config = null) {
  return startLib(GH, dir, { config, args: extraArgs });
}

// ---- clients ----

async function call(d, method, path, body, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${d.port}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

// Sends raw bytes (optionally in slow pieces) and returns everything read until the server
// closes or timeoutMs passes.
function raw(d, chunks, { gapMs = 0, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(d.port, '127.0.0.1');
    let got = '';
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ text: got, why });
    };
    sock.on('data', (b) => (got += b.toString('latin1')));
    sock.on('end', () => finish('end'));
    sock.on('close', () => finish('close'));
    sock.on('error', (e) => finish(e.code));
    setTimeout(() => finish('timeout'), timeoutMs);
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (done) return;
        sock.write(c);
        if (gapMs) await sleep(gapMs);
      }
    });
  });
}

const statusOf = (text) => +((text.match(/^HTTP\/1\.1 (\d{3})/) || [])[1] || 0);

// ---- the cases ----

const { test, done } = runner();

async function main() {
  spawnSync('mkdir', ['-p', join(dir, 'policy'), join(dir, 'data', 'limits')]);
  writePolicy(POLICY_V1);
  writeFileSync(join(dir, 'data', 'limits', 'data.json'), '// comments are fine\n{"max": 3,}\n');
  const logPath = join(dir, 'decisions.log');
  const config = {
    policy: [join(dir, 'policy')],
    data: [join(dir, 'data')],
    limits: { max_body_bytes: 65536, read_timeout_ms: 800, max_header_bytes: 8192, max_headers: 50 },
    reload: { debounce_ms: 50 },
    health: { fail_on_reload_error: true },
    labels: { app: 'itest' },
    decision_log: {
      output: 'file',
      path: logPath,
      erase: ['/input/password'],
      mask: { '/input/card': '****' },
    },
  };
  const d = await startDaemon([], config);

  await test('data-1 POST /v1/data defined result with decision_id', async () => {
    const r = await call(d, 'POST', '/v1/data/t/allow', { input: { user: 'alice' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.result, true);
    assert.match(r.json.decision_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(r.headers.get('content-type'), 'application/json');
  });

  await test('data-2 undefined document: 200 without result', async () => {
    const r = await call(d, 'POST', '/v1/data/t/nothing', { input: {} });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['decision_id']);
  });

  await test('data-3 evaluation error: 500 internal_error naming the conflict', async () => {
    const r = await call(d, 'POST', '/v1/data/t/conflict', { input: { x: true } });
    assert.equal(r.status, 500);
    assert.equal(r.json.code, 'internal_error');
    assert.match(r.json.message, /t\.rego:\d+: eval_conflict_error: complete rules must not produce multiple outputs/);
  });

  await test('data-4 GET with ?input= and data from a nested data.json', async () => {
    const input = encodeURIComponent(JSON.stringify({ user: 'bob' }));
    let r = await call(d, 'GET', `/v1/data/t/allow?input=${input}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.result, false);
    r = await call(d, 'GET', '/v1/data/limits/max');
    assert.equal(r.json.result, 3);
  });

  await test('data-5 body without "input" evaluates without one and warns', async () => {
    const r = await call(d, 'POST', '/v1/data/t/version', { user: 'alice' });
    assert.equal(r.json.result, 1);
    assert.equal(r.json.warning.code, 'api_usage_warning');
  });

  await test('data-6 ?pretty&metrics&provenance', async () => {
    const r = await call(d, 'POST', '/v1/data/t/allow?pretty=true&metrics&provenance', { input: { user: 'alice' } });
    assert.ok(r.text.includes('\n  "result": true'), r.text);
    assert.ok(r.json.metrics.timer_rego_query_eval_ns >= 0);
    assert.ok(r.json.metrics.timer_server_handler_ns > 0);
    assert.match(r.json.provenance.revision, /^[0-9a-f]{16}$/);
  });

  await test('data-7 /v0/data: bare value; undefined is 404', async () => {
    let r = await call(d, 'POST', '/v0/data/t/allow', { user: 'alice' });
    assert.equal(r.status, 200);
    assert.equal(r.text.trim(), 'true');
    r = await call(d, 'POST', '/v0/data/t/nothing', {});
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'undefined_document');
  });

  await test('data-8 POST / evaluates the default decision (data.system.main)', async () => {
    const r = await call(d, 'POST', '/', { user: 'alice' });
    assert.equal(r.status, 404); // this policy has no system.main
    assert.match(r.json.message, /data\.system\.main/);
  });

  await test('data-9 /v1/policies lists the modules with their text', async () => {
    const r = await call(d, 'GET', '/v1/policies');
    assert.equal(r.status, 200);
    assert.equal(r.json.result.length, 1);
    assert.ok(r.json.result[0].id.endsWith('t.rego'));
    assert.ok(r.json.result[0].raw.includes('package t'));
  });

  await test('data-10 unknown endpoint 404, wrong method 405 with Allow', async () => {
    let r = await call(d, 'GET', '/v2/nowhere');
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'resource_not_found');
    r = await call(d, 'PUT', '/v1/data/t', {});
    assert.equal(r.status, 405);
    assert.ok(r.headers.get('allow').startsWith('GET, POST'));
  });

  await test('data-11 ?strict-builtin-errors turns a builtin error into a 500', async () => {
    let r = await call(d, 'POST', '/v1/data/t/bad_number', { input: { n: 'abc' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.result, undefined);
    r = await call(d, 'POST', '/v1/data/t/bad_number?strict-builtin-errors', { input: { n: 'abc' } });
    assert.equal(r.status, 500);
    assert.match(r.json.message, /eval_builtin_error: to_number/);
    r = await call(d, 'POST', '/v1/data/t/bad_number?strict-builtin-errors=true', { input: { n: '12' } });
    assert.equal(r.json.result, 12);
  });

  await test('bad-1 malformed JSON body: 400 invalid_parameter with the position', async () => {
    const r = await call(d, 'POST', '/v1/data/t/allow', '{"input": {"user": }');
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'invalid_parameter');
    assert.match(r.json.message, /malformed input document: json: 1:\d+/);
  });

  await test('bad-2 huge body: 413 before it is read, server still serves', async () => {
    const big = JSON.stringify({ input: { blob: 'x'.repeat(200000) } });
    const r = await call(d, 'POST', '/v1/data/t/allow', big);
    assert.equal(r.status, 413);
    assert.equal(r.json.code, 'request_too_large');
    const ok = await call(d, 'GET', '/health');
    assert.equal(ok.status, 200);
  });

  await test('bad-3 chunked body over the limit: 413', async () => {
    const head = 'POST /v1/data/t/allow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = 'x'.repeat(40000);
    const c = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const r = await raw(d, [head, c, c, '0\r\n\r\n']);
    assert.equal(statusOf(r.text), 413, r.text.slice(0, 200));
  });

  await test('bad-4 slow headers (slowloris): 408 after the read timeout; others served meanwhile', async () => {
    const pieces = ['POST /v1/data/t/allow HTTP/1.1\r\n', 'Host: x\r\n'];
    for (let i = 0; i < 30; i++) pieces.push(`X-Slow-${i}: y\r\n`);
    const slow = raw(d, pieces, { gapMs: 100, timeoutMs: 6000 });
    await sleep(200);
    const t0 = Date.now();
    const other = await call(d, 'POST', '/v1/data/t/allow', { input: { user: 'alice' } });
    assert.equal(other.json.result, true);
    assert.ok(Date.now() - t0 < 500, 'the other connection waited');
    const r = await slow;
    assert.equal(statusOf(r.text), 408, r.text);
    assert.match(r.text, /"code":"request_timeout"/);
  });

  await test('bad-5 garbage bytes: 400 and the connection closes', async () => {
    const r = await raw(d, ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n']);
    assert.equal(statusOf(r.text), 400, r.text);
    assert.match(r.text, /malformed HTTP request/);
    assert.ok(r.why === 'end' || r.why === 'close', r.why);
  });

  await test('bad-6 header too large and too many headers: 431', async () => {
    let r = await raw(d, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10000)}\r\n\r\n`]);
    assert.equal(statusOf(r.text), 431, r.text.slice(0, 100));
    let many = 'GET /health HTTP/1.1\r\nHost: x\r\n';
    for (let i = 0; i < 60; i++) many += `X-H${i}: v\r\n`;
    r = await raw(d, [many + '\r\n']);
    assert.equal(statusOf(r.text), 431);
    assert.match(r.text, /too many header fields/);
  });

  await test('http-1 pipelined requests are answered in order on one connection', async () => {
    const body = JSON.stringify({ input: { user: 'alice' } });
    const post = `POST /v1/data/t/allow HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const get = 'GET /v1/data/t/version HTTP/1.1\r\nHost: x\r\n\r\n';
    const last = 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const r = await raw(d, [post + get + last]);
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => +m[1]);
    assert.deepEqual(statuses, [200, 200, 200]);
    const iTrue = r.text.indexOf('"result":true'), iOne = r.text.indexOf('"result":1');
    assert.ok(iTrue > 0 && iOne > iTrue, r.text);
    assert.match(r.text, /Connection: close\r\n/);
  });

  await test('http-2 keep-alive: many requests over one connection', async () => {
    const sock = net.connect(d.port, '127.0.0.1');
    await new Promise((r) => sock.on('connect', r));
    let got = '';
    sock.on('data', (b) => (got += b));
    for (let i = 0; i < 20; i++) {
      sock.write('GET /v1/data/t/version HTTP/1.1\r\nHost: x\r\n\r\n');
      const want = i + 1;
      for (let k = 0; k < 100 && (got.match(/HTTP\/1\.1 200/g) || []).length < want; k++) await sleep(5);
    }
    sock.destroy();
    assert.equal((got.match(/HTTP\/1\.1 200/g) || []).length, 20);
  });

  await test('log-1 decision log: OPA fields, labels, erased and masked paths', async () => {
    await call(d, 'POST', '/v1/data/t/echo', { input: { user: 'carol', password: 'hunter2', card: '4111', subject: { id: 'u-7' } } });
    let line;
    for (let i = 0; i < 100 && !line; i++) {
      const text = (() => { try { return readFileSync(logPath, 'utf8'); } catch { return ''; } })();
      line = text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.input && e.input.user === 'carol');
      if (!line) await sleep(20);
    }
    assert.ok(line, 'event not written');
    assert.equal(line.path, 't/echo');
    assert.equal(line.labels.app, 'itest');
    assert.ok(line.labels.id && line.labels.version);
    assert.equal(line.input.password, undefined);
    assert.equal(line.input.card, '****');
    assert.deepEqual(line.erased, ['/input/password']);
    assert.deepEqual(line.masked, ['/input/card']);
    assert.deepEqual(line.result, { user: 'carol' });
    assert.equal(line.subject, 'u-7');
    assert.ok(line.timestamp.endsWith('Z') && line.requested_by.startsWith('127.0.0.1:'));
    assert.ok(!JSON.stringify(line).includes('hunter2'), 'the erased value leaked');
    const keys = Object.keys(line);
    assert.deepEqual(keys.slice(0, 5), ['labels', 'decision_id', 'revision', 'path', 'input']);
  });

  await test('reload-1 a good change is served within 1 s', async () => {
    const t0 = Date.now();
    writePolicy(POLICY_V1.replace('version := 1', 'version := 2'));
    let v;
    while (Date.now() - t0 < 3000) {
      v = (await call(d, 'GET', '/v1/data/t/version')).json.result;
      if (v === 2) break;
      await sleep(20);
    }
    const took = Date.now() - t0;
    assert.equal(v, 2);
    assert.ok(took < 1000, `took ${took} ms`);
    console.log(`     (new answer after ${took} ms)`);
  });

  await test('reload-2 a broken change: old answer stays, /health and /metrics show it', async () => {
    writePolicy('package t\n\nversion := \n');
    let h;
    for (let i = 0; i < 100; i++) {
      h = await call(d, 'GET', '/health');
      if (h.status === 500) break;
      await sleep(20);
    }
    assert.equal(h.status, 500);
    assert.match(h.json.error, /t\.rego:\d+:\d+: rego_parse_error/);
    assert.equal((await call(d, 'GET', '/health/ready')).status, 500);
    const v = await call(d, 'GET', '/v1/data/t/version');
    assert.equal(v.json.result, 2);
    const m = await call(d, 'GET', '/metrics');
    assert.match(m.text, /^gatehouse_reload_last_failed 1$/m);
    assert.match(m.text, /^gatehouse_reload_failures_total [1-9]/m);
    assert.match(d.log(), /reload failed.*still serving/);
    // and fixing it recovers
    writePolicy(POLICY_V1.replace('version := 1', 'version := 3'));
    for (let i = 0; i < 100; i++) {
      h = await call(d, 'GET', '/health');
      if (h.status === 200) break;
      await sleep(20);
    }
    assert.equal(h.status, 200);
    assert.equal((await call(d, 'GET', '/v1/data/t/version')).json.result, 3);
  });

  await test('reload-3 SIGHUP reloads', async () => {
    writeFileSync(join(dir, 'data', 'limits', 'data.json'), '{"max": 4}');
    d.proc.kill('SIGHUP');
    let v;
    for (let i = 0; i < 100 && v !== 4; i++) {
      v = (await call(d, 'GET', '/v1/data/limits/max')).json.result;
      await sleep(20);
    }
    assert.equal(v, 4);
  });

  await test('metrics-1 Prometheus text: requests by endpoint and decision, histograms, queue', async () => {
    const m = await call(d, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.ok(m.headers.get('content-type').startsWith('text/plain; version=0.0.4'));
    assert.match(m.text, /^gatehouse_http_requests_total\{endpoint="v1_data",decision="allow"\} [1-9]\d*$/m);
    assert.match(m.text, /^gatehouse_http_requests_total\{endpoint="v1_data",decision="error"\} [1-9]/m);
    assert.match(m.text, /^gatehouse_http_request_duration_seconds_bucket\{endpoint="v1_data",le="\+Inf"\} \d+$/m);
    assert.match(m.text, /^gatehouse_eval_duration_seconds_count \d+$/m);
    assert.match(m.text, /^gatehouse_decision_log_dropped_total 0$/m);
    assert.match(m.text, /^gatehouse_decision_log_queue_depth \d+$/m);
    assert.match(m.text, /^gatehouse_http_rejected_total\{reason="timeout"\} [1-9]/m);
    assert.match(m.text, /^gatehouse_revision_info\{revision="[0-9a-f]{16}"\} 1$/m);
    assert.match(m.text, /^gatehouse_reload_total [1-9]/m);
  });

  await test('stop-1 SIGTERM under load loses no decision-log line', async () => {
    let ok = 0;
    let stop = false;
    const body = JSON.stringify({ input: { user: 'alice' } });
    const before = readFileSync(logPath, 'utf8').split('\n').filter(Boolean).length;
    let answeredBefore = 0;
    // count the 2xx answers of the requests made so far in this run (every one logs)
    answeredBefore = before;
    const client = async () => {
      while (!stop) {
        try {
          const r = await fetch(`http://127.0.0.1:${d.port}/v1/data/t/allow`, { method: 'POST', body });
          await r.text();
          if (r.status >= 200 && r.status < 300) ok++;
        } catch {
          return;
        }
      }
    };
    const clients = Array.from({ length: 16 }, client);
    await sleep(700);
    d.proc.kill('SIGTERM');
    const exit = await d.exited;
    stop = true;
    await Promise.all(clients);
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${d.log().slice(-2000)}`);
    const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
    assert.ok(ok > 100, `only ${ok} requests under load`);
    assert.equal(lines.length - answeredBefore, ok, `${ok} answers, ${lines.length - answeredBefore} log lines`);
    console.log(`     (${ok} answered under load, ${lines.length - answeredBefore} logged)`);
  });

  await test('log-2 rotation by size and back-pressure with a one-slot queue: nothing lost', async () => {
    const small = join(dir, 'small.log');
    const d2 = await startDaemon([], {
      policy: [join(dir, 'policy')],
      decision_log: { output: 'file', path: small, max_bytes: 4000, max_files: 1000, queue_size: 1 },
    });
    const body = JSON.stringify({ input: { user: 'alice' } });
    let ok = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 50; i++) {
        const r = await fetch(`http://127.0.0.1:${d2.port}/v1/data/t/allow`, { method: 'POST', body });
        await r.text();
        if (r.status === 200) ok++;
      }
    }));
    const m = (await call(d2, 'GET', '/metrics')).text;
    d2.proc.kill('SIGINT');
    const exit = await d2.exited;
    assert.equal(exit.code, 0);
    assert.equal(ok, 400);
    let lines = 0, files = 0;
    for (const f of readdirSync(dir).filter((f) => f.startsWith('small.log'))) {
      files++;
      lines += readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
    }
    assert.ok(files > 5, `only ${files} files: no rotation`);
    assert.equal(lines, 400);
    assert.match(m, /^gatehouse_decision_log_dropped_total 0$/m);
    console.log(`     (${files} files; ${(m.match(/^gatehouse_decision_log_waits_total (\d+)/m) || [])[1]} waits for room)`);
  });

  await test('bundle-1 -b: a bundle directory; its manifest revision names the revision', async () => {
    const bundle = new URL('../fixtures/bundle/good', import.meta.url).pathname;
    const d3 = await startDaemon(['-b', bundle, '--ignore', 'drafts']);
    const r = await call(d3, 'GET', '/v1/data/shop?provenance');
    assert.equal(r.status, 200);
    assert.equal(r.json.provenance.revision, '2026-11-23-rev42');
    assert.ok(r.json.result && typeof r.json.result === 'object');
    const m = (await call(d3, 'GET', '/metrics')).text;
    assert.match(m, /^gatehouse_revision_info\{revision="2026-11-23-rev42"\} 1$/m);
    d3.proc.kill('SIGTERM');
    assert.equal((await d3.exited).code, 0);
    const bad = new URL('../fixtures/bundle/outside-roots', import.meta.url).pathname;
    const rb = spawnSync(GH, ['run', '--addr', '127.0.0.1:0', '-b', bad], { encoding: 'utf8' });
    assert.equal(rb.status, 1);
    assert.match(rb.stderr, /outside|root/);
  });

  await test('config-1 unknown and mistyped fields are errors naming their path', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ limits: { max_body: 1 }, workers: 'two', policy: [join(dir, 'policy')] }));
    const r = spawnSync(GH, ['run', '-c', path], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.json: limits\.max_body: unknown field/);
    assert.match(r.stderr, /bad\.json: workers: expected a non-negative integer/);
  });

  await test('config-2 a broken policy at start: exit 1 with file:line:col', async () => {
    const bad = join(dir, 'broken.rego');
    writeFileSync(bad, 'package b\n\nallow if {\n');
    const r = spawnSync(GH, ['run', '--addr', '127.0.0.1:0', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /broken\.rego:\d+:\d+: rego_parse_error/);
  });

  await test('config-3 the address in use: exit 1 naming it', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.on('listening', r));
    const port = blocker.address().port;
    const r = spawnSync(GH, ['run', '--addr', `127.0.0.1:${port}`, '-w', '1', join(dir, 'policy')], { encoding: 'utf8', timeout: 5000 });
    blocker.close();
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`listen on 127\\.0\\.0\\.1:${port}: address already in use`));
  });

  done(() => rmSync(dir, { recursive: true, force: true }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
