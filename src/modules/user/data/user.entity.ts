import { Column, CreateDateColumn, Entity, PrimaryColumn, Unique } from 'typeorm';

@Entity({ name: 'users' })
@Unique('users_email_unique', ['email'])
export class UserEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Normalised (trimmed, lower-case) so that one person cannot hold two accounts by case. */
  @Column({ type: 'text' })
  email: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Column({ type: 'text', array: true, default: () => "'{USER}'" })
  roles: string[];

  /** Version of the user's latest session event; bumped in the transaction of each change. */
  @Column({ name: 'event_version', type: 'integer', default: 0 })
  eventVersion: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Set by an administrator: no session, no login, no refresh until cleared. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;
}
