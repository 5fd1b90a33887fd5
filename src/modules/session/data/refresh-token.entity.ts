import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';

/** Every refresh token ever issued in a session, by hash, so that a rotated one is recognised when it comes back. */
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
