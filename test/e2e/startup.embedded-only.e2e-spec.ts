import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const root = join(import.meta.dirname, '..', '..');

/** Runs `src/main.ts` as an operator would run the service, and returns how it ended. */
function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'main.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('start-up configuration', () => {
  it('refuses to start in production without explicit secrets and issuer', async () => {
    const { code, stderr } = await start({ NODE_ENV: 'production', DATA_DIR: 'memory://' });
    expect(code).toBe(1);
    expect(stderr).toContain('JWT_ISSUER and JWT_AUDIENCE must be set explicitly');
    expect(stderr).toContain('DATA_ENCRYPTION_KEY is required');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['ACCESS_TOKEN_TTL', '5m', '15m–60m'],
    ['REFRESH_TOKEN_TTL', '90d', '7d–30d'],
  ])('refuses to start with %s=%s, in one line naming the variable and %s', async (name, value, range) => {
    const { code, stderr, stdout } = await start({ [name]: value, DATA_DIR: 'memory://' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([`Invalid configuration: ${name}=${value} is out of bounds; allowed ${range}`]);
  });
});
