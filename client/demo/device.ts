/**
 * A device in a terminal: logs in (or picks up its stored session), prints the user's session
 * events as they happen and keeps itself signed in. Run it in two terminals with different
 * --name values and watch them sync; revoke one from the other and watch it sign out.
 *
 *   npx tsx client/demo/device.ts --email alice@example.com --password '…' --name laptop [--register]
 *
 * Type a command (revoke, trust, rename, remove, logout…; Enter lists the sessions); typing
 * counts as using the app. With --idle the demo does not otherwise pretend to be used, so the
 * service's idle timeout ends its session.
 *
 * The device is bound (DPoP, RFC 9449): its key is a P-256 key in `device-key.jwk` (mode 0600)
 * in its state directory (~/.tessera-demo/<email>--<name>/), made on the first run. A copy of
 * its session file is useless without that key, and step-up asks for no password.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  EncryptedFileTokenStore,
  FileDeviceKey,
  isReauthenticationRequired,
  jwkThumbprint,
  SessionClient,
  SessionSync,
  TesseraError,
  type Session,
  type SessionEvent,
} from '../src/node.js';

const COMMANDS =
  'commands: Enter or "list", "revoke <id prefix>", "revoke-others", "trust <id prefix>", "untrust <id prefix>", ' +
  '"rename <id prefix> <name>", "remove <id prefix>", "sign-out-everywhere", "logout"';
const USAGE = `usage: npm run demo:device -- --email <email> [--password <password>] [--name <device name>]
       [--url http://127.0.0.1:3000] [--register] [--idle] [--logout-on-exit] [--state-dir <dir>]`;

const { values: args } = parseArgs({
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string', default: `${hostname()} terminal` },
    url: { type: 'string', default: process.env.TESSERA_URL ?? 'http://127.0.0.1:3000' },
    register: { type: 'boolean', default: false },
    idle: { type: 'boolean', default: false },
    'logout-on-exit': { type: 'boolean', default: false },
    'state-dir': { type: 'string', default: join(homedir(), '.tessera-demo') },
    help: { type: 'boolean', default: false },
  },
});

/** How often the demo "touches" the app when not --idle: well inside the 80 % refresh margin. */
const SIMULATED_USE_INTERVAL_MS = 60_000;

async function main(): Promise<void> {
  if (args.help || !args.email) {
    console.log(USAGE);
    process.exit(args.help ? 0 : 2);
  }
  const install = await installState(args['state-dir'], args.email, args.name);
  const deviceKey = new FileDeviceKey({ path: install.deviceKeyFile });
  const client = new SessionClient({
    url: args.url,
    store: new EncryptedFileTokenStore({ path: install.sessionFile, key: install.key }),
    deviceKey,
  });
  const sync = new SessionSync({ client, webSocketImpl: WebSocket });

  client.onSignedOut((reason) => {
    say(`signed out (${reason}); the stored session is gone`);
    void sync.stop().finally(() => process.exit(0));
  });
  client.refresher.onRefreshed((info) => say(`access token renewed, valid until ${time(info.accessTokenExpiresAt)}`));

  if (await client.restore()) {
    say(`restored the stored session ${short(client.currentSessionId)}`);
  } else {
    await logIn(client, install.deviceId);
  }
  const thumbprint = await jwkThumbprint(await deviceKey.publicJwk());
  say(
    client.deviceBound
      ? `bound to the device key ${thumbprint.slice(0, 8)} in ${install.deviceKeyFile}`
      : 'not bound to a device key (a session from before the key): logout and run again to bind it',
  );

  sync.onEvent((event) => say(describeEvent(event)));
  sync.onChange((sessions) => printSessions(sessions));
  await sync.start();
  say(`watching ${args.email}'s sessions as "${args.name}"; Ctrl-C quits`);
  say(COMMANDS);

  if (!args.idle) setInterval(() => client.refresher.noteActivity(), SIMULATED_USE_INTERVAL_MS);
  createInterface({ input: process.stdin }).on('line', (line) => {
    client.refresher.noteActivity(); // a person typing is a person using the app
    void runCommand(client, sync, line.trim()).catch((error: unknown) => say(`failed: ${errorText(error)}`));
  });
  process.on('SIGINT', () => void quit(client, sync));
}

/** What a person can do from the terminal, on the session whose id starts with the prefix they type. */
async function runCommand(client: SessionClient, sync: SessionSync, line: string): Promise<void> {
  const [command, prefix = '', ...rest] = line.split(/\s+/);
  const session = () => {
    const found = sync.sessions.filter((candidate) => prefix && candidate.id.startsWith(prefix));
    if (found.length !== 1) throw new Error(`no single session starts with "${prefix}"`);
    return found[0]!;
  };
  switch (command ?? '') {
    case '':
    case 'list':
      return printSessions(sync.sessions);
    case 'revoke':
      await client.revokeSession(session().id);
      return;
    case 'revoke-others':
      say(`ended ${await client.revokeAllSessions({ exceptCurrent: true })} other session(s)`);
      return;
    case 'trust':
      await withStepUp(client, () => client.trustDevice(session().device.id));
      return;
    case 'untrust':
      await client.untrustDevice(session().device.id);
      return;
    case 'rename':
      await client.renameDevice(session().device.id, rest.join(' '));
      return;
    case 'remove':
      await withStepUp(client, () => client.removeDevice(session().device.id));
      return;
    case 'sign-out-everywhere':
      await withStepUp(client, () => client.signOutEverywhere());
      return;
    case 'logout':
      await client.logout();
      return;
    default:
      say(COMMANDS);
  }
}

/**
 * A sensitive operation (trusting or removing a device, signing out everywhere) once the login is
 * older than the service's REAUTHENTICATION_MAX_AGE: a bound device answers the step-up with its
 * key (a phone would show Face ID first), an unbound one with the --password it was given, where
 * an app would ask the person; then the operation goes again.
 */
async function withStepUp<T>(client: SessionClient, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!isReauthenticationRequired(error)) throw error;
    if (client.deviceBound) {
      say('the service asks for a fresh proof; confirming with the device key');
      await client.reauthenticateWithDeviceKey();
      return operation();
    }
    if (!args.password) throw new Error('the service asks for the password again: start the demo with --password', { cause: error });
    say('the service asks for the password again; confirming with --password');
    await client.reauthenticate(args.password);
    return operation();
  }
}

async function logIn(client: SessionClient, deviceId: string): Promise<void> {
  if (!args.password) throw new Error('No stored session: pass --password to log in.');
  const credentials = { email: args.email!, password: args.password };
  const device = {
    deviceId,
    type: 'DESKTOP' as const,
    name: args.name,
    model: process.platform,
    osVersion: process.version,
    appVersion: 'demo-0.1.0',
  };
  try {
    const { session } = await client.login({ ...credentials, device });
    say(`logged in: session ${short(session.id)}`);
  } catch (error) {
    if (!(args.register && error instanceof TesseraError && error.code === 'INVALID_CREDENTIALS')) throw error;
    await client.register(credentials);
    say(`registered ${credentials.email}`);
    const { session } = await client.login({ ...credentials, device });
    say(`logged in: session ${short(session.id)}`);
  }
}

async function quit(client: SessionClient, sync: SessionSync): Promise<void> {
  await sync.stop();
  if (args['logout-on-exit']) await client.logout();
  else say('stopped; the session stays stored for the next run (--logout-on-exit ends it)');
  client.close();
  process.exit(0);
}

/** One directory per account and device name: its install id (as a phone keeps in its Keychain), the keys, the sealed session. */
async function installState(stateDir: string, email: string, name: string) {
  const directory = join(stateDir, `${slug(email)}--${slug(name)}`);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const deviceId = await readOrCreate(join(directory, 'device-id'), () => Buffer.from(randomUUID()));
  // A real desktop app would keep this key in the OS keyring, not beside the file it opens.
  const key = await readOrCreate(join(directory, 'session.key'), () => randomBytes(32));
  return {
    deviceId: deviceId.toString('utf8'),
    key,
    sessionFile: join(directory, 'session.bin'),
    // The device key (DPoP) that FileDeviceKey makes on first use; a phone keeps it in the Secure Enclave.
    deviceKeyFile: join(directory, 'device-key.jwk'),
  };
}

async function readOrCreate(path: string, create: () => Buffer): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const value = create();
    await writeFile(path, value, { mode: 0o600, flag: 'wx' });
    return value;
  }
}

function describeEvent(event: SessionEvent): string {
  const subject = event.session
    ? `session ${short(event.session.id)} on ${event.session.device.name ?? event.session.device.type}${event.session.current ? ' (this device)' : ''}`
    : event.device
      ? `device ${event.device.name ?? event.device.id}`
      : event.alert
        ? `${event.alert.severity} alert ${event.alert.type}: ${event.alert.message}`
        : (event.sessionId ?? '');
  const reason = event.session?.endReason ? ` (${event.session.endReason})` : '';
  return `event v${event.version} ${event.type}: ${subject}${reason}`;
}

function printSessions(sessions: readonly Session[]): void {
  console.log(`  ${sessions.length} active session(s):`);
  for (const session of sessions) {
    const device = session.device;
    console.log(
      `  ${session.current ? '*' : ' '} ${short(session.id)}  ${(device.name ?? device.type).padEnd(24)} ${device.trusted ? 'trusted ' : '        '}` +
        ` last active ${time(new Date(session.lastActivityAt))}, idle out ${time(new Date(session.idleExpiresAt))}`,
    );
  }
}

const say = (line: string) => console.log(`[${time(new Date())}] ${line}`);
const time = (date: Date) => date.toLocaleTimeString();
const short = (id: string | null) => (id ?? '-').slice(0, 8);
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'default';

function errorText(error: unknown): string {
  return error instanceof TesseraError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

main().catch((error: unknown) => {
  console.error(errorText(error));
  process.exit(1);
});
