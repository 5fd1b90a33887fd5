import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';

/**
 * Legacy: the hash of every refresh token issued in the old opaque format, so that a rotated one
 * is recognised when it comes back. Nothing is written here any more (current tokens name their
 * session and generation, and the session row holds the hashes it needs); kept, read-only, until
 * the last session that held such a token has ended, then dropped (ARCHITECTURE.md).
 */
@Entity({ name: 'refresh_tokens' })
@Unique('refresh_tokens_one_per_generation', ['sessionId', 'generation'])
export class RefreshTokenEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne('SessionEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'refresh_tokens_session_id_fkey' })
  session?: unknown;

  @Column({ type: 'integer' })
  generation: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
