// Compiles the service once per test run for the tests that run it as a process of its own
// (kill -9). tsc keeps decorator metadata, which Nest's injection needs; incremental, so a run
// with nothing changed costs a few seconds.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function buildService() {
  const root = join(import.meta.dirname, '..', '..');
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
}
