import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** Declares session_outbox for the schema check; the rows are written and read with SQL. */
@Entity({ name: 'session_outbox' })
@Index('session_outbox_unsent_idx', ['userId', 'version'], { where: 'sent_at IS NULL' })
@Index('session_outbox_sent_idx', ['sentAt'], { where: 'sent_at IS NOT NULL' })
export class SessionOutboxEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ type: 'integer' })
  version: number;

  /** Declared for the foreign key only; never loaded. */
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'session_outbox_user_id_fkey' })
  user?: unknown;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'json' })
  payload: unknown;

  /** Part of the key because the table is partitioned by it (one partition per day). */
  @PrimaryColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;
}
