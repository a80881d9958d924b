// SQL listeners in front of an HTTP connector service (upstream kind (a)): a stand-in
// service started here records what gatehouse forwards. RDS Data API and Snowflake SQL API
// requests are described, decided (policies/authz), rewritten, and forwarded in their own
// shape with the constraints as bound parameters (typed, never spliced), and the service's
// answer is relayed as it arrives (streamed, the service held back while the client is slow,
// cut short when the service is); denials never reach the service; a dead service is a 502.
//
// usage: node sql_forward.test.mjs path/to/gatehouse
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { startDaemon, runner, hs256Token } from './lib.mjs';

const GH = process.argv[2];
if (!GH) {
  console.error('usage: node sql_forward.test.mjs GATEHOUSE');
  process.exit(2);
}
const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gh-sqlfwd-'));
const { test, done } = runner();

const SECRET = 'sql-forward-test-secret-0123456789abcdef';
const token = (claims) => hs256Token(SECRET, { iss: 'test-idp', aud: 'orders-db', exp: Math.floor(Date.now() / 1000) + 600, ...claims });
const analyst = token({ sub: 'ann', tenant: 'acme', roles: ['analyst'] });

// ---- the connector service stand-in ----

const received = [];
let answer = { status: 200, body: { ok: true } };
let streamer = null; // when set: (res) => writes the answer itself, piece by piece
let connections = 0;  // TCP connections the service accepted
const sockets = new Set();
function startService() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body) });
      if (streamer) return streamer(res);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  server.on('connection', (c) => {
    connections++;
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

async function post(port, path, body, tok = analyst) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

// A POST read piece by piece: onData sees each piece as it comes; resolves with the status,
// headers, the whole body and whether it ended cleanly.
function postStream(port, path, body, { agent, onData, slow } = {}) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent,
      headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' } }, (res) => {
      const parts = [];
      res.on('data', (c) => {
        parts.push(c);
        if (onData) onData(c);
        if (slow) { res.pause(); setTimeout(() => res.resume(), slow); }
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), clean: true }));
      res.on('error', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), clean: false }));
      res.on('aborted', () => {});
    });
    req.on('error', (e) => resolve({ error: e }));
    req.end(JSON.stringify(body));
  });
}

async function main() {
  const service = await startService();
  const url = `http://127.0.0.1:${service.address().port}`;
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({
    'public.orders': ['id', 'tenant_id', 'region', 'amount', 'card_number', 'email', 'status'],
    'public.customers': ['id', 'tenant_id', 'name', 'region', 'phone', 'ssn'],
  }));
  const common = { catalog_file: join(dir, 'catalog.json'), tenant_column: 'tenant_id' };
  const d = await startDaemon(GH, dir, {
    env: { ...process.env, GH_FWD_SECRET: SECRET },
    config: {
      policy: [join(repo, 'policies/authz')],
      decision_log: { output: 'file', path: join(dir, 'decisions.log') },
      auth: { audiences: ['orders-db'], subject: { tenant: 'tenant', roles: 'roles' },
        issuers: [{ issuer: 'test-idp', hmac_secret: { env: 'GH_FWD_SECRET' }, algorithms: ['HS256'] }] },
      listeners: [
        { name: 'rds', kind: 'sql_rds', addr: '127.0.0.1:0', upstream_url: url, ...common,
          connector: { name: 'rds', kind: 'sql', dialect: 'postgres', instance: 'inst-a' } },
        { name: 'snow', kind: 'sql_snowflake', addr: '127.0.0.1:0', upstream_url: url, ...common,
          connector: { name: 'snow', kind: 'sql', dialect: 'snowflake', instance: 'wh1' } },
        { name: 'dead', kind: 'sql_rds', addr: '127.0.0.1:0', upstream_url: 'http://127.0.0.1:1', ...common },
        { name: 'deadsnow', kind: 'sql_snowflake', addr: '127.0.0.1:0', upstream_url: 'http://127.0.0.1:1', ...common },
        { name: 'hasty', kind: 'sql_rds', addr: '127.0.0.1:0', upstream_url: url, upstream_timeout_ms: 300, ...common },
      ],
    },
  });

  await test('fwd-1 RDS: the rewritten statement and typed constraint parameters reach the service', async () => {
    const r = await post(d.portOf('rds'), '/Execute', {
      resourceArn: 'arn:aws:rds:x', secretArn: 'arn:s', database: 'app',
      sql: 'SELECT id, email FROM orders WHERE id = :id', parameters: [{ name: 'id', value: { longValue: 7 } }],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { ok: true });
    const got = received.pop();
    assert.equal(got.url, '/Execute');
    const id = got.headers['x-gatehouse-decision-id']; // ties the service's logs to ours
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(readFileSync(join(dir, 'decisions.log'), 'utf8').includes(`"decision_id":"${id}"`));
    assert.equal(got.body.database, 'app');
    assert.equal(got.body.resourceArn, 'arn:aws:rds:x');
    assert.match(got.body.sql, /FROM public\.orders WHERE tenant_id = :gh_c\d/);
    assert.match(got.body.sql, /WHERE id = :id/);
    assert.ok(!got.body.sql.includes('acme'), 'a constraint value spliced into the SQL');
    const byName = Object.fromEntries(got.body.parameters.map((p) => [p.name, p.value]));
    assert.deepEqual(byName.id, { longValue: 7 });
    const values = Object.values(byName).map((v) => v.stringValue);
    assert.ok(values.includes('acme') && values.includes('eu-west-1'), JSON.stringify(got.body.parameters));
  });

  await test('fwd-2 Snowflake: ? bindings renumbered, constraints as TEXT bindings', async () => {
    const r = await post(d.portOf('snow'), '/api/v2/statements', {
      statement: 'SELECT id FROM orders WHERE amount > ?', warehouse: 'WH', role: 'ANALYST',
      bindings: { 1: { type: 'FIXED', value: '10' } },
    });
    assert.equal(r.status, 200, r.text);
    const got = received.pop();
    assert.equal(got.url, '/api/v2/statements');
    assert.equal(got.body.warehouse, 'WH');
    const marks = (got.body.statement.match(/\?/g) || []).length;
    assert.equal(marks, Object.keys(got.body.bindings).length, got.body.statement);
    assert.ok(Object.values(got.body.bindings).some((b) => b.type === 'FIXED' && b.value === '10'));
    assert.ok(Object.values(got.body.bindings).some((b) => b.type === 'TEXT' && b.value === 'acme'));
    assert.ok(!got.body.statement.includes('acme'));
  });

  await test('fwd-3 denied statements never reach the service; its errors are relayed; a dead one is 502', async () => {
    const before = received.length;
    let r = await post(d.portOf('rds'), '/Execute', { sql: 'SELECT ssn FROM customers' });
    assert.equal(r.status, 403);
    r = await post(d.portOf('snow'), '/api/v2/statements', { statement: 'DROP TABLE orders' });
    assert.equal(r.status, 422); // Snowflake's own status for a statement refused
    assert.equal(received.length, before);
    answer = { status: 422, body: { code: '002003', message: 'Object does not exist' } };
    r = await post(d.portOf('snow'), '/api/v2/statements', { statement: 'SELECT id FROM orders' });
    assert.equal(r.status, 422);
    assert.equal(JSON.parse(r.text).code, '002003');
    answer = { status: 200, body: { ok: true } };
    r = await post(d.portOf('dead'), '/Execute', { sql: 'SELECT id FROM orders' });
    assert.equal(r.status, 502);
  });

  const rdsSql = { sql: 'SELECT id FROM orders' };

  await test('fwd-10 refusals in each API\'s own shape: the Data API\'s, and Snowflake\'s QueryFailureStatus', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const snow = async (port, body, path = '/api/v2/statements') => {
      const r = await post(port, path, body);
      const j = JSON.parse(r.text);
      assert.match(j.statementHandle, uuid, r.text);
      assert.ok(Math.abs(j.createdOn - Date.now()) < 60000, r.text);
      return { status: r.status, ...j };
    };
    let e = await snow(d.portOf('snow'), { statement: 'SELECT ssn FROM customers' });
    assert.deepEqual([e.status, e.code, e.sqlState], [422, '003001', '42501']);
    assert.match(e.message, /denied/);
    await new Promise((r) => setTimeout(r, 150)); // the handle is the logged decision's id
    assert.ok(readFileSync(join(dir, 'decisions.log'), 'utf8').includes(`"decision_id":"${e.statementHandle}"`));
    e = await snow(d.portOf('snow'), { statement: 'SELEC id FROM orders' });
    assert.deepEqual([e.status, e.code, e.sqlState], [422, '001003', '42000']);
    assert.match(e.message, /syntax error/);
    e = await snow(d.portOf('snow'), { statement: 42 });
    assert.deepEqual([e.status, e.code], [400, 'GH0400']);
    e = await snow(d.portOf('snow'), { statement: 'SELECT 1' }, '/api/v2/elsewhere');
    assert.deepEqual([e.status, e.code], [404, 'GH0404']);
    e = await snow(d.portOf('deadsnow'), { statement: 'SELECT id FROM orders' });
    assert.deepEqual([e.status, e.code], [502, 'GH0502']);
    // the Data API's shape is unchanged
    const res = await fetch(`http://127.0.0.1:${d.portOf('rds')}/Execute`, {
      method: 'POST', headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT ssn FROM customers' }) });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'ForbiddenException');
    assert.deepEqual(Object.keys(await res.json()), ['message']);
  });

  await test('fwd-4 the answer is streamed: the client has the first piece before the service has finished', async () => {
    let release;
    const gate = new Promise((r) => (release = r));
    streamer = async (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"records":[');
      await gate; // the rest only once the client has seen the first piece
      res.end('[1],[2]]}');
    };
    const r = await postStream(d.portOf('rds'), '/Execute', rdsSql, { onData: () => release() });
    streamer = null;
    assert.equal(r.status, 200);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(r.clean);
    assert.deepEqual(JSON.parse(r.body.toString()), { records: [[1], [2]] });
  });

  const peakKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))[1]);

  await test('fwd-5 16 MB to a slow client: every byte, in order, the service held back meanwhile', async () => {
    const peakBefore = peakKb();
    const piece = crypto.randomBytes(64 * 1024);
    const whole = crypto.createHash('sha256');
    let written = 0;
    streamer = (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const more = () => {
        while (written < 256) {
          written++;
          whole.update(piece);
          if (!res.write(piece)) return res.once('drain', more);
        }
        res.end();
      };
      more();
    };
    const r = await postStream(d.portOf('rds'), '/Execute', rdsSql, { slow: 2 });
    streamer = null;
    assert.equal(r.status, 200);
    assert.ok(r.clean);
    assert.equal(r.body.length, 256 * piece.length);
    assert.equal(crypto.createHash('sha256').update(r.body).digest('hex'), whole.digest('hex'));
    // held back, not buffered: the daemon's peak memory grew by far less than the answer
    // (not under ASan, whose quarantine keeps freed memory: GH_SANITIZED)
    console.log(`     (peak memory grew by ${peakKb() - peakBefore} kB)`);
    if (!process.env.GH_SANITIZED)
      assert.ok(peakKb() - peakBefore < 6 * 1024, `peak grew by ${peakKb() - peakBefore} kB`);
  });

  await test('fwd-6 a service that dies mid-answer: the client sees a cut answer, never a whole one', async () => {
    streamer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"records":[[1]');
      setTimeout(() => res.socket.destroy(), 50);
    };
    const r = await postStream(d.portOf('rds'), '/Execute', rdsSql);
    streamer = null;
    assert.ok(r.error || !r.clean, 'a truncated answer ended as if complete');
    const again = await post(d.portOf('rds'), '/Execute', rdsSql); // the daemon is fine
    assert.equal(again.status, 200, again.text);
  });

  await test('fwd-7 keep-alive: streamed answers one after another on one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set();
    for (let i = 0; i < 3; i++) {
      streamer = (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"n":');
        setTimeout(() => res.end(`${i}}`), 10);
      };
      const r = await postStream(d.portOf('rds'), '/Execute', rdsSql, {
        agent, onData: function () {} });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body.toString()), { n: i });
    }
    streamer = null;
    const sockets = Object.values(agent.freeSockets).flat();
    assert.equal(sockets.length, 1, 'the connection was not kept');
    ports.add(sockets[0].localPort);
    agent.destroy();
  });

  await test('fwd-8 connections to the service are kept and reused, and dropped when it closes them', async () => {
    const before = connections;
    for (let i = 0; i < 40; i++) {
      const r = await post(d.portOf('rds'), '/Execute', rdsSql);
      assert.equal(r.status, 200, r.text);
    }
    assert.ok(connections - before <= 2, `${connections - before} connections for 40 requests (2 workers)`);
    for (const c of sockets) c.destroy(); // the service closes its idle connections
    await new Promise((r) => setTimeout(r, 100));
    const mid = connections;
    for (let i = 0; i < 4; i++) {
      const r = await post(d.portOf('rds'), '/Execute', rdsSql);
      assert.equal(r.status, 200, r.text); // never a failure on a connection the service closed
    }
    assert.ok(connections > mid, 'closed connections were reused');
  });

  await test('fwd-9 a service that does not answer in time: 502, and the next request is fine', async () => {
    streamer = () => {}; // never answers
    const t0 = Date.now();
    const r = await post(d.portOf('hasty'), '/Execute', rdsSql);
    assert.equal(r.status, 502, r.text);
    assert.match(JSON.parse(r.text).message, /in time/);
    assert.ok(Date.now() - t0 < 2000);
    streamer = (res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.write('{"records":'); };
    const cut = await postStream(d.portOf('hasty'), '/Execute', rdsSql); // times out mid-answer
    assert.ok(cut.error || !cut.clean, 'an answer cut by the deadline ended as if complete');
    streamer = null;
    const again = await post(d.portOf('hasty'), '/Execute', rdsSql);
    assert.equal(again.status, 200, again.text);
  });

  await test('fwd-11 raw HTTP: two pipelined requests answered in order, and a client that half-closes still gets its answer', async () => {
    const raw = (text, halfClose) => new Promise((resolve) => {
      const sock = net.connect(d.portOf('rds'), '127.0.0.1', () => {
        sock.write(text);
        if (halfClose) sock.end();
      });
      let got = '';
      sock.on('data', (c) => {
        got += c;
        if (!halfClose && (got.match(/\r\n0\r\n\r\n/g) || []).length === 2) sock.destroy(); // two chunked ends
      });
      sock.on('close', () => resolve(got));
    });
    const body = JSON.stringify(rdsSql);
    const one = (n) => `POST /Execute HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${analyst}\r\n` +
      `Content-Type: application/json\r\nX-N: ${n}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    let n = 0;
    streamer = (res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(`{"n":${++n}}`); };
    const both = await raw(one(1) + one(2), false);
    assert.equal((both.match(/HTTP\/1\.1 200/g) || []).length, 2, both);
    assert.ok(both.indexOf('{"n":1}') < both.indexOf('{"n":2}'), both);
    const half = await raw(one(3), true);
    streamer = null;
    assert.match(half, /^HTTP\/1\.1 200/, half);
    assert.match(half, /Connection: close/i);
    assert.match(half, /\{"n":3\}/);
  });

  await test('fwd-12 without a decision log, each Snowflake refusal gets a handle of its own', async () => {
    const quiet = await startDaemon(GH, dir, {
      env: { ...process.env, GH_FWD_SECRET: SECRET },
      config: {
        policy: [join(repo, 'policies/authz')],
        auth: { audiences: ['orders-db'], subject: { tenant: 'tenant', roles: 'roles' },
          issuers: [{ issuer: 'test-idp', hmac_secret: { env: 'GH_FWD_SECRET' }, algorithms: ['HS256'] }] },
        listeners: [{ name: 'snow', kind: 'sql_snowflake', addr: '127.0.0.1:0', upstream_url: url, ...common }],
      },
    });
    try {
      const handles = [];
      for (let i = 0; i < 2; i++) {
        const r = await post(quiet.portOf('snow'), '/api/v2/statements', { statement: 'SELECT ssn FROM customers' });
        assert.equal(r.status, 422, r.text);
        handles.push(JSON.parse(r.text).statementHandle);
      }
      for (const h of handles) assert.match(h, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(handles[0], handles[1]);
    } finally {
      quiet.proc.kill('SIGTERM');
      await quiet.exited;
    }
  });

  d.proc.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);
  service.close();
  done(() => rmSync(dir, { recursive: true, force: true }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
