import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/domain-error.js';
import { assertPasswordPolicy } from './password-policy.js';

const EMAIL = 'alice@example.com';

function refusal(password: string, email = EMAIL): DomainError | undefined {
  try {
    assertPasswordPolicy(password, email);
    return undefined;
  } catch (error) {
    return error as DomainError;
  }
}

describe('assertPasswordPolicy', () => {
  it('accepts 12 characters, spaces inside included, and keeps the password as given', () => {
    expect(refusal('twelve chars')).toBeUndefined();
    expect(refusal('  twelve chars  ')).toBeUndefined();
    expect(refusal('correct horse battery staple')).toBeUndefined();
  });

  it('refuses fewer than 12 characters once the spaces around it are gone, as BAD_USER_INPUT on the password field', () => {
    for (const password of ['elevenchars', '   elevenchars   ', '\televenchars\n']) {
      const error = refusal(password);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { fields: ['password'] } });
      expect(error!.message).toMatch(/at least 12 characters/);
    }
  });

  it('counts characters as people see them, not UTF-16 units', () => {
    expect(refusal('🔑'.repeat(11))?.code).toBe('BAD_USER_INPUT');
    expect(refusal('🔑'.repeat(12))).toBeUndefined();
    expect(refusal('🔑'.repeat(128))).toBeUndefined();
    expect(refusal('🔑'.repeat(129))?.message).toMatch(/at most 128/);
  });

  it('refuses a password of only spaces or invisible characters, however long', () => {
    for (const password of [' '.repeat(20), '\u00a0\u3000'.repeat(10), '\u200b'.repeat(20), '\u200b \u2060\ufeff'.repeat(5)]) {
      expect(refusal(password)).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { fields: ['password'] } });
    }
    expect(refusal('\u200b'.repeat(20))!.message).toMatch(/only spaces or invisible/);
  });

  it('refuses the account’s own email as its password, in any case, spacing or Unicode form', () => {
    const email = 'jos\u00e9.alvarez@example.com';
    for (const password of [email, email.toUpperCase(), ` ${email} `, 'JOSE\u0301.ALVAREZ@EXAMPLE.COM']) {
      expect(refusal(password, email)).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { fields: ['password'] } });
    }
    expect(refusal(`${email}!`, email)).toBeUndefined();
  });
});
