// Runs before Jest (npm's pretest and pretest:embedded): makes sure what the tests need is there,
// or stops in one line that says what is missing and the command that fixes it. Without it a fresh
// machine fails file by file, a screen of stack traces per suite.
//   node test/setup/preflight.js            the whole run: Chromium, PostgreSQL and Redis
//   node test/setup/preflight.js --embedded the embedded run: Chromium only
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
const INSTALL_CHROMIUM = 'apt-get update && apt-get install -y chromium fonts-dejavu-core';
const TRY_EMBEDDED = 'or run `npm run test:embedded` to test without PostgreSQL and Redis';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Debian's chromium, installed the way .ci/run does when we may install packages. */
function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;
  if (isExecutable(path)) return null;
  if (process.env.CHROMIUM_PATH) {
    return `CHROMIUM_PATH is ${path}, which is not an executable file: point it at a Chromium binary, or unset it to use Debian's ${DEFAULT_CHROMIUM_PATH}.`;
  }
  const asRoot = process.getuid?.() === 0;
  const withSudo = !asRoot && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!onPath('apt-get') || (!asRoot && !withSudo)) {
    return `The account page's browser tests need Chromium at ${path}: run \`sudo sh -c '${INSTALL_CHROMIUM}'\` (or set CHROMIUM_PATH to a Chromium binary).`;
  }
  console.log(`preflight: Chromium is missing; installing Debian's chromium package (${INSTALL_CHROMIUM})`);
  const aptGet = (...args) => {
    const command = [...(asRoot ? [] : ['sudo', '-n']), 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
    execFileSync(command[0], command.slice(1), { stdio: 'inherit' });
  };
  try {
    aptGet('update', '-q');
    aptGet('install', '-y', '-q', 'chromium', 'fonts-dejavu-core');
  } catch {
    return `Installing Chromium failed (see above): run \`sudo sh -c '${INSTALL_CHROMIUM}'\` yourself, or set CHROMIUM_PATH.`;
  }
  return isExecutable(path) ? null : `Chromium was installed but ${path} is still missing: set CHROMIUM_PATH to its binary.`;
}

async function checkPostgres() {
  const url = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL is not reachable at ${url} (${error.message}): start it, set TEST_POSTGRES_URL, ${TRY_EMBEDDED}.`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** One PING over a plain socket: enough to know a Redis server answers, without a client library. */
function checkRedis() {
  const url = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const problem = (why) => `Redis is not reachable at ${url.href} (${why}): start it, set TEST_REDIS_URL, ${TRY_EMBEDDED}.`;
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(3000, () => done(problem('no answer within 3 s')));
    socket.on('error', (error) => done(problem(error.code ?? error.message)));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      const reply = data.toString();
      // +PONG, or -NOAUTH when a password is needed (the tests' URL carries it): either way a server answers.
      done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH') ? null : problem(`unexpected reply ${JSON.stringify(reply.trim())}`));
    });
  });
}

async function main() {
  const embeddedOnly = process.argv.includes('--embedded');
  const services = embeddedOnly ? [] : [await checkPostgres(), await checkRedis()];
  // Installing Chromium takes a minute: not worth it when the run cannot start anyway.
  const missing = services.some(Boolean)
    ? [...services, isExecutable(process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH) ? null : `Chromium is missing at ${process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH} too; npm test installs it once the above are up.`]
    : [ensureChromium()];
  const problems = missing.filter(Boolean);
  if (problems.length === 0) return;
  for (const line of problems) console.error(`npm test cannot start: ${line}`);
  process.exit(1);
}

await main();
