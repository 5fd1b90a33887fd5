import { describe, expect, it, jest } from '@jest/globals';
import { OWASP_PASSWORD_HASH_COST } from '../../../kernel/password-hash-cost.js';
import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  it('hashes with argon2id at the cost it is given, and verifies whatever cost a stored hash names', async () => {
    const service = new PasswordHasher(OWASP_PASSWORD_HASH_COST);
    const cheap = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const stored = await service.hash('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(cheap.verify(stored, 'correct horse battery')).resolves.toBe(true);
    await expect(cheap.verify(stored, 'correct horse battery!')).resolves.toBe(false);
    await expect(cheap.verify('not a hash', 'correct horse battery')).resolves.toBe(false);
  });

  it('checks an unknown email’s password against a real hash at the same cost, so both failures take as long', async () => {
    const hasher = new PasswordHasher(OWASP_PASSWORD_HASH_COST);
    const verify = jest.spyOn(hasher, 'verify');
    await expect(hasher.verifyAgainstDecoy('anything')).resolves.toBe(false);
    expect(verify).toHaveBeenCalledWith(expect.stringMatching(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/), 'anything');
  });
});
