import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { JwtModule } from '@nestjs/jwt';
import { AuthGuard } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { ManualClock, MINUTE, SECOND } from '../../../../test/helpers/manual-clock.js';
import { Clock } from '../../../common/clock.js';
import { DomainError } from '../../../common/domain-error.js';
import { Public } from '../../../common/public.decorator.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { toClientError } from '../../../graphql/client-error.js';
import type { AuthenticatedRequest, GraphQLRequestContext, SessionConnection } from '../../../graphql/request-context.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { Role } from '../../../kernel/role.js';
import { TokenKeyStore } from '../../token/domain/token-key-store.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../domain/session-authenticator.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';
import { DpopNonces } from '../../token/domain/dpop-nonces.js';
import { DpopProofVerifier } from '../../token/domain/dpop-proof-verifier.js';
import { InMemoryAppSecretRepository } from '../../../../test/unit/in-memory-app-secret-repository.js';
import { InMemoryDatabase } from '../../../../test/unit/in-memory-database.js';
import { DeviceKeyProofs } from './device-key-proofs.js';
import { TokenGuard } from './token.guard.js';
import { TokenStrategy } from './token.strategy.js';

const config = loadConfig({});

/** Handlers are only looked at for their metadata, never called. */
class Routes {
  @Public()
  open(this: void): void {}

  guarded(this: void): void {}
}

// Made once per file: an RSA key takes a tenth of a second or more to make, and every test builds an app.
const [ourKey, otherKey] = [0, 1].map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);

/** One Tessera as far as the guard is concerned: its own key, clock, verifier and session check. */
async function buildApp(privateKey: KeyObject = ourKey) {
  const kid = randomUUID();
  const keys = {
    signingKey: { kid, privateKey },
    verificationKey: (asked: string): Promise<KeyObject | undefined> =>
      Promise.resolve(asked === kid ? createPublicKey(privateKey) : undefined),
  };
  const clock = new ManualClock();
  const assertActive = jest.fn((claims: AccessTokenClaims) => Promise.resolve(claims));
  const moduleRef = await Test.createTestingModule({
    imports: [JwtModule.register({})],
    providers: [
      TokenSigner,
      TokenVerifier,
      TokenStrategy,
      TokenGuard,
      { provide: TokenKeyStore, useValue: keys },
      { provide: Clock, useValue: clock },
      { provide: APP_CONFIG, useValue: config },
      { provide: SessionAuthenticator, useValue: { assertActive } },
      // The real DPoP proof check, which a bearer token never reaches.
      DeviceKeyProofs,
      DpopProofVerifier,
      DpopNonces,
      { provide: AppSecretRepository, useValue: new InMemoryAppSecretRepository(new InMemoryDatabase()) },
    ],
  }).compile();
  const signer = moduleRef.get(TokenSigner);
  return {
    clock,
    assertActive,
    guard: moduleRef.get(TokenGuard),
    verifier: moduleRef.get(TokenVerifier),
    mint: async (userId: string = randomUUID()) =>
      (
        await signer.sign({
          userId,
          sessionId: randomUUID(),
          roles: [Role.USER],
          generation: 0,
          authenticatedAt: new Date(),
          authenticationMethod: 'pwd',
          deviceKeyThumbprint: null,
        })
      ).token,
  };
}

const requestWith = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as AuthenticatedRequest;
const overHttp = (request: AuthenticatedRequest, handler: () => void = Routes.prototype.guarded): ExecutionContext =>
  new ExecutionContextHost([request, {}, () => undefined], Routes, handler);
const overGraphQL = (context: GraphQLRequestContext): ExecutionContext => {
  const host = new ExecutionContextHost([{}, {}, context, {}], Routes, Routes.prototype.guarded);
  host.setType('graphql');
  return host;
};
async function refusal(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => {
      throw new Error('the guard let the request through');
    },
    (error: unknown) => error,
  );
}

describe('TokenGuard and TokenStrategy', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeEach(async () => {
    app = await buildApp();
  });

  it('is the AuthGuard of the jwt strategy', () => {
    expect(app.guard).toBeInstanceOf(AuthGuard('jwt'));
  });

  it('lets @Public() routes through without a token or a session check', async () => {
    expect(await app.guard.canActivate(overHttp(requestWith(), Routes.prototype.open))).toBe(true);
    expect(app.assertActive).not.toHaveBeenCalled();
  });

  it('puts the session check’s answer, current roles included, on request.auth', async () => {
    const userId = randomUUID();
    const request = requestWith(`Bearer ${await app.mint(userId)}`);
    app.assertActive.mockImplementationOnce((claims) => Promise.resolve({ ...claims, roles: [Role.USER, Role.ADMIN] }));
    expect(await app.guard.canActivate(overHttp(request))).toBe(true);
    expect(request.auth).toMatchObject({ userId, roles: [Role.USER, Role.ADMIN] });
  });

  it('reads the bearer token of a GraphQL operation from the request in its context', async () => {
    const request = requestWith(`Bearer ${await app.mint()}`);
    expect(await app.guard.canActivate(overGraphQL({ req: request }))).toBe(true);
    expect(request.auth).toBeDefined();
  });

  it('answers a missing or malformed header and a refused token with their own messages', async () => {
    for (const header of [undefined, 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(5000)}`]) {
      expect(await refusal(app.guard.canActivate(overHttp(requestWith(header))))).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'Send an access token as "Authorization: Bearer <token>".',
      });
    }
    const other = await buildApp(otherKey);
    for (const token of ['not.a.jwt', await other.mint()]) {
      expect(await refusal(app.guard.canActivate(overHttp(requestWith(`Bearer ${token}`))))).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'The access token is not valid.',
      });
    }
    expect(app.assertActive).not.toHaveBeenCalled();
  });

  it('answers TOKEN_EXPIRED by the injected clock, on first sight and from the cache', async () => {
    const seen = await app.mint();
    const unseen = await app.mint();
    await app.guard.canActivate(overHttp(requestWith(`Bearer ${seen}`)));
    app.clock.advance(config.accessTokenTtlMs + 4 * SECOND);
    expect(await app.guard.canActivate(overHttp(requestWith(`Bearer ${seen}`)))).toBe(true);
    app.clock.advance(SECOND);
    for (const token of [seen, unseen]) {
      expect(await refusal(app.guard.canActivate(overHttp(requestWith(`Bearer ${token}`))))).toMatchObject({
        code: 'TOKEN_EXPIRED',
        message: 'The access token has expired; refresh the session.',
      });
    }
  });

  it('accepts a token the machine’s clock would call expired while the injected clock says it is fresh', async () => {
    app.clock.advance(-24 * 60 * MINUTE);
    expect(await app.guard.canActivate(overHttp(requestWith(`Bearer ${await app.mint()}`)))).toBe(true);
  });

  it('verifies a token’s signature through passport-jwt once, then serves it from the verified-token cache', async () => {
    const keyFor = jest.spyOn(app.verifier, 'keyFor');
    const verifiedPayload = jest.spyOn(app.verifier, 'claimsOfVerifiedPayload');
    const token = await app.mint();
    for (let request = 0; request < 3; request++) await app.guard.canActivate(overHttp(requestWith(`Bearer ${token}`)));
    expect(keyFor).toHaveBeenCalledTimes(1);
    expect(keyFor).toHaveBeenCalledWith(token);
    expect(verifiedPayload).toHaveBeenCalledTimes(1);
    expect(app.assertActive).toHaveBeenCalledTimes(3);
  });

  it('passes on the session check’s refusal, and fails closed when the database does not answer', async () => {
    const token = await app.mint();
    const revoked = new DomainError('SESSION_REVOKED', 'The session has been ended; sign in again.');
    app.assertActive.mockRejectedValueOnce(revoked);
    expect(await refusal(app.guard.canActivate(overHttp(requestWith(`Bearer ${token}`))))).toBe(revoked);
    const databaseDown = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    app.assertActive.mockRejectedValueOnce(databaseDown);
    const error = await refusal(app.guard.canActivate(overHttp(requestWith(`Bearer ${token}`))));
    expect(error).toBe(databaseDown);
    expect(toClientError(error).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('checks the session of a socket’s connection for its operations, which carry no header', async () => {
    const claims = await app.verifier.verify(await app.mint());
    const connection = { claims } as SessionConnection;
    const request = requestWith();
    expect(await app.guard.canActivate(overGraphQL({ req: request, connection }))).toBe(true);
    expect(app.assertActive).toHaveBeenCalledWith(claims);
    expect(request.auth).toEqual(claims);
    const ended = new DomainError('SESSION_EXPIRED', 'The session has expired; sign in again.');
    app.assertActive.mockRejectedValueOnce(ended);
    expect(await refusal(app.guard.canActivate(overGraphQL({ req: requestWith(), connection })))).toBe(ended);
  });

  it('gives each of many concurrent requests its own answer', async () => {
    app.assertActive.mockImplementation(
      (claims) => new Promise((resolve) => setTimeout(() => resolve(claims), Math.floor(Math.random() * 5))),
    );
    const users = Array.from({ length: 20 }, () => randomUUID());
    const requests = await Promise.all(users.map(async (userId) => requestWith(`Bearer ${await app.mint(userId)}`)));
    await Promise.all(requests.map((request) => app.guard.canActivate(overHttp(request))));
    expect(requests.map((request) => request.auth?.userId)).toEqual(users);
  });

  it('checks with its own app’s keys and session check when several apps share the process', async () => {
    const other = await buildApp(otherKey);
    expect(await app.guard.canActivate(overHttp(requestWith(`Bearer ${await app.mint()}`)))).toBe(true);
    expect(app.assertActive).toHaveBeenCalledTimes(1);
    expect(other.assertActive).not.toHaveBeenCalled();
    expect(await refusal(other.guard.canActivate(overHttp(requestWith(`Bearer ${await app.mint()}`))))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });
});
