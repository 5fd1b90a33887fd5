import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { generateLegacyRefreshToken, hashToken } from '../../src/common/opaque-token.js';
import { SessionSweeper } from '../../src/modules/session/domain/session-sweeper.js';
import { login, refresh, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { metric } from '../helpers/metrics.js';
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

  describe('flat storage per session (tokens name their session and generation under a MAC)', () => {
    // A user of its own, so that the session limit never ends one of these sessions.
    let owner: TestUser;
    beforeAll(async () => {
      owner = await registerUser(app.graphql);
    });
    /** Refreshes `times` times from `first`, the app using each access token as it comes; every token, oldest first. */
    const refreshChain = async (first: LoginResult, times: number): Promise<LoginResult[]> => {
      const chain = [first];
      for (let i = 0; i < times; i++) {
        const next = await refresh(app.graphql, chain[chain.length - 1].tokens.refreshToken);
        await app.graphql.data(ME, {}, next.tokens.accessToken);
        chain.push(next);
      }
      return chain;
    };
    /** Everything stored about the session's refresh tokens: its refresh_tokens rows and the bytes of its session row. */
    const footprint = async (sessionId: string) => {
      const [row] = await db().query(
        `SELECT (SELECT count(*)::int FROM refresh_tokens WHERE session_id = $1) AS "tokenRows",
                (SELECT pg_column_size(s.*)::int FROM sessions s WHERE s.id = $1) AS "sessionBytes"`,
        [sessionId],
      );
      return row as { tokenRows: number; sessionBytes: number };
    };
    const sessionState = async (sessionId: string) =>
      (
        await db().query(
          `SELECT status, end_reason, refresh_generation, refresh_committed_generation, refresh_token_hash, refresh_parent_hash
             FROM sessions WHERE id = $1`,
          [sessionId],
        )
      )[0];
    /**
     * A session as the code before flat storage left it: its current token of the legacy format,
     * found only through a refresh_tokens row (`generation` of them, the current one last).
     */
    const legacySession = async (generations: number) => {
      const signedIn = await login(app.graphql, owner);
      const legacy = Array.from({ length: generations + 1 }, () => generateLegacyRefreshToken());
      for (const [generation, token] of legacy.entries()) {
        await db().query(`INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at) VALUES ($1, $2, $3, now())`, [
          hashToken(token),
          signedIn.session.id,
          generation,
        ]);
      }
      await db().query(
        `UPDATE sessions SET refresh_token_hash = NULL, refresh_generation = $2, refresh_committed_generation = $2 WHERE id = $1`,
        [signedIn.session.id, generations],
      );
      return { session: signedIn.session, legacy };
    };

    it('holds no row per refresh: after 10 and after 40 refreshes the session is the same number of rows and bytes', async () => {
      const first = await login(app.graphql, owner);
      const chain = await refreshChain(first, 10);
      const after10 = await footprint(first.session.id);
      await refreshChain(chain[10], 30);
      const after40 = await footprint(first.session.id);

      expect(after10).toEqual({ tokenRows: 0, sessionBytes: expect.any(Number) });
      // Generations 10 and 40 print with as many digits, so the sealed successor is as long too.
      expect(after40).toEqual(after10);
      expect(await sessionState(first.session.id)).toMatchObject({ status: 'ACTIVE', refresh_generation: 40 });
    });

    it('ends the session as reuse when a token several generations old comes back, however long after', async () => {
      const first = await login(app.graphql, owner);
      const chain = await refreshChain(first, 6);
      app.clock.advance(MINUTE);

      expect(await refreshCode(chain[2].tokens.refreshToken)).toBe('REFRESH_TOKEN_REUSED');

      expect(await sessionState(first.session.id)).toMatchObject({ status: 'REVOKED', end_reason: 'REFRESH_TOKEN_REUSED' });
      expect(await refreshCode(chain[6].tokens.refreshToken)).toBe('SESSION_REVOKED');
      expect(await refreshCode(first.tokens.refreshToken)).toBe('SESSION_REVOKED');
    });

    it('answers forged tokens INVALID_REFRESH_TOKEN, at refresh and at /oauth/revoke, and changes nothing', async () => {
      const first = await login(app.graphql, owner);
      const chain = await refreshChain(first, 4);
      const other = await login(app.graphql, owner);
      const before = await sessionState(first.session.id);
      const current = chain[4].tokens.refreshToken;
      const [prefix, generation, secret, mac] = current.split('.');
      const forgeries = [
        [prefix, generation, secret, (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1)].join('.'),
        // A real token renumbered: generation 1 would be reuse (ending the session) if it were believed.
        [prefix, '1', secret, mac].join('.'),
        [prefix, '3', secret, mac].join('.'),
        [prefix, '5', secret, mac].join('.'),
        [prefix, '04', secret, mac].join('.'),
        // Another session's real token, renamed to this session.
        other.tokens.refreshToken.replace(other.session.id, first.session.id),
        // This session's real token, renamed to another.
        current.replace(first.session.id, other.session.id),
        // No such session.
        current.replace(first.session.id, '00000000-0000-4000-8000-000000000000'),
      ];

      for (const forged of forgeries) {
        expect(await refreshCode(forged)).toBe('INVALID_REFRESH_TOKEN');
        expect((await revoke({ token: forged, token_type_hint: 'refresh_token' })).status).toBe(200);
      }

      expect(await sessionState(first.session.id)).toEqual(before);
      expect((await sessionState(other.session.id)).status).toBe('ACTIVE');
      await expect(refresh(app.graphql, current)).resolves.toBeTruthy();
    });

    it('refreshes a legacy-format token once into a current-format successor, replays it while its answer may be lost, then calls it reuse', async () => {
      const { session, legacy } = await legacySession(2);
      const current = legacy[2];

      const successor = await refresh(app.graphql, current);
      expect(successor.tokens.refreshToken).toMatch(new RegExp(`^tsr_${session.id}\\.3\\.`));
      // Its hash is on the session row; nothing was added to refresh_tokens.
      expect(await footprint(session.id)).toMatchObject({ tokenRows: 3 });
      expect(await sessionState(session.id)).toMatchObject({
        refresh_generation: 3,
        refresh_token_hash: hashToken(successor.tokens.refreshToken),
        refresh_parent_hash: null,
      });
      await expect(refresh(app.graphql, current)).resolves.toMatchObject({ tokens: { refreshToken: successor.tokens.refreshToken } });

      await app.graphql.data(ME, {}, successor.tokens.accessToken);
      app.clock.advance(grace() + SECOND);
      expect(await refreshCode(current)).toBe('REFRESH_TOKEN_REUSED');
      expect(await sessionState(session.id)).toMatchObject({ status: 'REVOKED', end_reason: 'REFRESH_TOKEN_REUSED' });
    });

    it('detects reuse of an older legacy-format token after the move to the current format', async () => {
      const { session, legacy } = await legacySession(3);
      const successor = await refresh(app.graphql, legacy[3]);
      await refresh(app.graphql, successor.tokens.refreshToken);

      expect(await refreshCode(legacy[0])).toBe('REFRESH_TOKEN_REUSED');
      expect(await sessionState(session.id)).toMatchObject({ status: 'REVOKED', end_reason: 'REFRESH_TOKEN_REUSED' });
    });

    it('ends a session through /oauth/revoke with a legacy-format token and with a current-format one', async () => {
      const { session, legacy } = await legacySession(0);
      expect((await revoke({ token: legacy[0], token_type_hint: 'refresh_token' })).status).toBe(200);
      expect(await sessionState(session.id)).toMatchObject({ status: 'REVOKED', end_reason: 'LOGOUT' });

      const current = await login(app.graphql, owner);
      expect((await revoke({ token: current.tokens.refreshToken })).status).toBe(200);
      expect(await sessionState(current.session.id)).toMatchObject({ status: 'REVOKED', end_reason: 'LOGOUT' });
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

    it('commits a rotation that raises nothing with a read and one conditional write on PostgreSQL, and one that raises an alert under the locks', async () => {
      const rotations = async () => {
        const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
        const count = (path: string) => metric(text, 'tessera_refresh_rotations_total', `path="${path}"`);
        return { unlocked: count('unlocked'), locked: count('locked') };
      };
      const session = await login(app.graphql, await registerUser(app.graphql));
      const before = await rotations();

      // A new address: NEW_IP_ADDRESS commits with the rotation, so the rotation takes the locks.
      const fromNewAddress = await refreshFrom(session.tokens.refreshToken, '192.0.2.40');
      const afterNewAddress = await rotations();
      await refreshFrom(fromNewAddress.tokens.refreshToken, '192.0.2.40');
      const afterKnownAddress = await rotations();

      expect(afterNewAddress).toEqual({ unlocked: before.unlocked, locked: before.locked + 1 });
      // The embedded database rotates under the locks always (SessionRefreshService.rotatesUnlocked).
      const unlocked = app.config.database.kind === 'postgres' ? 1 : 0;
      expect(afterKnownAddress).toEqual({ unlocked: before.unlocked + unlocked, locked: before.locked + 2 - unlocked });
      const { sessionAlerts } = await app.graphql.data(ALERTS, {}, fromNewAddress.tokens.accessToken);
      expect(sessionAlerts).toEqual([expect.objectContaining({ type: 'NEW_IP_ADDRESS', sessionId: session.session.id })]);
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
