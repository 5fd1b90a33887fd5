// Compiles the service once per test run for the tests that run it as a process of its own
// (kill -9). tsc keeps decorator metadata, which Nest's injection needs; incremental, so a run
// with nothing changed costs a few seconds. Also builds the pages of web/ into dist/web, which
// every test app serves (the account page at /account, GraphiQL at /graphiql) and the browser
// tests load.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export default function buildService() {
  // The unit tier alone needs no compiled service: it runs in seconds without this step (tsc
  // alone took seven). Jest's global config does not carry --selectProjects, so it is read from
  // the command line, as jest.config.js reads it.
  const projects = selectedProjects();
  if (projects.length > 0 && projects.every((project) => project === 'unit')) return;
  const root = join(import.meta.dirname, '..', '..');
  // tsc still emits when the types are wrong; the tests judge behaviour and `npm run typecheck`
  // (run by .ci/run before the tests) judges types, so a type error here is a warning.
  try {
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p', join(root, 'tsconfig.build.json'),
        '--outDir', join(root, '.build', 'service'),
        '--incremental', '--tsBuildInfoFile', join(root, '.build', 'service.tsbuildinfo'),
        '--sourceMap', 'false',
      ],
      { cwd: root, stdio: 'inherit' },
    );
  } catch {
    console.warn('build-service: tsc reported type errors (above); the compiled service may not match the sources.');
  }
  buildAccountPage(root);
}

function selectedProjects() {
  const at = process.argv.indexOf('--selectProjects');
  if (at < 0) return [];
  const names = [];
  for (const arg of process.argv.slice(at + 1)) {
    if (arg.startsWith('-')) break;
    names.push(arg);
  }
  return names;
}

/** The newest modification time under these files and folders. */
function newest(paths) {
  let latest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      latest = Math.max(latest, newest(readdirSync(path).map((name) => join(path, name))));
    } else {
      latest = Math.max(latest, stat.mtimeMs);
    }
  }
  return latest;
}

/**
 * About fifteen seconds (GraphiQL's editor is most of it), and skipped when nothing it is built
 * from changed. The build goes to a folder of its own and then replaces dist/web in one rename, so
 * that another test run or a running service never sees a page half written.
 */
function buildAccountPage(root) {
  const target = join(root, 'dist', 'web');
  const sources = [join(root, 'web'), join(root, 'client', 'src'), join(root, 'package-lock.json')];
  // Both pages of web/vite.config.ts: a dist/web from before the explorer existed is rebuilt.
  const built = ['account', 'graphiql'].map((page) => join(target, page, 'index.html'));
  const sourcesChanged = newest(sources);
  if (built.every((page) => existsSync(page) && statSync(page).mtimeMs > sourcesChanged)) return;

  const staging = join(root, '.build', `web-${process.pid}`);
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build',
      '--config', join(root, 'web', 'vite.config.ts'),
      '--outDir', staging, '--emptyOutDir',
    ],
    // Jest sets NODE_ENV=test, which would bundle React's development build.
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  mkdirSync(dirname(target), { recursive: true });
  const previous = `${target}.previous-${process.pid}`;
  if (existsSync(target)) renameSync(target, previous);
  renameSync(staging, target);
  rmSync(previous, { recursive: true, force: true });
}
