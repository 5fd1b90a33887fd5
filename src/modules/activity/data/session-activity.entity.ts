import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

@Entity({ name: 'session_activity' })
@Index('session_activity_user_idx', ['userId', 'occurredAt', 'seq'])
@Index('session_activity_occurred_idx', ['occurredAt'])
@Index('session_activity_user_ip_idx', ['userId', 'ipAddress', 'occurredAt'])
export class SessionActivityEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Insertion order: breaks ties between entries of the same instant, in the order they happened. */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  seq: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'session_activity_user_id_fkey' })
  user?: unknown;

  /** No foreign key: the log outlives the session rows it mentions. */
  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  /** Part of the key because the table is partitioned by it (one partition per day). */
  @PrimaryColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;
}
