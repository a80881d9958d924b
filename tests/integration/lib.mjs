// Shared by the integration tests: start `gatehouse run` on 127.0.0.1 (ports picked by the
// daemon and read back from its "listening" log lines), and a tiny test runner that prints
// one line per case and a summary; HS256 bearer tokens for the tests' issuers.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A test CA (dir/ca.pem) and a certificate it signs for the server (dir/NAME.pem and .key),
// common name cn, subjectAltName san ("IP:127.0.0.1,DNS:localhost"), valid two days.
export function makeTestCerts(dir, name, cn, san) {
  const openssl = (...args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=gatehouse test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'san.ext', '-out', `${name}.pem`);
}

// A JWT signed with HS256 under secret, carrying exactly these claims.
export function hs256Token(secret, claims) {
  const b64u = (x) => Buffer.from(x).toString('base64url');
  const h = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const p = b64u(JSON.stringify(claims));
  return `${h}.${p}.${b64u(crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest())}`;
}

// Starts the daemon with `run --addr 127.0.0.1:0 -w 2`, the config (written into dir) and
// extra arguments. Resolves once every listener has logged its address:
// {proc, port (the Data API's), portOf(name), exited (a promise of {code, sig}), log(), out()}.
export async function startDaemon(gh, dir, { config = null, args = [], env = process.env } = {}) {
  const argv = ['run', '--addr', '127.0.0.1:0', '--workers', '2'];
  if (config) {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(config));
    argv.push('-c', path);
  }
  argv.push(...args);
  const proc = spawn(gh, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  let stdout = '';
  proc.stderr.on('data', (d) => (stderr += d));
  proc.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((r) => proc.on('exit', (code, sig) => r({ code, sig })));
  const portOf = (name) => {
    const re = new RegExp(`"listener":"${name}","kind":"[a-z_]+","addr":"127\\.0\\.0\\.1:(\\d+)"`);
    return +(stderr.match(re) || [])[1];
  };
  const names = ['api', ...((config && config.listeners) || []).map((l) => l.name)];
  for (let i = 0; i < 200; i++) {
    if (names.every((n) => portOf(n))) {
      return { proc, port: portOf('api'), portOf, exited, log: () => stderr, out: () => stdout };
    }
    if (proc.exitCode !== null) break;
    await sleep(25);
  }
  proc.kill('SIGKILL');
  throw new Error(`daemon did not start:\n${stderr}`);
}

// test(name, fn) runs one case; done() prints "n/m passed" and exits 1 on any failure.
export function runner() {
  const results = [];
  return {
    async test(name, fn) {
      const t0 = Date.now();
      try {
        await fn();
        results.push(true);
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        results.push(false);
        console.log(`FAIL ${name}\n     ${String(e.stack || e).split('\n').slice(0, 6).join('\n     ')}`);
      }
    },
    done(cleanup) {
      const failed = results.filter((ok) => !ok).length;
      console.log(`\n${results.length - failed}/${results.length} passed`);
      if (cleanup) cleanup();
      process.exit(failed ? 1 : 0);
    },
  };
}
