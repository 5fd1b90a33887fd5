import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { login, PASSWORD, registerUser } from '../factories/session.factory.js';
import { ACTIVE_SESSIONS, ME, REGISTER, REVOKE_ALL, REVOKE_SESSION, SESSION } from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { OWASP_PASSWORD_HASH_COST } from '../../src/kernel/password-hash-cost.js';

const ADMIN_EMAIL = 'Root@Example.com';
const ADMIN_PASSWORD = 'an administrator password';

describe('users and administrators', () => {
  let app: TestApp;
  beforeAll(async () => {
    // At the service's own argon2id cost, which the other suites lower to save time.
    app = await startTestApp({ ADMIN_EMAIL, ADMIN_PASSWORD }, { passwordHashCost: OWASP_PASSWORD_HASH_COST });
  });
  afterAll(() => app.close());

  it('registers with a normalised email, an argon2id hash at OWASP’s cost, and the USER role', async () => {
    const result = await app.graphql.data(REGISTER, { input: { email: '  Mixed.Case@Example.COM ', password: PASSWORD } });
    expect(result.register).toMatchObject({ email: 'mixed.case@example.com', roles: ['USER'] });
    const [row] = await app.tessera.app.get(DataSource).query(`SELECT password_hash FROM users WHERE id = $1`, [result.register.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('refuses a second account for the same email, whatever its case', async () => {
    await app.graphql.data(REGISTER, { input: { email: 'taken@example.com', password: PASSWORD } });
    const result = await app.graphql.request(REGISTER, { input: { email: 'TAKEN@example.com', password: PASSWORD } });
    expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['email'] });
  });

  it('refuses a password shorter than 12 characters', async () => {
    const result = await app.graphql.request(REGISTER, { input: { email: 'short@example.com', password: 'elevenchars' } });
    expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['password'] });
  });

  it('creates the ADMIN_EMAIL account with the ADMIN role at start-up', async () => {
    const admin = await login(app.graphql, { id: '', email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(admin.user).toMatchObject({ email: 'root@example.com', roles: expect.arrayContaining(['USER', 'ADMIN']) });
    const me = await app.graphql.data(ME, {}, admin.tokens.accessToken);
    expect(me.me.roles).toContain('ADMIN');
  });

  it('lets an admin see and end any user’s sessions, which the user sees as REVOKED_BY_ADMIN', async () => {
    const admin = await login(app.graphql, { id: '', email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const user = await registerUser(app.graphql);
    const [one, two, three] = [await login(app.graphql, user), await login(app.graphql, user), await login(app.graphql, user)];

    const listed = await app.graphql.data(ACTIVE_SESSIONS, { userId: user.id }, admin.tokens.accessToken);
    expect(listed.activeSessions).toHaveLength(3);
    expect(listed.activeSessions.every((s: { current: boolean }) => !s.current)).toBe(true);

    const revoked = await app.graphql.data(REVOKE_SESSION, { id: one.session.id }, admin.tokens.accessToken);
    expect(revoked.revokeSession).toMatchObject({ status: 'REVOKED', endReason: 'REVOKED_BY_ADMIN' });
    expect(await app.graphql.errorCode(ME, {}, one.tokens.accessToken)).toBe('SESSION_REVOKED');

    const count = await app.graphql.data(REVOKE_ALL, { input: { userId: user.id, exceptCurrent: true } }, admin.tokens.accessToken);
    expect(count.revokeAllSessions).toBe(2);
    expect(await app.graphql.errorCode(ME, {}, two.tokens.accessToken)).toBe('SESSION_REVOKED');
    expect(await app.graphql.errorCode(ME, {}, three.tokens.accessToken)).toBe('SESSION_REVOKED');
    await expect(app.graphql.data(ME, {}, admin.tokens.accessToken)).resolves.toBeTruthy();

    const ended = await app.graphql.data(SESSION, { id: two.session.id }, admin.tokens.accessToken);
    expect(ended.session.endReason).toBe('REVOKED_BY_ADMIN');
  });

  it('forbids a user from acting on another user’s sessions', async () => {
    const user = await registerUser(app.graphql);
    const other = await registerUser(app.graphql);
    const session = await login(app.graphql, user);
    expect(await app.graphql.errorCode(REVOKE_ALL, { input: { userId: other.id } }, session.tokens.accessToken)).toBe('FORBIDDEN');
    expect(await app.graphql.errorCode(ACTIVE_SESSIONS, { userId: other.id }, session.tokens.accessToken)).toBe('FORBIDDEN');
  });
});
