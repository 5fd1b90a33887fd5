import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Server-side secrets every instance must share (the device-fingerprint key), sealed with DATA_ENCRYPTION_KEY. */
@Entity({ name: 'app_secrets' })
export class AppSecretEntity {
  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ type: 'bytea' })
  ciphertext: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
