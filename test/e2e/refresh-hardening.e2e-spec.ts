import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SessionSweeper } from '../../src/modules/session/domain/session-sweeper.js';
import { login, refresh, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { ACTIVITY, ALERTS, ME, REFRESH_SESSION, SESSION } from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { MINUTE, SECOND } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('refresh-token hardening', () => {
  let app: TestApp;
  let user: TestUser;
  const db = () => app.tessera.app.get(DataSource);
  const grace = () => app.config.refreshReuseGraceMs;
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const refreshCode = (refreshToken: string) => app.graphql.errorCode(REFRESH_SESSION, { input: { refreshToken } });
  const refreshFrom = async (refreshToken: string, ip: string): Promise<LoginResult> => {
    const result = await app.graphql.request(REFRESH_SESSION, { input: { refreshToken } }, undefined, from(ip));
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.refreshSession;
  };
  const storedSuccessor = async (sessionId: string): Promise<Buffer | null> => {
    const [row] = await db().query(`SELECT refresh_successor_ciphertext AS ciphertext FROM sessions WHERE id = $1`, [sessionId]);
    return row.ciphertext;
  };
  const sweep = () => app.tessera.app.get(SessionSweeper).sweep();
  const revoke = (fields: Record<string, string>) =>
    fetch(`${app.baseUrl}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  /** What another device of the same user sees of a session, and the alerts it is shown. */
  const observe = async (sessionId: string) => {
    const observer = await login(app.graphql, user);
    await app.settled();
    const { session } = await app.graphql.data(SESSION, { id: sessionId }, observer.tokens.accessToken);
    const { sessionAlerts } = await app.graphql.data(ALERTS, {}, observer.tokens.accessToken);
    return {
      session,
      // Not the login's own NEW_DEVICE alert, which names the session it opened: what happened to the session since.
      alerts: (sessionAlerts as { sessionId: string; type: string; severity: string }[]).filter(
        (alert) => alert.sessionId === sessionId && alert.type !== 'NEW_DEVICE',
      ),
    };
  };
  const refreshEntries = async (accessToken: string, sessionId: string) => {
    await app.settled();
    const { sessionActivity } = await app.graphql.data(
      ACTIVITY,
      { first: 100, filter: { sessionId, types: ['TOKEN_REFRESHED'] } },
      accessToken,
    );
    return sessionActivity.edges.map((edge: { node: { ipAddress: string; details: unknown } }) => edge.node);
  };

  beforeAll(async () => {
    app = await startTestApp({ TRUST_PROXY: 'loopback', ACCESS_TOKEN_TTL: '60m' });
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  describe('the encrypted successor kept for replay', () => {
    it('is deleted once the successor has been used and the grace window has passed, and the parent then counts as reuse', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const successor = await refresh(app.graphql, tokens.refreshToken);
      expect(await storedSuccessor(session.id)).not.toBeNull();

      await app.graphql.data(ME, {}, successor.tokens.accessToken); // the app has it: committed
      app.clock.advance(grace());
      await sweep();

      expect(await storedSuccessor(session.id)).toBeNull();
      expect(await refreshCode(tokens.refreshToken)).toBe('REFRESH_TOKEN_REUSED');
      expect(await refreshCode(successor.tokens.refreshToken)).toBe('SESSION_REVOKED');
    });

    it('stays while the successor is unused, however late, so a lost response is still answered', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const lost = await refresh(app.graphql, tokens.refreshToken);
      app.clock.advance(20 * MINUTE);
      await sweep();

      expect(await storedSuccessor(session.id)).not.toBeNull();
      const retried = await refresh(app.graphql, tokens.refreshToken);
      expect(retried.tokens.refreshToken).toBe(lost.tokens.refreshToken);
    });

    it('stays within the grace window after the successor was used, so a racing tab is still answered', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const successor = await refresh(app.graphql, tokens.refreshToken);
      await app.graphql.data(ME, {}, successor.tokens.accessToken);
      app.clock.advance(grace() - SECOND);
      await sweep();

      expect(await storedSuccessor(session.id)).not.toBeNull();
      const raced = await refresh(app.graphql, tokens.refreshToken);
      expect(raced.tokens.refreshToken).toBe(successor.tokens.refreshToken);
    });

    it('is deleted when the session ends', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const successor = await refresh(app.graphql, tokens.refreshToken);
      await app.graphql.data(`mutation { logout }`, {}, successor.tokens.accessToken);
      expect(await storedSuccessor(session.id)).toBeNull();
    });
  });

  describe('an access token sent where a refresh token belongs', () => {
    it('is answered INVALID_REFRESH_TOKEN by refreshSession, and the session lives on', async () => {
      const { tokens } = await login(app.graphql, user);
      expect(await refreshCode(tokens.accessToken)).toBe('INVALID_REFRESH_TOKEN');
      await expect(app.graphql.data(ME, {}, tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
      await expect(refresh(app.graphql, tokens.refreshToken)).resolves.toBeTruthy();
    });

    it('is answered 401 INVALID_REFRESH_TOKEN by POST /api/auth/session/refresh', async () => {
      const { tokens } = await login(app.graphql, user);
      const response = await rest(app.baseUrl, 'POST', '/api/auth/session/refresh', { body: { refreshToken: tokens.accessToken } });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'INVALID_REFRESH_TOKEN', message: expect.any(String) } });
    });

    it('is answered 200 by /oauth/revoke with token_type_hint refresh_token, which ends its session as a logout (RFC 7009 §2.1: the hint only orders the search)', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const response = await revoke({ token: tokens.accessToken, token_type_hint: 'refresh_token' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({});
      expect((await observe(session.id)).session).toMatchObject({ status: 'REVOKED', endReason: 'LOGOUT' });
    });
  });

  describe('a rotated refresh token presented to /oauth/revoke', () => {
    it('ends the session as reuse, with a CRITICAL alert, once its successor was used and the grace window has passed', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const successor = await refresh(app.graphql, tokens.refreshToken);
      await app.graphql.data(ME, {}, successor.tokens.accessToken);
      app.clock.advance(grace() + SECOND);

      const response = await revoke({ token: tokens.refreshToken, token_type_hint: 'refresh_token' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({});

      const seen = await observe(session.id);
      expect(seen.session).toMatchObject({ status: 'REVOKED', endReason: 'REFRESH_TOKEN_REUSED' });
      expect(seen.alerts).toEqual([expect.objectContaining({ type: 'REFRESH_TOKEN_REUSE', severity: 'CRITICAL' })]);
      expect(await refreshCode(successor.tokens.refreshToken)).toBe('SESSION_REVOKED');
    });

    it('ends the session as reuse for a generation older than the parent, even within the grace window and without a hint', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const second = await refresh(app.graphql, tokens.refreshToken);
      await refresh(app.graphql, second.tokens.refreshToken);

      expect((await revoke({ token: tokens.refreshToken })).status).toBe(200);

      const seen = await observe(session.id);
      expect(seen.session).toMatchObject({ status: 'REVOKED', endReason: 'REFRESH_TOKEN_REUSED' });
      expect(seen.alerts).toEqual([expect.objectContaining({ type: 'REFRESH_TOKEN_REUSE', severity: 'CRITICAL' })]);
    });

    it('is a plain logout for the parent of a successor whose response was lost, as a refresh with it would be a replay', async () => {
      const { tokens, session } = await login(app.graphql, user);
      await refresh(app.graphql, tokens.refreshToken); // never reached the app
      app.clock.advance(MINUTE);

      expect((await revoke({ token: tokens.refreshToken, token_type_hint: 'refresh_token' })).status).toBe(200);

      const seen = await observe(session.id);
      expect(seen.session).toMatchObject({ status: 'REVOKED', endReason: 'LOGOUT' });
      expect(seen.alerts).toEqual([]);
    });
  });

  describe('the activity log of replayed refreshes', () => {
    it('records a refresh answered again within the grace window as TOKEN_REFRESHED with replayed: true', async () => {
      const { tokens, session } = await login(app.graphql, user);
      const first = await refresh(app.graphql, tokens.refreshToken);
      const again = await refresh(app.graphql, tokens.refreshToken);
      expect(again.tokens.refreshToken).toBe(first.tokens.refreshToken);

      const entries = await refreshEntries(first.tokens.accessToken, session.id);
      expect(entries.map((entry: { details: unknown }) => entry.details)).toEqual([{ replayed: true }, null]);
    });

    it('records the replay of a lost response with the address it came from', async () => {
      const { tokens, session } = await login(app.graphql, user);
      await refreshFrom(tokens.refreshToken, '192.0.2.20');
      app.clock.advance(MINUTE);
      const retried = await refreshFrom(tokens.refreshToken, '192.0.2.21');

      const entries = await refreshEntries(retried.tokens.accessToken, session.id);
      expect(entries).toEqual([
        expect.objectContaining({ ipAddress: '192.0.2.21', details: { replayed: true } }),
        expect.objectContaining({ ipAddress: '192.0.2.20', details: null }),
      ]);
    });

    it('still raises NEW_IP_ADDRESS when the successor is used from an address that only a replay came from', async () => {
      const victim = await registerUser(app.graphql);
      const session = await login(app.graphql, victim);
      await refreshFrom(session.tokens.refreshToken, '192.0.2.30');
      const stolen = await refreshFrom(session.tokens.refreshToken, '203.0.113.30');
      const thief = await refreshFrom(stolen.tokens.refreshToken, '203.0.113.30');

      await app.settled();
      const { sessionAlerts } = await app.graphql.data(ALERTS, {}, thief.tokens.accessToken);
      const fromThief = (sessionAlerts as { details: { ipAddress?: string } }[]).filter(
        (alert) => alert.details.ipAddress === '203.0.113.30',
      );
      expect(fromThief).toEqual([expect.objectContaining({ type: 'NEW_IP_ADDRESS', sessionId: session.session.id })]);
    });
  });
});
