import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

@Entity({ name: 'devices' })
/** Only live devices hold their fingerprint: a removed one's phone signing in again is a new device. */
@Index('devices_user_fingerprint_live', ['userId', 'fingerprint'], { unique: true, where: 'removed_at IS NULL' })
export class DeviceEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** Declared for the foreign key only; never loaded (entities name each other by string to avoid ESM import cycles). */
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'devices_user_id_fkey' })
  user?: unknown;

  /** HMAC-SHA256 of the app's deviceId and stable attributes: the raw identifier is never stored. */
  @Column({ type: 'bytea' })
  fingerprint: Buffer;

  @Column({ type: 'varchar', length: 16 })
  type: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', nullable: true })
  model: string | null;

  @Column({ name: 'os_version', type: 'text', nullable: true })
  osVersion: string | null;

  @Column({ name: 'app_version', type: 'text', nullable: true })
  appVersion: string | null;

  @Column({ type: 'boolean', default: false })
  trusted: boolean;

  @Column({ name: 'trusted_at', type: 'timestamptz', nullable: true })
  trustedAt: Date | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  /** The owner named it: the name the app reports at login no longer replaces it. */
  @Column({ name: 'named_by_user', type: 'boolean', default: false })
  namedByUser: boolean;

  /** Forgotten by its owner: out of the list, its sessions ended, its fingerprint free again. */
  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt: Date | null;

  /** The thumbprint of the key its last device-bound sign-in proved (DPoP). */
  @Column({ name: 'dpop_jkt', type: 'text', nullable: true })
  dpopJkt: string | null;
}
