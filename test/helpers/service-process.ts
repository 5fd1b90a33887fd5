import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The service compiled by Jest's global setup (test/setup/build-service.js). */
export function builtService(): string {
  return join(root, '.build', 'service', 'src', 'main.js');
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The service as its own process, the way an operator runs it, so that a test can kill -9 it. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    private readonly mainJs: string,
    private readonly env: Record<string, string>,
    readonly port: number,
    /** Flags for node itself, before the script (the bench's --inspect, say). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process's id while it runs (the bench reads its CPU time from /proc). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  private get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    this.child = spawn(process.execPath, [...this.nodeArgs, this.mainJs], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', PORT: String(this.port), LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (!this.running) throw new Error(`The service exited: ${this.output}`);
      try {
        if ((await fetch(`${this.baseUrl}/health/ready`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The service did not become ready within ${timeoutMs} ms: ${this.output}`);
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed on the way out. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
