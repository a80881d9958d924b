// 2,000 generated SELECTs through the SQL listener, each checked against an oracle: the same
// statement run directly on PostgreSQL over views that hold exactly what the decision allows
// the subject (acme's rows in its regions, not deleted; customers' allowed columns, phone
// masked to NULL). gatehouse must answer with the oracle's rows (as a multiset), or deny
// exactly when the oracle fails (a column the subject may not see). Seeded: a failure names
// its statement and the seed reproduces the run (GH_SQL_SEED=n).
//
// usage: node sql_random.test.mjs path/to/gatehouse [count]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startDaemon, runner, hs256Token } from './lib.mjs';
import { requirePostgres, startPostgres as startCluster, stopPostgres as stopCluster, pgUser } from './pg.mjs';

const GH = process.argv[2];
const COUNT = +(process.argv[3] || 2000);
if (!GH) {
  console.error('usage: node sql_random.test.mjs GATEHOUSE [COUNT]');
  process.exit(2);
}
requirePostgres();
const here = new URL('.', import.meta.url).pathname;
if (!existsSync(join(here, 'node_modules/pg/package.json'))) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: here, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm ci failed:\n${r.stdout}${r.stderr}`);
}
const pg = createRequire(join(here, 'package.json'))('pg');
const repo = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gh-sqlr-'));
const { test, done } = runner();

// Orders of several tenants, regions and statuses; the oracle views are what policies/authz
// decides for an acme analyst (regions from data.regions, status ne deleted, customers'
// columns id/name/region and phone masked to null).
function schema() {
  const tenants = ['acme', 'globex', 'initech'];
  const regions = ['eu-west-1', 'eu-central-1', 'us-east-1', null];
  const statuses = ['open', 'paid', 'deleted', null];
  let orders = [], customers = [];
  for (let i = 1; i <= 60; i++) {
    const t = tenants[i % 3], r = regions[i % 4], s = statuses[(i >> 2) % 4];
    orders.push(`(${i}, '${t}', ${r ? `'${r}'` : 'NULL'}, ${(i * 7.25) % 100}, '41110000000${String(i).padStart(5, '0')}', 'u${i}@${t}.io', ${s ? `'${s}'` : 'NULL'})`);
  }
  for (let i = 1; i <= 24; i++) {
    const t = tenants[i % 3], r = regions[(i + 1) % 4];
    customers.push(`(${i}, '${t}', 'name-${i}', ${r ? `'${r}'` : 'NULL'}, '+1-${i}', 'ssn-${i}')`);
  }
  return `
CREATE TABLE public.orders (id int PRIMARY KEY, tenant_id text NOT NULL, region text, amount numeric,
  card_number text, email text, status text);
CREATE TABLE public.customers (id int PRIMARY KEY, tenant_id text NOT NULL, name text, region text,
  phone text, ssn text);
INSERT INTO public.orders VALUES ${orders.join(',')};
INSERT INTO public.customers VALUES ${customers.join(',')};
CREATE SCHEMA oracle;
CREATE VIEW oracle.orders AS SELECT id, tenant_id, region, amount, status FROM public.orders
  WHERE tenant_id = 'acme' AND region IN ('eu-west-1', 'eu-central-1') AND status <> 'deleted';
CREATE VIEW oracle.customers AS SELECT id, name, region, NULL::text AS phone FROM public.customers
  WHERE tenant_id = 'acme' AND region IN ('eu-west-1', 'eu-central-1');`;
}

// ---- the generator ----

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
}
const SEED = +(process.env.GH_SQL_SEED || 20261123);
const rand = rng(SEED);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const chance = (p) => rand() < p;

const COLS = {
  orders: ['id', 'tenant_id', 'region', 'amount', 'status'],
  customers: ['id', 'name', 'region', 'phone', 'tenant_id', 'ssn'], // the last two are not allowed
};
function pred(t, a) {
  const q = a ? `${a}.` : '';
  const atoms = {
    orders: [`${q}id > ${Math.floor(rand() * 60)}`, `${q}region = '${pick(['eu-west-1', 'eu-central-1', 'us-east-1'])}'`,
      `${q}tenant_id = '${pick(['acme', 'globex'])}'`, `${q}status = '${pick(['open', 'deleted', 'paid'])}'`,
      `${q}amount < ${Math.floor(rand() * 100)}`, `${q}region IS NULL`, `${q}status IS NOT NULL`],
    customers: [`${q}id <= ${Math.floor(rand() * 24)}`, `${q}region = '${pick(['eu-west-1', 'us-east-1'])}'`,
      `${q}name LIKE 'name-1%'`, `${q}phone IS NULL`, ...(chance(0.1) ? [`${q}ssn = 'ssn-1'`, `${q}tenant_id = 'globex'`] : [])],
  }[t];
  let p = pick(atoms);
  if (chance(0.4)) p = `(${p} ${pick(['AND', 'OR'])} ${pick(atoms)})`;
  if (chance(0.15)) p = `NOT ${p}`;
  return p;
}
function cols(t, a) {
  const pool = COLS[t].filter((c) => t !== 'customers' || !['tenant_id', 'ssn'].includes(c) || chance(0.15));
  const n = 1 + Math.floor(rand() * Math.min(3, pool.length));
  const chosen = new Set(['id']);
  while (chosen.size < n) chosen.add(pick(pool));
  return [...chosen].map((c) => (a ? `${a}.${c}` : c));
}
function simple(t) {
  const a = chance(0.3) ? t[0] : null;
  return `SELECT ${cols(t, a).join(', ')} FROM ${t}${a ? ` ${a}` : ''}${chance(0.7) ? ` WHERE ${pred(t, a)}` : ''}`;
}
function statement() {
  const t = pick(['orders', 'orders', 'customers']);
  switch (Math.floor(rand() * 8)) {
    case 0: return `${simple(t)} UNION ${chance(0.5) ? 'ALL ' : ''}SELECT id FROM ${pick(['orders', 'customers'])} WHERE ${pred('orders', null).replace(/^.*$/, 'id > 30')}`.replace(/^SELECT [^F]*FROM/, 'SELECT id FROM');
    case 1: return `SELECT o.id, c.name FROM orders o JOIN customers c ON o.region = c.region WHERE ${pred('orders', 'o')}`;
    case 2: { /* the inner columns qualified: unqualified, a column the oracle's view lacks
                 would resolve to the outer table there, not to the real table's */
      const u = t === 'orders' ? 'customers' : 'orders';
      return `SELECT id FROM ${t} WHERE id IN (SELECT i.id FROM ${u} i WHERE ${pred(u, 'i')})`;
    }
    case 3: return `WITH x AS (${simple(t)}) SELECT * FROM x`;
    case 4: return `SELECT region, count(*), ${t === 'orders' ? 'sum(amount)' : 'max(id)'} FROM ${t}${chance(0.5) ? ` WHERE ${pred(t, null)}` : ''} GROUP BY region`;
    case 5: return `SELECT count(*) FROM ${t} WHERE ${pred(t, null)}`;
    case 6: return `SELECT id, (SELECT count(*) FROM customers c WHERE c.region = o.region) FROM orders o WHERE ${pred('orders', 'o')}`;
    default: return `${simple(t)} ORDER BY id LIMIT ${1 + Math.floor(rand() * 10)}`;
  }
}

// ---- comparing ----

const norm = (v) => (v === null || v === undefined ? null : String(v));
const canon = (rowsList) => rowsList.map((r) => JSON.stringify(r.map(norm))).sort();

const SECRET = 'sql-random-test-secret-0123456789abcdef';
const token = (claims) => hs256Token(SECRET, { iss: 'test-idp', aud: 'orders-db', exp: Math.floor(Date.now() / 1000) + 3600, ...claims });

async function main() {
  startCluster(dir);
  const client = new pg.Client({ host: dir, user: pgUser, database: 'postgres' });
  try {
    await client.connect();
    await client.query(schema());
    const catalog = { 'public.orders': ['id', 'tenant_id', 'region', 'amount', 'card_number', 'email', 'status'],
      'public.customers': ['id', 'tenant_id', 'name', 'region', 'phone', 'ssn'] };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog));
    const d = await startDaemon(GH, dir, {
      env: { ...process.env, GH_SQL_SECRET: SECRET },
      config: {
        policy: [join(repo, 'policies/authz')],
        auth: { audiences: ['orders-db'], subject: { tenant: 'tenant', roles: 'roles' },
          issuers: [{ issuer: 'test-idp', hmac_secret: { env: 'GH_SQL_SECRET' }, algorithms: ['HS256'] }] },
        listeners: [{ name: 'db', kind: 'sql_rds', addr: '127.0.0.1:0', postgres: `host=${dir} dbname=postgres user=${pgUser}`,
          catalog_file: join(dir, 'catalog.json'), tenant_column: 'tenant_id', pool_size: 2,
          connector: { name: 'db', kind: 'sql', dialect: 'postgres', instance: 'inst-a' } }],
      },
    });
    const port = d.portOf('db');
    const tok = token({ sub: 'ann', tenant: 'acme', roles: ['analyst'] });
    await client.query('SET search_path = oracle');

    await test(`sql-random-1 ${COUNT} generated SELECTs agree with the oracle (seed ${SEED})`, async () => {
      let allowed = 0, denied = 0, rowsSeen = 0;
      const again = []; // statements sent a second time: answered from remembered plans
      for (let i = 0; i < COUNT + Math.min(300, COUNT); i++) {
        const sql = i < COUNT ? statement() : again[i - COUNT];
        if (i < 300) again.push(sql);
        let oracle;
        try {
          oracle = { rows: (await client.query({ text: sql, rowMode: 'array' })).rows };
        } catch (e) {
          oracle = { error: e.message };
        }
        const res = await fetch(`http://127.0.0.1:${port}/Execute`, {
          method: 'POST', headers: { authorization: `Bearer ${tok}` }, body: JSON.stringify({ sql }),
        });
        const body = await res.json();
        const got = res.status === 200 ? body.records.map((rec) => rec.map((f) => ('isNull' in f ? null : Object.values(f)[0]))) : null;
        if (oracle.error) {
          assert.notEqual(res.status, 200, `#${i} ${sql}\n  the oracle fails (${oracle.error}) but gatehouse answered ${JSON.stringify(got)}`);
          denied++;
        } else {
          assert.equal(res.status, 200, `#${i} ${sql}\n  the oracle answers ${oracle.rows.length} rows but gatehouse said ${res.status} ${JSON.stringify(body)}`);
          assert.deepEqual(canon(got), canon(oracle.rows), `#${i} ${sql}`);
          allowed++;
          rowsSeen += got.length;
        }
      }
      console.log(`     (${allowed} answered with the oracle's rows, ${rowsSeen} rows in all; ${denied} denied where the oracle fails)`);
      assert.ok(allowed > COUNT / 2 && denied > 0, 'the generator should exercise both outcomes');
    });
    d.proc.kill('SIGTERM');
    await d.exited;
  } finally {
    await client.end().catch(() => {});
    stopCluster(dir);
  }
  done(() => rmSync(dir, { recursive: true, force: true }));
}

main().catch((e) => {
  console.error(e);
  stopCluster(dir);
  process.exit(1);
});
