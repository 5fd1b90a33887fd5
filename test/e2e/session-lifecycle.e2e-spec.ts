import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { hashToken } from '../../src/common/opaque-token.js';
import { login, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { ACTIVE_SESSIONS, LOGOUT, ME, REFRESH_SESSION, REVOKE_ALL, REVOKE_SESSION, SESSION } from '../helpers/operations.js';
import { MINUTE, SECOND } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('session lifecycle over GraphQL', () => {
  let app: TestApp;
  let user: TestUser;
  const refreshCode = (refreshToken: string) => app.graphql.errorCode(REFRESH_SESSION, { input: { refreshToken } });
  const meCode = (accessToken: string) => app.graphql.errorCode(ME, {}, accessToken);
  const db = () => app.tessera.app.get(DataSource);

  beforeAll(async () => {
    // Access tokens outlive the idle timeout here, so that idleness, not token expiry, is what a test sees.
    app = await startTestApp({ ACCESS_TOKEN_TTL: '60m' });
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('logs in, answers me with the access token, and rotates the refresh token', async () => {
    const first = await login(app.graphql, user);
    expect(first.tokens.tokenType).toBe('Bearer');
    expect(first.session).toMatchObject({ status: 'ACTIVE', current: true, userId: user.id, userAgent: 'tessera-e2e/1.0' });

    const me = await app.graphql.data(ME, {}, first.tokens.accessToken);
    expect(me.me).toMatchObject({ id: user.id, email: user.email, roles: ['USER'] });

    const second = await refresh(app.graphql, first.tokens.refreshToken);
    expect(second.session.id).toBe(first.session.id);
    expect(second.tokens.refreshToken).not.toBe(first.tokens.refreshToken);
    expect(second.tokens.refreshTokenExpiresAt).toBe(first.tokens.refreshTokenExpiresAt);
    await expect(app.graphql.data(ME, {}, second.tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
  });

  it('answers a lost refresh response with the identical successor when the old token comes again', async () => {
    const { tokens } = await login(app.graphql, user);
    const lost = await refresh(app.graphql, tokens.refreshToken);
    // The app never saw `lost` and retries with what it holds, even long after the grace window.
    app.clock.advance(MINUTE);
    const retried = await refresh(app.graphql, tokens.refreshToken);
    expect(retried.tokens.refreshToken).toBe(lost.tokens.refreshToken);
    await expect(app.graphql.data(ME, {}, retried.tokens.accessToken)).resolves.toBeTruthy();
    const next = await refresh(app.graphql, retried.tokens.refreshToken);
    expect(next.tokens.refreshToken).not.toBe(retried.tokens.refreshToken);
  });

  it('gives 50 concurrent refreshes of one token the identical successor and stores exactly one', async () => {
    const { tokens, session } = await login(app.graphql, user);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => app.graphql.request(REFRESH_SESSION, { input: { refreshToken: tokens.refreshToken } })),
    );
    const errors = results.flatMap((result) => result.errors ?? []);
    expect(errors).toEqual([]);
    const successors = new Set(results.map((result) => result.data!.refreshSession.tokens.refreshToken));
    expect(successors.size).toBe(1);
    expect([...successors][0]).not.toBe(tokens.refreshToken);
    // Exactly one successor stored: generation 1 on the session row, with its parent's hash, and no row per token.
    const [stored] = await db().query(
      `SELECT refresh_generation AS generation, refresh_token_hash AS current, refresh_parent_hash AS parent,
              (SELECT count(*)::int FROM refresh_tokens WHERE session_id = $1) AS "tokenRows"
         FROM sessions WHERE id = $1`,
      [session.id],
    );
    expect(stored).toEqual({ generation: 1, current: hashToken([...successors][0]), parent: hashToken(tokens.refreshToken), tokenRows: 0 });
  });

  it('revokes the whole session when a rotated token comes back after commit and grace, and kills both tokens', async () => {
    const { tokens, session } = await login(app.graphql, user);
    const successor = await refresh(app.graphql, tokens.refreshToken);
    await app.graphql.data(ME, {}, successor.tokens.accessToken); // commits the successor
    app.clock.advance(11 * SECOND);

    expect(await refreshCode(tokens.refreshToken)).toBe('REFRESH_TOKEN_REUSED');
    expect(await refreshCode(successor.tokens.refreshToken)).toBe('SESSION_REVOKED');
    expect(await meCode(successor.tokens.accessToken)).toBe('SESSION_REVOKED');

    const observer = await login(app.graphql, user);
    const ended = await app.graphql.data(SESSION, { id: session.id }, observer.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'REVOKED', endReason: 'REFRESH_TOKEN_REUSED', current: false });
    expect(ended.session.endedAt).not.toBeNull();
  });

  it('replays to the parent within the grace window even after the successor was used (racing tabs)', async () => {
    const { tokens } = await login(app.graphql, user);
    const successor = await refresh(app.graphql, tokens.refreshToken);
    await app.graphql.data(ME, {}, successor.tokens.accessToken);
    app.clock.advance(5 * SECOND);
    const raced = await refresh(app.graphql, tokens.refreshToken);
    expect(raced.tokens.refreshToken).toBe(successor.tokens.refreshToken);
  });

  it('treats an older generation as reuse even inside the grace window', async () => {
    const { tokens } = await login(app.graphql, user);
    const second = await refresh(app.graphql, tokens.refreshToken);
    const third = await refresh(app.graphql, second.tokens.refreshToken);
    expect(await refreshCode(tokens.refreshToken)).toBe('REFRESH_TOKEN_REUSED');
    expect(await refreshCode(third.tokens.refreshToken)).toBe('SESSION_REVOKED');
  });

  it('refuses refresh tokens it never issued', async () => {
    expect(await refreshCode('tsr_' + 'A'.repeat(43))).toBe('INVALID_REFRESH_TOKEN');
    expect(await refreshCode('not a token')).toBe('INVALID_REFRESH_TOKEN');
  });

  it('ends one session with revokeSession; its tokens fail at once and the others live on', async () => {
    const phone = await login(app.graphql, user);
    const laptop = await login(app.graphql, user);
    const revoked = await app.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    expect(revoked.revokeSession).toMatchObject({ id: phone.session.id, status: 'REVOKED', endReason: 'REVOKED_BY_USER' });

    expect(await meCode(phone.tokens.accessToken)).toBe('SESSION_REVOKED');
    expect(await refreshCode(phone.tokens.refreshToken)).toBe('SESSION_REVOKED');
    const active = await app.graphql.data(ACTIVE_SESSIONS, {}, laptop.tokens.accessToken);
    const ids = active.activeSessions.map((s: { id: string }) => s.id);
    expect(ids).toContain(laptop.session.id);
    expect(ids).not.toContain(phone.session.id);
    expect(active.activeSessions.find((s: { id: string }) => s.id === laptop.session.id).current).toBe(true);
  });

  it('signs out everywhere else with revokeAllSessions(exceptCurrent)', async () => {
    const other = await registerUser(app.graphql);
    const [keep, a, b] = [await login(app.graphql, other), await login(app.graphql, other), await login(app.graphql, other)];
    const result = await app.graphql.data(REVOKE_ALL, { input: { exceptCurrent: true } }, keep.tokens.accessToken);
    expect(result.revokeAllSessions).toBe(2);
    expect(await meCode(a.tokens.accessToken)).toBe('SESSION_REVOKED');
    expect(await meCode(b.tokens.accessToken)).toBe('SESSION_REVOKED');
    const active = await app.graphql.data(ACTIVE_SESSIONS, {}, keep.tokens.accessToken);
    expect(active.activeSessions.map((s: { id: string }) => s.id)).toEqual([keep.session.id]);

    const everything = await app.graphql.data(REVOKE_ALL, {}, keep.tokens.accessToken);
    expect(everything.revokeAllSessions).toBe(1);
    expect(await meCode(keep.tokens.accessToken)).toBe('SESSION_REVOKED');
  });

  it('logout ends the current session and nothing else', async () => {
    const leaving = await login(app.graphql, user);
    const staying = await login(app.graphql, user);
    expect((await app.graphql.data(LOGOUT, {}, leaving.tokens.accessToken)).logout).toBe(true);
    expect(await meCode(leaving.tokens.accessToken)).toBe('SESSION_REVOKED');
    expect(await refreshCode(leaving.tokens.refreshToken)).toBe('SESSION_REVOKED');
    const ended = await app.graphql.data(SESSION, { id: leaving.session.id }, staying.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'REVOKED', endReason: 'LOGOUT' });
  });

  it('does not show or revoke another user’s session', async () => {
    const stranger = await registerUser(app.graphql);
    const theirs = await login(app.graphql, stranger);
    const mine = await login(app.graphql, user);
    expect(await app.graphql.errorCode(SESSION, { id: theirs.session.id }, mine.tokens.accessToken)).toBe('NOT_FOUND');
    expect(await app.graphql.errorCode(REVOKE_SESSION, { id: theirs.session.id }, mine.tokens.accessToken)).toBe('NOT_FOUND');
    expect(await app.graphql.errorCode(ACTIVE_SESSIONS, { userId: stranger.id }, mine.tokens.accessToken)).toBe('FORBIDDEN');
    await expect(app.graphql.data(ME, {}, theirs.tokens.accessToken)).resolves.toBeTruthy();
  });

  it('keeps a session alive while it is used, and ends it after 31 idle minutes', async () => {
    const { tokens, session } = await login(app.graphql, user);
    app.clock.advance(20 * MINUTE);
    await app.graphql.data(ME, {}, tokens.accessToken);
    app.clock.advance(20 * MINUTE);
    await app.graphql.data(ME, {}, tokens.accessToken); // 40 minutes after login, 20 after the last use
    const renewed = await refresh(app.graphql, tokens.refreshToken);

    app.clock.advance(31 * MINUTE);
    expect(await meCode(renewed.tokens.accessToken)).toBe('SESSION_EXPIRED');
    expect(await refreshCode(renewed.tokens.refreshToken)).toBe('SESSION_EXPIRED');
    const observer = await login(app.graphql, user);
    const ended = await app.graphql.data(SESSION, { id: session.id }, observer.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'EXPIRED', endReason: 'IDLE_TIMEOUT' });
    const active = await app.graphql.data(ACTIVE_SESSIONS, {}, observer.tokens.accessToken);
    expect(active.activeSessions.map((s: { id: string }) => s.id)).not.toContain(session.id);
  });

  it('ends an idle session at refresh too, without any request in between', async () => {
    const { tokens } = await login(app.graphql, user);
    app.clock.advance(31 * MINUTE);
    expect(await refreshCode(tokens.refreshToken)).toBe('SESSION_EXPIRED');
    expect(await meCode(tokens.accessToken)).toBe('SESSION_EXPIRED');
  });

  it('ends a session at its absolute lifetime', async () => {
    const { tokens, session } = await login(app.graphql, user);
    await db().query(`UPDATE sessions SET expires_at = $2 WHERE id = $1`, [session.id, app.clock.now()]);
    expect(await refreshCode(tokens.refreshToken)).toBe('SESSION_EXPIRED');
    const observer = await login(app.graphql, user);
    const ended = await app.graphql.data(SESSION, { id: session.id }, observer.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'EXPIRED', endReason: 'ABSOLUTE_TIMEOUT' });
  });

  it('answers TOKEN_EXPIRED for an access token past its exp, also for one it accepted before', async () => {
    const unused = await login(app.graphql, user);
    const used = await login(app.graphql, user);
    app.clock.advance(29 * MINUTE);
    expect(await app.graphql.data(ME, {}, used.tokens.accessToken)).toBeDefined();
    app.clock.advance(29 * MINUTE);
    expect(await app.graphql.data(ME, {}, used.tokens.accessToken)).toBeDefined();
    app.clock.advance(3 * MINUTE);
    expect(await meCode(unused.tokens.accessToken)).toBe('TOKEN_EXPIRED');
    expect(await meCode(used.tokens.accessToken)).toBe('TOKEN_EXPIRED');
  });

  it('issues RFC 9068 access tokens that verify with jose against the served JWKS', async () => {
    const { tokens, session } = await login(app.graphql, user);
    const jwks = createRemoteJWKSet(new URL(`${app.baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tokens.accessToken, jwks, {
      algorithms: ['RS256'],
      issuer: 'http://localhost:3000',
      audience: 'tessera',
      typ: 'at+jwt',
      currentDate: app.clock.now(),
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({ sub: user.id, sid: session.id, roles: ['USER'] });
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.exp! - payload.iat!).toBe(60 * 60);
    expect(new Date(payload.exp! * 1000).toISOString()).toBe(new Date(tokens.accessTokenExpiresAt).toISOString());
    expect(decodeProtectedHeader(tokens.accessToken).kid).toBe(protectedHeader.kid);
  });

  it('stores refresh tokens only as hashes', async () => {
    const { tokens } = await login(app.graphql, user);
    const dump =
      JSON.stringify(await db().query(`SELECT * FROM refresh_tokens`)) + JSON.stringify(await db().query(`SELECT * FROM sessions`));
    expect(dump).not.toContain(tokens.refreshToken);
    expect(dump).not.toContain(tokens.refreshToken.slice(4));
    // The token names its session (no secret), but neither its random part nor its MAC is stored.
    const [, , secret, mac] = tokens.refreshToken.split('.');
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(mac);
  });
});
