// A throwaway PostgreSQL cluster for the SQL integration tests: Debian's postgresql 15,
// initdb into a temp dir, a unix socket there, no TCP. initdb refuses to run as root, so
// then the cluster belongs to the postgres user.
import { spawnSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const PGBIN = '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid && process.getuid() === 0;
export const pgUser = asRoot ? 'postgres' : process.env.USER || 'postgres';

// Exits 77 (ctest's "skipped") when PostgreSQL is not installed.
export function requirePostgres() {
  if (!existsSync(`${PGBIN}/initdb`)) {
    console.log(`skipped: ${PGBIN}/initdb not found (apt-get install postgresql)`);
    process.exit(77);
  }
}

function pgRun(cmd, args) {
  const full = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(full[0], full[1], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

// Starts a cluster in dir (its socket there too); returns the libpq conninfo.
export function startPostgres(dir) {
  if (asRoot) {
    const id = (f) => +spawnSync('id', [f, 'postgres'], { encoding: 'utf8' }).stdout;
    chownSync(dir, id('-u'), id('-g'));
    chmodSync(dir, 0o755);
  }
  pgRun(`${PGBIN}/initdb`, ['-D', join(dir, 'data'), '-U', pgUser, '--auth=trust', '-E', 'UTF8', '--no-sync']);
  pgRun(`${PGBIN}/pg_ctl`, ['-D', join(dir, 'data'), '-w', '-l', join(dir, 'pg.log'), '-o',
    `-k ${dir} -c listen_addresses= -c fsync=off -c max_connections=50`, 'start']);
  return `host=${dir} dbname=postgres user=${pgUser}`;
}

export function stopPostgres(dir) {
  try { pgRun(`${PGBIN}/pg_ctl`, ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']); } catch { /* gone */ }
}

// Runs SQL with psql (ON_ERROR_STOP); throws with its message.
export function psql(dir, sql) {
  const r = spawnSync('psql', ['-h', dir, '-U', pgUser, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
}

// One value (-At) of a query.
export function psqlValue(dir, sql) {
  return spawnSync('psql', ['-h', dir, '-U', pgUser, '-d', 'postgres', '-At', '-c', sql], { encoding: 'utf8' }).stdout.trim();
}
