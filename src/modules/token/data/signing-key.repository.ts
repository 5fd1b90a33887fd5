import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { queryRows } from '../../../database/typed-query.js';
import { SigningKeyEntity } from './signing-key.entity.js';

/** A signing key as listUsable selects it: every column of a SigningKeyEntity, public_jwk (jsonb) parsed. */
interface SigningKeyRow {
  readonly kid: string;
  readonly algorithm: string;
  readonly publicJwk: Record<string, unknown>;
  readonly privateKeyCiphertext: Buffer;
  readonly createdAt: Date;
  readonly activatedAt: Date;
  readonly retiredAt: Date | null;
}

/** Any constant will do, as long as every instance uses the same one. */
const KEY_CREATION_LOCK = 7_315_046_212;

@Injectable()
export class SigningKeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Serialises key creation across instances, so that two fresh instances do not each make an active key. */
  inKeyCreationLock<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_CREATION_LOCK]);
      return work(tx);
    });
  }

  findActive(tx: EntityManager): Promise<SigningKeyEntity | null> {
    return tx.getRepository(SigningKeyEntity).findOne({
      where: { retiredAt: IsNull() },
      order: { activatedAt: 'DESC' },
    });
  }

  findByKid(tx: EntityManager, kid: string): Promise<SigningKeyEntity | null> {
    return tx.getRepository(SigningKeyEntity).findOneBy({ kid });
  }

  async insertActive(tx: EntityManager, key: SigningKeyEntity): Promise<void> {
    await tx.query(`UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND kid <> $2`, [key.activatedAt, key.kid]);
    await tx.query(
      `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_ciphertext, created_at, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [key.kid, key.algorithm, JSON.stringify(key.publicJwk), key.privateKeyCiphertext, key.createdAt, key.activatedAt],
    );
  }

  async reactivate(tx: EntityManager, kid: string, now: Date): Promise<void> {
    await tx.query(`UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND kid <> $2`, [now, kid]);
    await tx.query(`UPDATE signing_keys SET retired_at = NULL, activated_at = $2 WHERE kid = $1`, [kid, now]);
  }

  /** The active key and every retired key whose tokens may still be in use. */
  listUsable(retiredAfter: Date): Promise<SigningKeyEntity[]> {
    return queryRows<SigningKeyRow>(
      this.db,
      `SELECT kid, algorithm, public_jwk AS "publicJwk", private_key_ciphertext AS "privateKeyCiphertext",
              created_at AS "createdAt", activated_at AS "activatedAt", retired_at AS "retiredAt"
         FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > $1
        ORDER BY retired_at IS NULL DESC, activated_at DESC`,
      [retiredAfter],
    );
  }
}
