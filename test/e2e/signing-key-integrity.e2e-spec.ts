import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, SignJWT, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import { createTesseraApp, type TesseraApp } from '../../src/app.factory.js';
import { DataCipher } from '../../src/common/data-cipher.js';
import { loadConfig } from '../../src/config/app-config.js';
import { TokenKeyStore } from '../../src/modules/token/domain/token-key-store.js';
import { login, registerUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { ManualClock, MINUTE } from '../helpers/manual-clock.js';
import { ME } from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { builtService, freePort, ServiceProcess } from '../helpers/service-process.js';
import { createRestartableTestDatabase } from '../helpers/test-database.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** A database that outlives one app, so the service can be restarted on what an attacker left in it. */
interface Deployment {
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

async function deployment(): Promise<Deployment> {
  const database = await createRestartableTestDatabase();
  return { env: { ...database.env, DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64') }, dispose: () => database.drop() };
}

interface Running {
  readonly tessera: TesseraApp;
  readonly graphql: GraphQLTestClient;
  readonly baseUrl: string;
  readonly db: DataSource;
  /** Every log line this instance wrote, parsed. */
  readonly logs: { level: number; msg: string }[];
  readonly rawLogs: string[];
  published(): Promise<string[]>;
}

const started: Running[] = [];

async function startOn(target: Deployment, clock: ManualClock): Promise<Running> {
  const logs: Running['logs'] = [];
  const rawLogs: string[] = [];
  const capture = new PassThrough();
  capture.on('data', (chunk: Buffer) => {
    for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
      rawLogs.push(text);
      logs.push(JSON.parse(text) as Running['logs'][number]);
    }
  });
  const tessera = await createTesseraApp(loadConfig({ LOG_LEVEL: 'info', ...target.env }), { clock, logDestination: capture });
  await tessera.app.listen(0, '127.0.0.1');
  const { port } = tessera.app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const running: Running = {
    tessera,
    baseUrl,
    graphql: new GraphQLTestClient(`${baseUrl}/graphql`),
    db: tessera.app.get(DataSource),
    logs,
    rawLogs,
    published: async () => ((await rest(baseUrl, 'GET', '/.well-known/jwks.json')).body.keys as { kid: string }[]).map((key) => key.kid),
  };
  started.push(running);
  return running;
}

async function stop(running: Running): Promise<void> {
  started.splice(started.indexOf(running), 1);
  await running.tessera.close();
}

/** An attacker's own RSA key, named by its true RFC 7638 thumbprint as a genuine row would be. */
interface AttackerKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: { kty: string; n: string; e: string };
  readonly pkcs8: Buffer;
}

async function attackerKey(): Promise<AttackerKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { kty, n, e } = publicKey.export({ format: 'jwk' }) as Required<Pick<JWK, 'kty' | 'n' | 'e'>>;
  const publicJwk = { kty, n, e };
  return {
    kid: await calculateJwkThumbprint(publicJwk, 'sha256'),
    privateKey,
    publicJwk,
    pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }),
  };
}

/** What someone with write access to the database, but not DATA_ENCRYPTION_KEY, can add. */
async function insertRow(
  db: DataSource,
  key: AttackerKey,
  ciphertext: Buffer,
  times: { activatedAt: Date; retiredAt: Date | null },
): Promise<void> {
  await db.query(
    `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_ciphertext, created_at, activated_at, retired_at)
     VALUES ($1, 'RS256', $2, $3, $4, $4, $5)`,
    [key.kid, JSON.stringify(key.publicJwk), ciphertext, times.activatedAt, times.retiredAt],
  );
}

/** A well-formed ciphertext of the attacker's key with the right associated data, under a key that is not the deployment's. */
const wronglyKeyed = (key: AttackerKey) => new DataCipher(randomBytes(32)).encrypt(key.pkcs8, `signing-key:${key.kid}`);

/** The claims of a real token (issuer, audience, a live session), signed with another key under the given kid. */
async function forgeLike(genuine: string, signer: KeyObject, kid: string): Promise<string> {
  const claims = decodeJwt(genuine);
  return new SignJWT({ ...claims, jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(signer);
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
const refusalsOf = (running: Running, kid: string) => running.logs.filter((line) => line.level === 50 && line.msg.includes(kid));

describe('signing keys written into the database by someone else', () => {
  const disposals: Deployment[] = [];
  const newDeployment = async () => {
    const target = await deployment();
    disposals.push(target);
    return target;
  };
  afterEach(async () => {
    for (const running of started.splice(0)) await running.tessera.close();
    for (const target of disposals.splice(0)) await target.dispose();
  });

  it('refuses tokens signed with an inserted key, never publishes it, and logs it once without key material', async () => {
    const target = await newDeployment();
    const clock = new ManualClock();
    const first = await startOn(target, clock);
    const user = await registerUser(first.graphql);
    const { tokens } = await login(first.graphql, user);
    const realKid = kidOf(tokens.accessToken);

    // Retired a moment ago, so that a store trusting the row would still verify with it.
    const garbled = await attackerKey();
    const foreign = await attackerKey();
    const garbage = randomBytes(1300);
    await insertRow(first.db, garbled, garbage, { activatedAt: clock.now(), retiredAt: clock.now() });
    await insertRow(first.db, foreign, wronglyKeyed(foreign), { activatedAt: clock.now(), retiredAt: clock.now() });
    await stop(first);

    const second = await startOn(target, clock);
    for (const key of [garbled, foreign]) {
      const forged = await forgeLike(tokens.accessToken, key.privateKey, key.kid);
      expect(await second.graphql.errorCode(ME, {}, forged)).toBe('UNAUTHENTICATED');
    }
    await expect(second.graphql.data(ME, {}, tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
    expect(await second.published()).toEqual([realKid]);

    // A row that appears while the service runs is refused on the next re-read just the same.
    const late = await attackerKey();
    await insertRow(second.db, late, wronglyKeyed(late), { activatedAt: clock.now(), retiredAt: clock.now() });
    const store = second.tessera.app.get(TokenKeyStore);
    await store.reload();
    expect(await second.graphql.errorCode(ME, {}, await forgeLike(tokens.accessToken, late.privateKey, late.kid))).toBe('UNAUTHENTICATED');
    expect(await second.published()).toEqual([realKid]);

    await store.reload();
    for (const key of [garbled, foreign, late]) expect(refusalsOf(second, key.kid)).toHaveLength(1);
    const everything = second.rawLogs.join('\n');
    for (const material of [
      garbled.publicJwk.n,
      foreign.publicJwk.n,
      late.publicJwk.n,
      garbage.toString('base64'),
      garbage.toString('hex'),
    ]) {
      expect(everything).not.toContain(material);
    }
  });

  it('keeps signing with its own key when an inserted row claims to be the newest active key, and keys:rotate replaces it', async () => {
    const target = await newDeployment();
    const clock = new ManualClock();
    const first = await startOn(target, clock);
    const user = await registerUser(first.graphql);
    const before = await login(first.graphql, user);
    const realKid = kidOf(before.tokens.accessToken);
    const impostor = await attackerKey();
    await insertRow(first.db, impostor, wronglyKeyed(impostor), { activatedAt: new Date(clock.now().getTime() + MINUTE), retiredAt: null });
    await stop(first);

    const second = await startOn(target, clock);
    const after = await login(second.graphql, user);
    expect(kidOf(after.tokens.accessToken)).toBe(realKid);
    expect(await second.published()).toEqual([realKid]);
    expect(await second.graphql.errorCode(ME, {}, await forgeLike(after.tokens.accessToken, impostor.privateKey, impostor.kid))).toBe(
      'UNAUTHENTICATED',
    );
    await stop(second);

    // `npm run keys:rotate` is this compiled script after a build.
    const script = join(builtService(), '..', 'scripts', 'rotate-signing-key.js');
    const rotation = await run(process.execPath, [script], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...target.env },
    });
    const newKid = /active signing key is now (\S+);/.exec(rotation.stdout)?.[1];
    expect(newKid).toBeDefined();
    expect([realKid, impostor.kid]).not.toContain(newKid);

    const third = await startOn(target, clock);
    expect(kidOf((await login(third.graphql, user)).tokens.accessToken)).toBe(newKid);
    expect(await third.published()).toEqual([newKid, realKid]);
    await expect(third.graphql.data(ME, {}, before.tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
  });

  it('refuses tokens made with a public key swapped into a real key’s row, and stops using that row', async () => {
    const target = await newDeployment();
    const clock = new ManualClock();
    const first = await startOn(target, clock);
    const user = await registerUser(first.graphql);
    const old = await login(first.graphql, user);
    const oldKid = kidOf(old.tokens.accessToken);
    const newKid = await first.tessera.app.get(TokenKeyStore).rotate();
    const swapped = await attackerKey();
    await first.db.query(`UPDATE signing_keys SET public_jwk = $2 WHERE kid = $1`, [oldKid, JSON.stringify(swapped.publicJwk)]);
    await stop(first);

    const second = await startOn(target, clock);
    expect(await second.graphql.errorCode(ME, {}, await forgeLike(old.tokens.accessToken, swapped.privateKey, oldKid))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await second.published()).toEqual([newKid]);
    const renewed = await login(second.graphql, user);
    expect(kidOf(renewed.tokens.accessToken)).toBe(newKid);
    await expect(second.graphql.data(ME, {}, renewed.tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
    expect(refusalsOf(second, oldKid)).toHaveLength(1);
  });

  it('refuses to start, saying which key and why, when the active key’s public key was swapped', async () => {
    const target = await newDeployment();
    const clock = new ManualClock();
    const first = await startOn(target, clock);
    const { tokens } = await login(first.graphql, await registerUser(first.graphql));
    const activeKid = kidOf(tokens.accessToken);
    const swapped = await attackerKey();
    await first.db.query(`UPDATE signing_keys SET public_jwk = $2 WHERE kid = $1`, [activeKid, JSON.stringify(swapped.publicJwk)]);
    await stop(first);

    const service = new ServiceProcess(builtService(), target.env, await freePort());
    try {
      await expect(service.start()).rejects.toThrow(/The service exited/);
    } finally {
      await service.stop();
    }
    expect(service.output).toContain('Tessera failed to start: No trustworthy signing key');
    expect(service.output).toContain(activeKid);
    expect(service.output).toContain('DATA_ENCRYPTION_KEY');
    expect(service.output).not.toContain(swapped.publicJwk.n);
  });
});
