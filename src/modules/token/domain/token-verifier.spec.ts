import { createPublicKey, generateKeyPairSync, randomUUID, sign as rsaSign, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { ManualClock, MINUTE, SECOND } from '../../../../test/helpers/manual-clock.js';
import { Clock } from '../../../common/clock.js';
import { DomainError } from '../../../common/domain-error.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { Role } from '../../../kernel/role.js';
import { TokenKeyStore } from './token-key-store.js';
import { TokenSigner } from './token-signer.js';
import { TokenVerifier } from './token-verifier.js';

const config = loadConfig({});
const ours = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const theirs = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const OUR_KID = 'our-kid';
const START = new Date('2026-03-01T12:00:00Z');
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/** The two things TokenSigner and TokenVerifier ask of the key store. */
class KeyStoreStub {
  readonly signingKey = { kid: OUR_KID, privateKey: ours };
  verificationKey(kid: string): Promise<KeyObject | undefined> {
    return Promise.resolve(kid === OUR_KID ? createPublicKey(ours) : undefined);
  }
}

/** A compact JWS with exactly this header and payload, signed without any JWT library's opinions. */
function signed(header: Record<string, unknown>, payload: unknown, key: KeyObject = ours): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${rsaSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TokenSigner and TokenVerifier', () => {
  let clock: ManualClock;
  let signer: TokenSigner;
  let verifier: TokenVerifier;
  let jwt: JwtService;

  const header = (overrides: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'at+jwt', kid: OUR_KID, ...overrides });
  const claims = (overrides: Record<string, unknown> = {}) => ({
    sid: randomUUID(),
    roles: [Role.USER],
    gen: 0,
    iss: config.jwtIssuer,
    aud: config.jwtAudience,
    sub: randomUUID(),
    jti: randomUUID(),
    iat: epoch(clock.now()),
    exp: epoch(clock.now()) + 15 * 60,
    ...overrides,
  });
  const refusal = async (token: string) => {
    const error = await verifier.verify(token).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  };

  beforeEach(async () => {
    clock = new ManualClock(START);
    const moduleRef = await Test.createTestingModule({
      imports: [JwtModule.register({})],
      providers: [
        TokenSigner,
        TokenVerifier,
        { provide: TokenKeyStore, useValue: new KeyStoreStub() },
        { provide: Clock, useValue: clock },
        { provide: APP_CONFIG, useValue: config },
      ],
    }).compile();
    signer = moduleRef.get(TokenSigner);
    verifier = moduleRef.get(TokenVerifier);
    jwt = moduleRef.get(JwtService);
  });

  const mint = () =>
    signer.sign({
      userId: randomUUID(),
      sessionId: randomUUID(),
      roles: [Role.USER, Role.ADMIN],
      generation: 3,
      authenticatedAt: clock.now(),
      authenticationMethod: 'pwd',
      deviceKeyThumbprint: null,
    });

  describe('signing through JwtService', () => {
    it('writes the very bytes jose’s SignJWT writes: header, claims and their order, RS256 signature', async () => {
      const request = {
        userId: randomUUID(),
        sessionId: randomUUID(),
        roles: [Role.USER],
        generation: 2,
        authenticatedAt: clock.now(),
        authenticationMethod: 'pwd' as const,
        deviceKeyThumbprint: null,
      };
      const { token, expiresAt } = await signer.sign(request);
      const { jti } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string };
      const issuedAt = epoch(clock.now());
      const byJose = await new SignJWT({
        sid: request.sessionId,
        roles: request.roles,
        gen: request.generation,
        auth_time: epoch(request.authenticatedAt),
        amr: [request.authenticationMethod],
        client_id: 'tessera-app',
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: OUR_KID })
        .setIssuer(config.jwtIssuer)
        .setAudience(config.jwtAudience)
        .setSubject(request.userId)
        .setJti(jti)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + config.accessTokenTtlMs / 1000)
        .sign(ours);
      expect(token).toBe(byJose);
      expect(expiresAt).toEqual(new Date((issuedAt + config.accessTokenTtlMs / 1000) * 1000));
    });

    it('times the token by the injected clock, not the machine’s', async () => {
      clock.advance(-365 * 24 * 60 * MINUTE);
      const { token } = await mint();
      const { iat } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { iat: number };
      expect(iat).toBe(epoch(clock.now()));
    });
  });

  describe('verifying', () => {
    it('accepts its own tokens and answers their claims', async () => {
      const request = {
        userId: randomUUID(),
        sessionId: randomUUID(),
        roles: [Role.USER, Role.ADMIN],
        generation: 3,
        authenticatedAt: new Date(epoch(clock.now()) * 1000),
        authenticationMethod: 'pwd' as const,
        deviceKeyThumbprint: null,
      };
      const { token, expiresAt } = await signer.sign(request);
      const { authenticationMethod: _method, deviceKeyThumbprint: _unbound, ...claimed } = request;
      expect(await verifier.verify(token)).toMatchObject({ ...claimed, expiresAt, issuedAt: clock.now() });
      expect(await verifier.verify(token)).not.toHaveProperty('deviceKeyThumbprint');
    });

    it('names the client in client_id (RFC 9068 §2.2), and still accepts tokens minted before it was a claim', async () => {
      const { token } = await mint();
      expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).toMatchObject({ client_id: config.jwtClientId });
      expect(await verifier.verify(token)).toMatchObject({ clientId: config.jwtClientId });
      const older = await verifier.verify(signed(header(), claims()));
      expect(older).not.toHaveProperty('clientId');
      for (const clientId of ['', 7, ['tessera-app']]) {
        expect(await refusal(signed(header(), claims({ client_id: clientId })))).toBe('UNAUTHENTICATED');
      }
    });

    it('takes a key only for an RS256 at+jwt naming one of our kids, never one the token brings or points at', async () => {
      const payload = claims();
      expect(await verifier.verify(signed(header(), payload))).toBeDefined();
      for (const refused of [
        header({ typ: 'JWT' }),
        header({ typ: undefined }),
        header({ kid: 'not-one-of-ours' }),
        header({ kid: undefined }),
        header({ kid: 7 }),
        header({ crit: ['exp'] }),
        header({ jku: 'https://keys.example/jwks.json' }),
        header({ jwk: createPublicKey(ours).export({ format: 'jwk' }) }),
        header({ x5u: 'https://keys.example/cert.pem' }),
        header({ x5c: ['MIIB'] }),
        header({ alg: 'RS512' }),
      ]) {
        expect(await refusal(signed(refused, payload))).toBe('UNAUTHENTICATED');
      }
    });

    it('reads typ as RFC 9068 and jose do: at+jwt or application/at+jwt, in any case', async () => {
      for (const typ of ['application/at+jwt', 'AT+JWT']) {
        expect(await verifier.verify(signed(header({ typ }), claims()))).toBeDefined();
      }
    });

    it('refuses alg none, HS256 keyed with our public key, another key under our kid and a tampered payload', async () => {
      const payload = claims();
      const [head, body] = signed(header(), payload).split('.');
      expect(await refusal(`${base64url(header({ alg: 'none' }))}.${body}.`)).toBe('UNAUTHENTICATED');
      const publicPem = createPublicKey(ours).export({ format: 'pem', type: 'spki' });
      expect(await refusal(await new SignJWT(payload).setProtectedHeader(header({ alg: 'HS256' })).sign(Buffer.from(publicPem)))).toBe(
        'UNAUTHENTICATED',
      );
      expect(await refusal(signed(header(), payload, theirs))).toBe('UNAUTHENTICATED');
      const signature = signed(header(), payload).split('.')[2];
      expect(await refusal(`${head}.${base64url({ ...payload, roles: [Role.ADMIN] })}.${signature}`)).toBe('UNAUTHENTICATED');
    });

    it('refuses our own signature on claims that are not ours to accept', async () => {
      for (const payload of [
        claims({ aud: 'someone-else' }),
        claims({ iss: 'https://evil.example' }),
        claims({ exp: undefined }),
        claims({ iat: undefined }),
        claims({ iat: '2026-03-01' }),
        claims({ sub: 'not-a-uuid' }),
        claims({ roles: ['ROOT'] }),
        claims({ gen: -1 }),
        claims({ nbf: epoch(clock.now()) + 60 }),
      ]) {
        expect(await refusal(signed(header(), payload))).toBe('UNAUTHENTICATED');
      }
      expect(await refusal(signed(header(), ['not', 'an', 'object']))).toBe('UNAUTHENTICATED');
      expect(await verifier.verify(signed(header(), claims({ aud: ['another-service', config.jwtAudience] })))).toBeDefined();
    });

    it('judges exp by the injected clock with 5 seconds of skew, and only once everything else holds', async () => {
      const fresh = signed(header(), claims({ exp: epoch(clock.now()) + 60 }));
      const expiring = signed(header(), claims({ exp: epoch(clock.now()) + 60 }));
      const expiredElsewhere = signed(header(), claims({ exp: epoch(clock.now()) + 60, aud: 'someone-else' }));
      clock.advance(64 * SECOND);
      expect(await verifier.verify(fresh)).toBeDefined();
      clock.advance(SECOND);
      expect(await refusal(expiring)).toBe('TOKEN_EXPIRED');
      expect(await refusal(expiredElsewhere)).toBe('UNAUTHENTICATED');
      // A year behind the machine's clock, a token the machine would call long expired is fresh.
      clock.advance(-365 * 24 * 60 * MINUTE);
      expect(await verifier.verify(signed(header(), claims()))).toBeDefined();
    });
  });

  describe('the verified-token cache', () => {
    it('verifies a signature once, and checks exp against the clock on every later use', async () => {
      const verifyAsync = jest.spyOn(jwt, 'verifyAsync');
      const { token } = await mint();
      await verifier.verify(token);
      await verifier.verify(token);
      expect(verifyAsync).toHaveBeenCalledTimes(1);
      clock.advance(config.accessTokenTtlMs + 5 * SECOND);
      expect(await refusal(token)).toBe('TOKEN_EXPIRED');
      expect(verifyAsync).toHaveBeenCalledTimes(1);
    });

    it('keeps nothing it refused', async () => {
      const verifyAsync = jest.spyOn(jwt, 'verifyAsync');
      const forged = signed(header(), claims(), theirs);
      await refusal(forged);
      await refusal(forged);
      expect(verifyAsync).toHaveBeenCalledTimes(2);
      expect(verifier.claimsVerifiedBefore(forged)).toBeUndefined();
    });
  });
});
