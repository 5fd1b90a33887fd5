import type { PasswordHasher } from '../../src/modules/user/domain/password-hasher.js';

/**
 * argon2id costs tens of milliseconds a check by design; the services only ask "does it match",
 * so a plain comparison keeps the unit tier fast. Counts checks, so a test can tell that a
 * refused login never reached the password.
 */
export class FastPasswordHasher implements Pick<PasswordHasher, 'hash' | 'verify' | 'verifyAgainstDecoy'> {
  verifications = 0;

  hash(password: string): Promise<string> {
    return Promise.resolve(FastPasswordHasher.hashOf(password));
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    this.verifications++;
    return Promise.resolve(passwordHash === FastPasswordHasher.hashOf(password));
  }

  verifyAgainstDecoy(_password: string): Promise<false> {
    this.verifications++;
    return Promise.resolve(false);
  }

  static hashOf(password: string): string {
    return `plain:${password}`;
  }
}
