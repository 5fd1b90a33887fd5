import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DataCipher } from '../common/data-cipher.js';
import { queryRows } from './typed-query.js';

interface AppSecretCiphertextRow {
  readonly ciphertext: Buffer;
}

@Injectable()
export class AppSecretRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: DataCipher,
  ) {}

  /**
   * The named 32-byte secret, created on first use. Instances starting together race on the
   * insert; the primary key picks one winner and everybody reads the winner's value.
   */
  async getOrCreate(name: string, now: Date): Promise<Buffer> {
    const aad = `app-secret:${name}`;
    await this.db.query(`INSERT INTO app_secrets (name, ciphertext, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, [
      name,
      this.cipher.encrypt(randomBytes(32), aad),
      now,
    ]);
    const rows = await queryRows<AppSecretCiphertextRow>(this.db, `SELECT ciphertext FROM app_secrets WHERE name = $1`, [name]);
    return this.cipher.decrypt(rows[0].ciphertext, aad);
  }
}
