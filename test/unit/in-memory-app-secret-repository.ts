import { randomBytes } from 'node:crypto';
import type { AppSecretRepository } from '../../src/database/app-secret.repository.js';
import type { InMemoryDatabase } from './in-memory-database.js';

export class InMemoryAppSecretRepository implements Pick<AppSecretRepository, 'getOrCreate'> {
  constructor(private readonly db: InMemoryDatabase) {}

  /** Created on first use, then the same secret for as long as the database lives. */
  getOrCreate(name: string, _now: Date): Promise<Buffer> {
    return this.db.write('AppSecretRepository.getOrCreate', (tables) => {
      const secret = tables.appSecrets.get(name) ?? randomBytes(32);
      tables.appSecrets.set(name, secret);
      return secret;
    });
  }
}
