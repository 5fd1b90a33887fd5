import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

@Entity({ name: 'session_alerts' })
@Index('session_alerts_user_idx', ['userId', 'createdAt', 'id'])
@Index('session_alerts_fold_idx', ['userId', 'foldKey', 'lastOccurredAt'])
export class SessionAlertEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'session_alerts_user_id_fkey' })
  user?: unknown;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  severity: string;

  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;

  /** Alerts of one cause within the folding window share this key and become one alert. */
  @Column({ name: 'fold_key', type: 'text' })
  foldKey: string;

  @Column({ type: 'integer', default: 1 })
  occurrences: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_occurred_at', type: 'timestamptz' })
  lastOccurredAt: Date;

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt: Date | null;
}
