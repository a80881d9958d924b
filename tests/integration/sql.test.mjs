// The SQL listener end to end against a real PostgreSQL: a throwaway cluster started here
// (Debian's postgresql, a unix socket in a temp dir, no TCP), a multi-tenant schema, the
// daemon's sql_rds listener with bearer authentication and policies/authz, and RDS Data API
// ExecuteStatement requests: tenant isolation, column allow-lists, masks, row filters,
// writes, parameters, and statements that must be denied.
//
// usage: node sql.test.mjs path/to/gatehouse
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, chownSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { startDaemon, runner, sleep, hs256Token } from './lib.mjs';
import { requirePostgres, startPostgres as startCluster, stopPostgres as stopCluster, psql as psqlIn, psqlValue as psqlValueIn, pgUser } from './pg.mjs';
import { createRequire } from 'node:module';
import http from 'node:http';

const GH = process.argv[2];
if (!GH) {
  console.error('usage: node sql.test.mjs GATEHOUSE');
  process.exit(2);
}
requirePostgres();
const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gh-sql-'));
const { test, done } = runner();

const SCHEMA = `
CREATE TABLE public.orders (id int PRIMARY KEY, tenant_id text NOT NULL, region text,
  amount numeric, card_number text, email text, status text);
INSERT INTO public.orders VALUES
  (1, 'acme', 'eu-west-1', 10.5, '4111111111111111', 'a@acme.io', 'open'),
  (2, 'acme', 'us-east-1', 20, '4222222222222222', 'b@acme.io', 'open'),
  (3, 'acme', 'eu-central-1', 30, '4333333333333333', 'c@acme.io', 'deleted'),
  (4, 'globex', 'eu-west-1', 40, '4444444444444444', 'd@globex.io', 'open'),
  (5, 'acme', 'eu-central-1', 50, '4555555555555555', 'e@acme.io', 'open');
CREATE TABLE public.customers (id int PRIMARY KEY, tenant_id text NOT NULL, name text,
  region text, phone text, ssn text);
INSERT INTO public.customers VALUES
  (1, 'acme', 'Ann', 'eu-west-1', '+33 1 23', '111-22-3333'),
  (2, 'globex', 'Bob', 'eu-west-1', '+44 2 34', '222-33-4444');
`;

// ---- tokens and requests ----

const SECRET = 'sql-listener-test-secret-0123456789abcdef';
const token = (claims) => hs256Token(SECRET, { iss: 'test-idp', aud: 'orders-db', iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + 600, ...claims });
const analyst = token({ sub: 'ann', tenant: 'acme', roles: ['analyst'] });
const admin = token({ sub: 'root', tenant: 'acme', roles: ['admin'] });
const globex = token({ sub: 'bob', tenant: 'globex', roles: ['analyst'] });

let port;
async function execute(tok, sql, parameters = [], extra = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/Execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) },
    body: JSON.stringify({ resourceArn: 'arn:aws:rds:eu-west-1:1:cluster:orders', secretArn: 'arn:x',
      database: 'postgres', sql, parameters, ...extra }),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text, type: res.headers.get('x-amzn-errortype') };
}
const cell = (f) => ('isNull' in f ? null : Object.values(f)[0]);
const rows = (r) => r.json.records.map((rec) => rec.map(cell));

// An RDS-shaped connector service over the same database (upstream kind (a)): it runs what
// gatehouse forwards (named parameters bound, never spliced) with the pg client and answers
// in the Data API's shape.
function startConnectorService(pgUserName) {
  const here = new URL('.', import.meta.url).pathname;
  if (!existsSync(join(here, 'node_modules/pg/package.json'))) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: here, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm ci failed:\n${r.stdout}${r.stderr}`);
  }
  const pg = createRequire(join(here, 'package.json'))('pg');
  const pool = new pg.Pool({ host: dir, user: pgUserName, database: 'postgres', max: 2 });
  const typed = (v) => (v === null ? { isNull: true } : typeof v === 'number' ? { longValue: v } : { stringValue: String(v) });
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const r = JSON.parse(body);
      const names = [];
      // :name -> $n outside quotes, leaving :: casts alone
      const sql = r.sql.replace(/'(?:[^']|'')*'|::|:([A-Za-z_][A-Za-z0-9_]*)/g, (m, name) => {
        if (!name) return m;
        let i = names.indexOf(name);
        if (i < 0) i = names.push(name) - 1;
        return `$${i + 1}`;
      });
      const value = (name) => {
        const v = (r.parameters || []).find((p) => p.name === name).value;
        return 'isNull' in v ? null : Object.values(v)[0];
      };
      try {
        const out = await pool.query({ text: sql, values: names.map(value), rowMode: 'array' });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ numberOfRecordsUpdated: out.command === 'SELECT' ? 0 : out.rowCount,
          records: (out.rows || []).map((row) => row.map(typed)) }));
      } catch (e) {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' });
        res.end(JSON.stringify({ message: e.message }));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, pool })));
}

async function main() {
  startCluster(dir);
  try {
    psqlIn(dir, SCHEMA);
    // the catalog, as `gatehouse catalog` reads it from the database
    const cat = spawnSync(GH, ['catalog', '--pg', `host=${dir} dbname=postgres user=${pgUser}`, '-o', join(dir, 'catalog.json')], { encoding: 'utf8' });
    assert.equal(cat.status, 0, cat.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')), {
      'public.customers': ['id', 'tenant_id', 'name', 'region', 'phone', 'ssn'],
      'public.orders': ['id', 'tenant_id', 'region', 'amount', 'card_number', 'email', 'status'],
    });
    const nodb = spawnSync(GH, ['catalog', '--pg', `host=${dir} dbname=nope user=${pgUser}`], { encoding: 'utf8' });
    assert.equal(nodb.status, 1);
    assert.match(nodb.stderr, /database "nope" does not exist/);
    const logPath = join(dir, 'decisions.log');
    const config = {
      policy: [join(repo, 'policies/authz')],
      decision_log: { output: 'file', path: logPath },
      auth: {
        audiences: ['orders-db'],
        subject: { id: 'sub', tenant: 'tenant', roles: 'roles' },
        issuers: [{ issuer: 'test-idp', hmac_secret: { env: 'GH_SQL_SECRET' }, algorithms: ['HS256'] }],
      },
      listeners: [{
        name: 'orders-db', kind: 'sql_rds', addr: '127.0.0.1:0',
        postgres: `host=${dir} dbname=postgres user=${pgUser}`, pool_size: 2,
        catalog_file: join(dir, 'catalog.json'), tenant_column: 'tenant_id',
        connector: { name: 'orders-db', kind: 'sql', dialect: 'postgres', instance: 'inst-a' },
      }],
    };
    const svc = await startConnectorService(pgUser);
    config.listeners.push({ ...config.listeners[0], name: 'orders-fwd', postgres: undefined,
      upstream_url: `http://127.0.0.1:${svc.server.address().port}` });
    config.listeners.push({ ...config.listeners[0], name: 'orders-unprepared', prepared_statements: 0 });
    const d = await startDaemon(GH, dir, { config, env: { ...process.env, GH_SQL_SECRET: SECRET } });
    port = d.portOf('orders-db');

    await test('sql-1 tenant, region and status filters: only the rows the decision allows', async () => {
      const r = await execute(analyst, 'SELECT id, region FROM orders ORDER BY id');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(rows(r), [[1, 'eu-west-1'], [5, 'eu-central-1']]); // not 2 (region), 3 (deleted), 4 (globex)
      const g = await execute(globex, 'SELECT id FROM orders ORDER BY id');
      assert.deepEqual(rows(g), [[4]]);
    });

    await test('sql-2 masks computed in SQL: card_number shows its last 4, email hashed', async () => {
      const r = await execute(analyst, 'SELECT id, card_number, email FROM orders WHERE id = 1');
      assert.equal(r.status, 200, r.text);
      const [[id, card, email]] = rows(r);
      assert.equal(id, 1);
      assert.ok(card.endsWith('1111') && !card.includes('41111111'), card);
      assert.equal(email, crypto.createHash('sha256').update('a@acme.io').digest('hex'));
    });

    await test('sql-3 column allow-list: a forbidden column is denied by name; SELECT * expands', async () => {
      let r = await execute(analyst, 'SELECT name, ssn FROM customers');
      assert.equal(r.status, 403, r.text);
      assert.equal(r.type, 'ForbiddenException');
      assert.match(r.json.message, /ssn/);
      r = await execute(analyst, 'SELECT id, name FROM customers');
      assert.deepEqual(rows(r), [[1, 'Ann']]);
      r = await execute(analyst, 'SELECT * FROM customers', [], { includeResultMetadata: true });
      assert.equal(r.status, 200, r.text); // * over the constrained table: allowed columns, phone masked
      assert.deepEqual(r.json.columnMetadata.map((c) => c.name), ['id', 'name', 'region', 'phone']);
      assert.deepEqual(rows(r), [[1, 'Ann', 'eu-west-1', null]]);
    });

    await test('sql-4 another tenant through UNION, a CTE, a subquery: still only acme rows', async () => {
      let r = await execute(analyst, "SELECT id FROM orders UNION SELECT id FROM orders WHERE tenant_id = 'globex' ORDER BY 1");
      assert.deepEqual(rows(r), [[1], [5]]);
      r = await execute(analyst, 'WITH o AS (SELECT id, amount FROM orders) SELECT id FROM o WHERE amount > 0 ORDER BY id');
      assert.deepEqual(rows(r), [[1], [5]]);
      r = await execute(analyst, 'SELECT id FROM orders WHERE id IN (SELECT id FROM orders) ORDER BY id');
      assert.deepEqual(rows(r), [[1], [5]]);
    });

    await test('sql-5 named parameters, typed results, result metadata', async () => {
      const r = await execute(analyst, 'SELECT id, amount, region FROM orders WHERE id = :id AND region = :r',
        [{ name: 'id', value: { longValue: 5 } }, { name: 'r', value: { stringValue: 'eu-central-1' } }],
        { includeResultMetadata: true });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.records, [[{ longValue: 5 }, { stringValue: '50' }, { stringValue: 'eu-central-1' }]]);
      assert.deepEqual(r.json.columnMetadata.map((c) => [c.name, c.typeName]), [['id', 'int4'], ['amount', 'numeric'], ['region', 'text']]);
    });

    await test('sql-6 writes: none for analysts; admins only within their tenant', async () => {
      let r = await execute(analyst, "UPDATE orders SET status = 'x' WHERE id = 1");
      assert.equal(r.status, 403, r.text);
      r = await execute(admin, "UPDATE orders SET status = 'paid' WHERE id = 4"); // globex's row
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.numberOfRecordsUpdated, 0);
      r = await execute(admin, "UPDATE orders SET status = 'paid' WHERE id = 1");
      assert.equal(r.json.numberOfRecordsUpdated, 1);
      r = await execute(admin, "INSERT INTO orders (id, tenant_id, region, status) VALUES (9, 'globex', 'eu-west-1', 'open')");
      assert.equal(r.status, 403, `an insert into another tenant: ${r.text}`);
    });

    await test('sql-7 statements that must be denied', async () => {
      for (const sql of ['SELECT 1; SELECT 2', "COPY orders TO '/tmp/x'", "DO $$ BEGIN PERFORM 1; END $$",
        "SELECT pg_read_file('/etc/passwd')", 'SELECT * FROM pg_catalog.pg_authid', 'SET ROLE postgres']) {
        const r = await execute(admin, sql);
        assert.equal(r.status, 403, `${sql}: ${r.text}`);
      }
      const bad = await execute(analyst, 'SELEC id FROM orders');
      assert.equal(bad.status, 400);
      assert.equal(bad.type, 'BadRequestException');
    });

    await test('sql-9 adversarial statements: denied, or only rows and columns the decision allows', async () => {
      // each: [sql, the output column holding order ids (or null), expectation]
      const ORDER_IDS = new Set([1, 5]); // acme, allowed regions, not deleted
      const cases = [
        ['WITH orders AS (SELECT * FROM public.orders) SELECT id FROM orders', 0],
        ['SELECT id FROM "public"."orders"', 0],
        ['select ID from ORDERS', 0],
        ['SELECT o.id FROM orders o, LATERAL (SELECT i.id FROM orders i WHERE i.id = o.id) x', 0],
        ["SELECT id FROM orders WHERE tenant_id = 'globex' OR true", 0],
        ['SELECT id FROM orders -- a comment\nWHERE 1 = 1', 0],
        ['SELECT id FROM orders /* ; DROP TABLE orders */', 0],
        ['SELECT $$dollar; quoted$$ AS t, id FROM orders', 1],
        ['TABLE orders', 0],
        ["SELECT id FROM orders WHERE id IN (SELECT id FROM orders WHERE tenant_id <> 'acme')", 0],
        ['SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) FROM orders', 0],
        ['SELECT generate_series(1, 3) AS g, id FROM orders', 1],
        ['SELECT id FROM (SELECT * FROM orders) AS sub', 0],
        ['SELECT id FROM orders WHERE id = ANY(ARRAY[1, 2, 3, 4])', 0],
        ['SELECT id FROM ONLY orders', 0],
        ['SELECT id FROM orders NATURAL JOIN customers', 0],
        ["SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.name = 'Bob')", 0],
        ['SELECT (SELECT max(id) FROM orders) AS m', 0],
        ['SELECT id FROM orders FOR UPDATE', 0],
        ["SELECT id FROM orders WHERE region = 'us-east-1'", 0],
        ["SELECT id FROM orders WHERE status = 'deleted'", 0],
        ['SELECT count(*) AS n, 1 AS k FROM orders', null, (r) => assert.deepEqual(rows(r), [[2, 1]])],
        ["SELECT name FROM customers UNION ALL SELECT email FROM orders", null,
          (r) => assert.ok(rows(r).every(([v]) => v !== 'Bob' && !String(v).includes('@')), r.text)],
        ["SELECT c.id FROM customers c WHERE c.name = 'Bob'", null, (r) => assert.deepEqual(rows(r), [])],
        ['SELECT * FROM pg_catalog.pg_tables', 'deny'],
        ['SELECT usename FROM pg_user', 'deny'],
        ['SELECT table_name FROM information_schema.tables', 'deny'],
        ['WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', 'deny'],
        ['SELECT * INTO stolen FROM orders', 'deny'],
        ['EXPLAIN ANALYZE SELECT * FROM orders', 'deny'],
        ["SELECT set_config('search_path', 'x', false)", 'deny'],
        ['SELECT pg_sleep(1)', 'deny'],
        ["SELECT lo_import('/etc/passwd')", 'deny'],
        ["SELECT pg_ls_dir('.')", 'deny'],
        ['CALL p()', 'deny'],
        ['PREPARE s AS SELECT 1', 'deny'],
        ['EXECUTE s', 'deny'],
        ['RESET ROLE', 'deny'],
        ['SET search_path = evil', 'deny'],
        ["SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = 'globex')", 'deny'],
        ['SELECT ssn FROM customers', 'deny'],
        ['SELECT id FROM customers WHERE ssn IS NOT NULL', 'deny'],
        ['SELECT id FROM customers ORDER BY ssn', 'deny'],
        ['SELECT id FROM customers GROUP BY id, tenant_id', 'deny'],
        ['DELETE FROM orders', 'deny'],
        ["INSERT INTO orders (id, tenant_id) VALUES (10, 'acme')", 'deny'],
        ["UPDATE customers SET name = 'x'", 'deny'],
        ['TRUNCATE orders', 'deny'],
        ['DROP TABLE orders', 'deny'],
        ['CREATE TABLE x (a int)', 'deny'],
        ["COPY (SELECT * FROM orders) TO STDOUT", 'deny'],
        ['SELECT 1; SELECT id FROM orders', 'deny'],
        ["DO $x$ BEGIN DELETE FROM orders; END $x$", 'deny'],
        ['LISTEN x', 'deny'],
        ['VACUUM orders', 'deny'],
        ['SELECT id FROM "ORDERS"', 'deny'],
        ["SELECT dblink_exec('host=x', 'DROP TABLE orders')", 'deny'],
        ["SELECT id FROM orders WHERE pg_read_file('/etc/passwd') IS NOT NULL", 'deny'],
        ['SELECT current_setting(\'is_superuser\'), id FROM orders', 1],
        ['SELECT id FROM orders UNION SELECT id FROM customers', 0],
      ];
      let denied = 0, answered = 0;
      for (const [sql, col, check] of cases) {
        const r = await execute(analyst, sql);
        if (col === 'deny') {
          assert.notEqual(r.status, 200, `${sql}: answered ${r.text}`);
          denied++;
          continue;
        }
        if (r.status !== 200) { denied++; continue; } // denied is always acceptable
        answered++;
        assert.ok(!r.text.includes('globex') && !r.text.includes('4444'), `${sql}: another tenant's data: ${r.text}`);
        if (check) check(r);
        if (typeof col === 'number')
          for (const row of rows(r)) assert.ok(ORDER_IDS.has(row[col]) || (sql.includes('customers') && row[col] === 1), `${sql}: row ${JSON.stringify(row)}`);
      }
      console.log(`     (${cases.length} statements: ${answered} answered within the decision, ${denied} denied)`);
    });

    await test('sql-10 BatchExecuteStatement: one statement per parameter set, one transaction, constrained alike', async () => {
      const batch = async (tok, sql, sets) => {
        const res = await fetch(`http://127.0.0.1:${port}/BatchExecute`, {
          method: 'POST', headers: { authorization: `Bearer ${tok}` },
          body: JSON.stringify({ resourceArn: 'arn:x', secretArn: 'arn:y', sql, parameterSets: sets }),
        });
        return { status: res.status, json: await res.json() };
      };
      const set = (id, note) => [{ name: 'id', value: { longValue: id } }, { name: 's', value: { stringValue: note } }];
      let r = await batch(admin, 'UPDATE orders SET status = :s WHERE id = :id', [set(5, 'b1'), set(4, 'b2'), set(1, 'b3')]);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.updateResults.length, 3);
      let check = await execute(admin, 'SELECT id, status FROM orders WHERE id IN (1, 5) ORDER BY id');
      assert.deepEqual(rows(check), [[1, 'b3'], [5, 'b1']]);
      assert.equal(psqlValueIn(dir, "SELECT status FROM orders WHERE id = 4"), 'open'); // globex's row untouched
      // a failing set rolls the whole batch back
      r = await batch(admin, 'UPDATE orders SET amount = :a::numeric WHERE id = :id', [
        [{ name: 'a', value: { stringValue: '1' } }, { name: 'id', value: { longValue: 1 } }],
        [{ name: 'a', value: { stringValue: 'not a number' } }, { name: 'id', value: { longValue: 5 } }]]);
      assert.equal(r.status, 400, JSON.stringify(r.json));
      check = await execute(admin, 'SELECT amount FROM orders WHERE id = 1');
      assert.deepEqual(rows(check), [['10.5']]);
      r = await batch(analyst, 'UPDATE orders SET status = :s WHERE id = :id', [set(1, 'x')]);
      assert.equal(r.status, 403);
      r = await batch(admin, 'UPDATE orders SET status = :s WHERE id = :id', [set(1, 'x'), [{ name: 'other', value: { longValue: 1 } }]]);
      assert.equal(r.status, 400);
    });

    await test('sql-11 the same through a connector service (upstream kind (a)): same rows, same denials', async () => {
      const direct = port;
      port = d.portOf('orders-fwd');
      try {
        let r = await execute(analyst, 'SELECT id, region FROM orders ORDER BY id');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(rows(r), [[1, 'eu-west-1'], [5, 'eu-central-1']]);
        r = await execute(globex, 'SELECT id FROM orders ORDER BY id');
        assert.deepEqual(rows(r), [[4]]);
        r = await execute(analyst, "SELECT id FROM orders UNION SELECT id FROM orders WHERE tenant_id = 'globex' ORDER BY 1");
        assert.deepEqual(rows(r), [[1], [5]]);
        r = await execute(analyst, 'SELECT id, card_number FROM orders WHERE id = :id', [{ name: 'id', value: { longValue: 1 } }]);
        assert.equal(r.status, 200, r.text);
        assert.ok(rows(r)[0][1].endsWith('1111') && !rows(r)[0][1].startsWith('4111'));
        r = await execute(analyst, 'SELECT ssn FROM customers');
        assert.equal(r.status, 403);
        r = await execute(admin, "UPDATE orders SET status = 'fwd' WHERE id = 4");
        assert.equal(r.json.numberOfRecordsUpdated, 0); // the other tenant's row
      } finally {
        port = direct;
      }
    });

    await test('sql-12 prepared statements: a schema change under a prepared statement still answers right, single and batch', async () => {
      // gatehouse prepares a statement the second time it sees its text (gh_<n> per
      // connection); ALTER TABLE then changes the result type under the cached plan, which
      // PostgreSQL refuses (0A000): gatehouse must forget it and answer unprepared.
      const pgLog = () => readFileSync(join(dir, 'pg.log'), 'utf8');
      const count = (text, re) => (text.match(re) || []).length;
      psqlIn(dir, "ALTER SYSTEM SET log_statement = 'all'");
      psqlIn(dir, 'SELECT pg_reload_conf()');
      try {
        const q = 'SELECT id, amount FROM orders WHERE id = :id';
        const p = [{ name: 'id', value: { longValue: 5 } }];
        for (let i = 0; i < 8; i++) { // both workers, each sees the text twice or more
          const r = await execute(analyst, q, p);
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.json.records, [[{ longValue: 5 }, { stringValue: '50' }]]);
        }
        await sleep(100);
        assert.match(pgLog(), /execute gh_\d+: [^\n]*amount[^\n]*tenant_id/, 'the statement never ran prepared');
        const refusals = count(pgLog(), /cached plan must not change result type/g);
        psqlIn(dir, 'ALTER TABLE orders ALTER COLUMN amount TYPE float8');
        for (let i = 0; i < 8; i++) {
          const r = await execute(analyst, q, p);
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.json.records, [[{ longValue: 5 }, { doubleValue: 50 }]]);
        }
        await sleep(100);
        assert.ok(count(pgLog(), /cached plan must not change result type/g) > refusals, 'no prepared statement was refused');

        // a batch: the refusal aborts its transaction; it rolls back and runs again unprepared
        const batch = async (sql, sets) => {
          const res = await fetch(`http://127.0.0.1:${port}/BatchExecute`, {
            method: 'POST', headers: { authorization: `Bearer ${admin}` },
            body: JSON.stringify({ resourceArn: 'arn:x', secretArn: 'arn:y', sql, parameterSets: sets }),
          });
          return { status: res.status, json: await res.json() };
        };
        const upd = 'UPDATE orders SET status = :s WHERE id = :id RETURNING id, amount';
        const sets = (note) => [1, 5].map((id) => [{ name: 's', value: { stringValue: note } }, { name: 'id', value: { longValue: id } }]);
        for (let i = 0; i < 6; i++) {
          const r = await batch(upd, sets(`p${i}`));
          assert.equal(r.status, 200, JSON.stringify(r.json));
          assert.equal(r.json.updateResults.length, 2);
        }
        const before = count(pgLog(), /cached plan must not change result type/g);
        psqlIn(dir, 'ALTER TABLE orders ALTER COLUMN amount TYPE numeric');
        for (let i = 0; i < 6; i++) {
          const r = await batch(upd, sets(`q${i}`));
          assert.equal(r.status, 200, JSON.stringify(r.json));
          assert.equal(r.json.updateResults.length, 2);
          assert.equal(psqlValueIn(dir, 'SELECT string_agg(status, \',\' ORDER BY id) FROM orders WHERE id IN (1, 5)'), `q${i},q${i}`);
        }
        await sleep(100);
        assert.ok(count(pgLog(), /cached plan must not change result type/g) > before, 'no batch met a refused statement');

        // connections that were reset have lost their statements: prepared again, same answer
        svc.pool.on('error', () => {}); // the connector service's idle clients go too
        psqlIn(dir, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
        await sleep(200);
        for (let i = 0; i < 8; i++) {
          const r = await execute(analyst, q, p);
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.json.records, [[{ longValue: 5 }, { stringValue: '50' }]]);
        }

        // prepared_statements: 0 sends every statement unprepared
        const direct = port;
        port = d.portOf('orders-unprepared');
        try {
          for (let i = 0; i < 6; i++) {
            const r = await execute(analyst, 'SELECT id, amount AS a0 FROM orders WHERE id = :id', p);
            assert.equal(r.status, 200, r.text);
            assert.deepEqual(r.json.records, [[{ longValue: 5 }, { stringValue: '50' }]]);
          }
        } finally {
          port = direct;
        }
        await sleep(100);
        assert.match(pgLog(), /execute <unnamed>: [^\n]*amount AS a0/);
        assert.doesNotMatch(pgLog(), /execute gh_\d+: [^\n]*amount AS a0/);
      } finally {
        psqlIn(dir, 'ALTER SYSTEM RESET log_statement');
        psqlIn(dir, 'SELECT pg_reload_conf()');
      }
    });

    await test('sql-13 string values in the answer: quotes, backslashes, control characters and UTF-8 survive', async () => {
      const odd = 'a"b\\c\u00e9\n\t\u2028\u0001z';
      for (const v of [odd, 'plain ascii', '']) {
        const r = await execute(analyst, 'SELECT id, :s::text AS s FROM orders WHERE id = 1', [{ name: 's', value: { stringValue: v } }]);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.records, [[{ longValue: 1 }, { stringValue: v }]]);
      }
    });

    await test('sql-8 no token: 401; the decision log holds the query, never the token', async () => {
      const r = await execute(null, 'SELECT id FROM orders');
      assert.equal(r.status, 401);
      await sleep(150);
      const text = readFileSync(logPath, 'utf8');
      assert.ok(!text.includes('eyJ'), 'a token in the decision log');
      const ev = text.split('\n').filter(Boolean).map(JSON.parse).find((e) => e.input && e.input.query && e.input.query.statement.includes('card_number'));
      assert.ok(ev, 'no decision-log line for the masked query');
      assert.deepEqual(ev.input.query.tables, ['public.orders']);
      assert.equal(ev.input.connector.instance, 'inst-a');
      assert.equal(ev.input.subject.tenant, 'acme');
    });

    d.proc.kill('SIGTERM');
    assert.equal((await d.exited).code, 0);
    svc.server.close();
    await svc.pool.end();
  } finally {
    stopCluster(dir);
  }
  done(() => rmSync(dir, { recursive: true, force: true }));
}

main().catch((e) => {
  console.error(e);
  stopCluster(dir);
  process.exit(1);
});
