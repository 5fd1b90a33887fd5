import { Inject, Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import { PASSWORD_HASH_COST, type PasswordHashCost } from '../../../kernel/password-hash-cost.js';

/**
 * argon2id (the library's default algorithm) at OWASP's recommended minimum cost (m=19 MiB,
 * t=2, p=1) unless the app was built with another (tests only: see TesseraAppOptions). A hash
 * carries its own parameters, so verification needs no cost.
 */
@Injectable()
export class PasswordHasher {
  constructor(@Inject(PASSWORD_HASH_COST) private readonly cost: PasswordHashCost) {}

  /** A real hash of a random password, verified when the email is unknown so both failures take as long. */
  private decoyHash: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password, this.cost);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  async verifyAgainstDecoy(password: string): Promise<false> {
    this.decoyHash ??= this.hash(crypto.randomUUID());
    await this.verify(await this.decoyHash, password);
    return false;
  }
}
