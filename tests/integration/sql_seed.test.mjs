// The seed's data-master scenario end to end: its users and grants (policies/datamaster, on
// gatehouse's decision contract) enforced by two sql_rds listeners (instances inst-a and
// inst-b of the aurora data source) in front of one real PostgreSQL: each user gets exactly
// what their grants allow, by action, instance, table and column.
//
// usage: node sql_seed.test.mjs path/to/gatehouse
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, chownSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startDaemon, runner, sleep, hs256Token } from './lib.mjs';
import { requirePostgres, startPostgres as startCluster, stopPostgres as stopCluster, psql as psqlIn, psqlValue as psqlValueIn, pgUser } from './pg.mjs';

const GH = process.argv[2];
if (!GH) {
  console.error('usage: node sql.test.mjs GATEHOUSE');
  process.exit(2);
}
requirePostgres();
const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gh-sqlseed-'));
const { test, done } = runner();

const SCHEMA = `
CREATE TABLE public.orders (id int PRIMARY KEY, amount numeric, customer text, note text);
INSERT INTO public.orders VALUES (1, 10, 'ann', 'n1'), (2, 20, 'bob', 'n2');
CREATE TABLE public.customers (id int PRIMARY KEY, name text, email text);
INSERT INTO public.customers VALUES (1, 'Ann', 'ann@x.io');
CREATE TABLE public.audit (id int PRIMARY KEY, event text);
INSERT INTO public.audit VALUES (1, 'login');
`;

const SECRET = 'seed-scenario-secret-0123456789abcdefgh';
const token = (sub) => hs256Token(SECRET, { iss: 'suits', aud: 'aurora', sub, exp: Math.floor(Date.now() / 1000) + 600 });

async function execute(port, user, sql) {
  const res = await fetch(`http://127.0.0.1:${port}/Execute`, {
    method: 'POST', headers: { authorization: `Bearer ${token(user)}` },
    body: JSON.stringify({ sql, includeResultMetadata: true }),
  });
  return { status: res.status, json: await res.json() };
}

async function main() {
  startCluster(dir);
  try {
    psqlIn(dir, SCHEMA);
    const conn = `host=${dir} dbname=postgres user=${pgUser}`;
    const cat = spawnSync(GH, ['catalog', '--pg', conn, '-o', join(dir, 'catalog.json')], { encoding: 'utf8' });
    assert.equal(cat.status, 0, cat.stderr);
    const listener = (inst) => ({
      name: inst, kind: 'sql_rds', addr: '127.0.0.1:0', postgres: conn, pool_size: 1,
      decision: '/gatehouse/datamaster/decision', catalog_file: join(dir, 'catalog.json'), tenant_column: '',
      connector: { name: `aurora-${inst}`, kind: 'sql', dialect: 'postgres', data_source: 'aurora', instance: inst },
    });
    const d = await startDaemon(GH, dir, {
      env: { ...process.env, GH_SEED_SECRET: SECRET },
      config: {
        policy: [join(repo, 'policies/datamaster')],
        auth: { audiences: ['aurora'], issuers: [{ issuer: 'suits', hmac_secret: { env: 'GH_SEED_SECRET' }, algorithms: ['HS256'] }] },
        listeners: [listener('inst-a'), listener('inst-b')],
      },
    });
    const A = d.portOf('inst-a'), B = d.portOf('inst-b');
    // [user, instance port, statement, expected: 'deny' | number of rows | column names]
    const cases = [
      ['harvey', B, 'SELECT id FROM orders', 2],
      ['harvey', B, "UPDATE orders SET note = 'x' WHERE id = 2", 'updated'],
      ['mike', A, 'SELECT id, name FROM customers', 1],
      ['mike', B, 'SELECT id FROM customers', 'deny'],
      ['mike', A, "UPDATE customers SET name = 'x'", 'deny'],
      ['rachel', B, 'SELECT id, customer FROM orders', 2],
      ['rachel', A, 'SELECT id FROM customers', 'deny'],
      ['rachel', B, 'SELECT event FROM audit', 1],
      ['rachel', A, 'SELECT event FROM audit', 'deny'],
      ['rachel', B, 'SELECT o.id FROM orders o JOIN audit a ON a.id = o.id', 1],
      ['gretchen', A, 'SELECT id, amount FROM orders', 2],
      ['gretchen', A, 'SELECT note FROM orders', 'deny'],
      ['gretchen', A, 'SELECT * FROM orders', ['id', 'amount']],
      ['gretchen', B, 'SELECT id FROM orders', 'deny'],
      ['katrina', A, "UPDATE orders SET note = 'k' WHERE id = 1", 'updated'],
      ['katrina', A, 'SELECT id FROM orders', 'deny'],
      ['katrina', B, 'SELECT id FROM audit', 1],
      ['samantha', B, 'SELECT id FROM customers', 1],
      ['samantha', A, 'DELETE FROM orders', 'deny'],
      ['donna', A, 'SELECT id FROM orders', 'deny'],
      ['jeff', A, "UPDATE orders SET note = 'j'", 'deny'],
      ['nobody', A, 'SELECT id FROM orders', 'deny'],
    ];
    await test(`seed-1 ${cases.length} requests of the data-master users get exactly their grants`, async () => {
      for (const [user, port, sql, want] of cases) {
        if (process.env.GH_TRACE) console.log('    >', user, sql);
        const r = await execute(port, user, sql);
        const where = `${user} on ${port === A ? 'inst-a' : 'inst-b'}: ${sql} -> ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`;
        if (want === 'deny') {
          assert.equal(r.status, 403, where);
          continue;
        }
        assert.equal(r.status, 200, where);
        if (want === 'updated') assert.equal(r.json.numberOfRecordsUpdated, 1, where);
        else if (Array.isArray(want)) assert.deepEqual(r.json.columnMetadata.map((c) => c.name), want, where); // the table's order
        else assert.equal(r.json.records.length, want, where);
      }
    });
    d.proc.kill('SIGTERM');
    const exit = await d.exited;
    assert.equal(exit.code, 0, `the daemon ended with ${JSON.stringify(exit)}:\n${d.log().slice(-3000)}`);
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
