import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

@Entity({ name: 'sessions' })
@Check('sessions_status_check', `status IN ('ACTIVE', 'REVOKED', 'EXPIRED')`)
@Check('sessions_ended_check', `(status = 'ACTIVE') = (ended_at IS NULL)`)
@Index('sessions_user_active_idx', ['userId', 'lastActivityAt'], { where: `status = 'ACTIVE'` })
@Index('sessions_device_idx', ['deviceId'])
@Index('sessions_active_idle_idx', ['lastActivityAt'], { where: `status = 'ACTIVE'` })
@Index('sessions_active_expiry_idx', ['expiresAt'], { where: `status = 'ACTIVE'` })
@Index('sessions_replay_successor_idx', ['refreshRotatedAt'], { where: 'refresh_successor_ciphertext IS NOT NULL' })
export class SessionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId: string;

  /** Declared for the foreign keys only; never loaded. */
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'sessions_user_id_fkey' })
  user?: unknown;

  @ManyToOne('DeviceEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'device_id', foreignKeyConstraintName: 'sessions_device_id_fkey' })
  device?: unknown;

  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When the user last proved who they are on this session: the login, or a later reauthenticate. */
  @Column({ name: 'authenticated_at', type: 'timestamptz' })
  authenticatedAt: Date;

  /** The RFC 7638 thumbprint of the device key the session is bound to (DPoP), or null. */
  @Column({ name: 'dpop_jkt', type: 'text', nullable: true })
  dpopJkt: string | null;

  /** RFC 8176 `amr` of the last proof of identity: `pwd`, or `hwk` for the device's key. */
  @Column({ name: 'authentication_method', type: 'varchar', length: 8, default: 'pwd' })
  authenticationMethod: string;

  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  /** Generation of the session's current refresh token; 0 for the one issued at login. */
  @Column({ name: 'refresh_generation', type: 'integer', default: 0 })
  refreshGeneration: number;

  /** Highest generation the client has proven it received (used its refresh or access token). */
  @Column({ name: 'refresh_committed_generation', type: 'integer', default: 0 })
  refreshCommittedGeneration: number;

  /** When the parent of the current refresh token was rotated; starts the reuse grace window. */
  @Column({ name: 'refresh_rotated_at', type: 'timestamptz', nullable: true })
  refreshRotatedAt: Date | null;

  /**
   * The current refresh token, encrypted, so that a replayed parent can be answered with it; only
   * while that can happen: deleted once committed and past the grace window (SessionSweeper).
   */
  @Column({ name: 'refresh_successor_ciphertext', type: 'bytea', nullable: true })
  refreshSuccessorCiphertext: Buffer | null;

  /**
   * SHA-256 of the current refresh token; null while the current one is of the legacy format
   * (found through refresh_tokens instead).
   */
  @Column({ name: 'refresh_token_hash', type: 'bytea', nullable: true })
  refreshTokenHash: Buffer | null;

  /** SHA-256 of the current token's parent, the one token a lost answer lets come back (replay); null as above. */
  @Column({ name: 'refresh_parent_hash', type: 'bytea', nullable: true })
  refreshParentHash: Buffer | null;
}
