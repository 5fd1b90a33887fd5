import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { UserService } from '../../src/modules/user/domain/user.service.js';
import { deviceInput, PASSWORD } from '../factories/session.factory.js';
import { CREATE_SESSION, REGISTER } from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const HOUR_SECONDS = 60 * 60;
const PRECOMPOSED = 'jos\u00e9@example.com';
const DECOMPOSED = 'jose\u0301@example.com';
const ADMIN_PASSWORD = 'an administrator password';

describe('registration', () => {
  let app: TestApp;
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const registerFrom = (ip: string, email: string, password = PASSWORD) =>
    app.graphql.request(REGISTER, { input: { email, password } }, undefined, from(ip));
  const login = (email: string, password = PASSWORD) =>
    app.graphql.request(CREATE_SESSION, { input: { email, password, device: deviceInput() } });

  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: 'loopback',
      REGISTRATION_RATE_LIMIT: '10',
      // Decomposed é, upper case and spaces: the operator's spelling need not be the one people type.
      ADMIN_EMAIL: ` Root.JOSE\u0301@Example.COM `,
      ADMIN_PASSWORD,
    });
  });
  afterAll(() => app.close());

  it('allows REGISTRATION_RATE_LIMIT registrations per address and hour, a taken email included, then answers RATE_LIMITED whether or not the email is taken', async () => {
    const address = '198.51.100.20';
    expect((await registerFrom('198.51.100.29', 'taken@example.com')).errors).toBeUndefined();

    // Refused by the password rule before any hashing: these do not count.
    for (let i = 0; i < 3; i++) {
      expect((await registerFrom(address, `weak-${i}@example.com`, 'short')).errors![0].extensions.code).toBe('BAD_USER_INPUT');
    }
    for (let i = 0; i < 9; i++) expect((await registerFrom(address, `burst-${i}@example.com`)).errors).toBeUndefined();
    const duplicate = await registerFrom(address, 'taken@example.com');
    expect(duplicate.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['email'] });

    const eleventh = await registerFrom(address, 'burst-10@example.com');
    expect(eleventh.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(eleventh.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(eleventh.errors![0].extensions.retryAfterSeconds).toBeLessThanOrEqual(HOUR_SECONDS);
    // Past the limit, a taken email gets the same answer as a free one.
    expect((await registerFrom(address, 'taken@example.com')).errors![0].extensions.code).toBe('RATE_LIMITED');
    expect((await login('burst-10@example.com')).errors![0].extensions.code).toBe('INVALID_CREDENTIALS');

    expect((await registerFrom('198.51.100.21', 'burst-10@example.com')).errors).toBeUndefined();
  });

  it('makes josé@example.com one account whichever Unicode form it is typed in: the other form is refused like any duplicate, and either form signs in', async () => {
    const address = '198.51.100.30';
    const created = await registerFrom(address, PRECOMPOSED);
    expect(created.data!.register.email).toBe(PRECOMPOSED);

    const sameForm = await registerFrom(address, PRECOMPOSED);
    const otherForm = await registerFrom(address, DECOMPOSED);
    expect(sameForm.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['email'] });
    expect(otherForm.errors![0]).toEqual(sameForm.errors![0]);
    expect((await registerFrom(address, ' JOSE\u0301@EXAMPLE.COM ')).errors![0]).toEqual(sameForm.errors![0]);

    for (const typed of [DECOMPOSED, PRECOMPOSED, ' JOS\u00c9@Example.com ']) {
      const signedIn = await login(typed);
      expect(signedIn.errors).toBeUndefined();
      expect(signedIn.data!.createSession.user).toMatchObject({ id: created.data!.register.id, email: PRECOMPOSED });
    }
  });

  it('finds ADMIN_EMAIL written in another case and Unicode form as one account: signed in to with the usual spelling, and found again at the next start', async () => {
    const admin = await login('root.jos\u00e9@example.com', ADMIN_PASSWORD);
    expect(admin.data!.createSession.user).toMatchObject({ email: 'root.jos\u00e9@example.com', roles: expect.arrayContaining(['ADMIN']) });
    expect((await registerFrom('198.51.100.40', 'Root.Jos\u00e9@example.com')).errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: ['email'],
    });

    // What the next start, or a second instance, does.
    await app.tessera.app.get(UserService).onApplicationBootstrap();
    const rows = await app.tessera.app.get(DataSource).query(`SELECT email FROM users WHERE email LIKE 'root.%'`);
    expect(rows).toEqual([{ email: 'root.jos\u00e9@example.com' }]);
  });

  it('refuses a weak password with BAD_USER_INPUT on the password field: under 12 characters once trimmed, only spaces or invisible characters, or the email itself', async () => {
    const address = '198.51.100.50';
    const email = 'weak.password@example.com';
    for (const password of ['   elevenchars   ', ' '.repeat(16), '\u200b'.repeat(16), 'WEAK.PASSWORD@EXAMPLE.COM', ` ${email} `]) {
      const refused = await registerFrom(address, email, password);
      expect(refused.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', fields: ['password'] });
    }
    expect((await registerFrom(address, email, ' twelve chars ')).errors).toBeUndefined();
    expect((await login(email, ' twelve chars ')).errors).toBeUndefined();
  });
});
