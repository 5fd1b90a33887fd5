import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id (the library's default algorithm) with the library's default cost (m=19 MiB, t=2, p=1),
 * OWASP's recommended minimum.
 */
@Injectable()
export class PasswordHasher {
  /** A real hash of a random password, verified when the email is unknown so both failures take as long. */
  private decoyHash: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  async verifyAgainstDecoy(password: string): Promise<false> {
    this.decoyHash ??= hash(crypto.randomUUID());
    await this.verify(await this.decoyHash, password);
    return false;
  }
}
