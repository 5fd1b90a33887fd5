import type { DataSourceOptions } from 'typeorm';
import { UserEntity } from '../modules/user/data/user.entity.js';
import { DeviceEntity } from '../modules/device/data/device.entity.js';
import { SessionEntity } from '../modules/session/data/session.entity.js';
import { RefreshTokenEntity } from '../modules/session/data/refresh-token.entity.js';
import { SigningKeyEntity } from '../modules/token/data/signing-key.entity.js';
import { AppSecretEntity } from './app-secret.entity.js';
import { InitialSchema1764300000000 } from './migrations/1764300000000-initial-schema.js';
import { UserEventVersion1764400000000 } from './migrations/1764400000000-user-event-version.js';
import { ActivityAndAlerts1764500000000 } from './migrations/1764500000000-activity-and-alerts.js';
import { SessionSweepIndexes1764600000000 } from './migrations/1764600000000-session-sweep-indexes.js';
import { ReplaySuccessorIndex1764650000000 } from './migrations/1764650000000-replay-successor-index.js';
import { SessionOutbox1764700000000 } from './migrations/1764700000000-session-outbox.js';
import { PartitionActivity1764800000000 } from './migrations/1764800000000-partition-activity.js';
import { AccountLifecycle1764900000000 } from './migrations/1764900000000-account-lifecycle.js';
import { DeviceBoundSessions1765000000000 } from './migrations/1765000000000-device-bound-sessions.js';
import { FlatRefreshTokens1765100000000 } from './migrations/1765100000000-flat-refresh-tokens.js';
import { PartitionOutbox1765200000000 } from './migrations/1765200000000-partition-outbox.js';
import { SessionOutboxEntity } from '../modules/realtime/data/session-outbox.entity.js';
import { SessionActivityEntity } from '../modules/activity/data/session-activity.entity.js';
import { SessionAlertEntity } from '../modules/alert/data/session-alert.entity.js';

export const ENTITIES = [
  UserEntity,
  DeviceEntity,
  SessionEntity,
  RefreshTokenEntity,
  SigningKeyEntity,
  AppSecretEntity,
  SessionActivityEntity,
  SessionAlertEntity,
  SessionOutboxEntity,
];
export const MIGRATIONS = [
  InitialSchema1764300000000,
  UserEventVersion1764400000000,
  ActivityAndAlerts1764500000000,
  SessionSweepIndexes1764600000000,
  ReplaySuccessorIndex1764650000000,
  SessionOutbox1764700000000,
  PartitionActivity1764800000000,
  AccountLifecycle1764900000000,
  DeviceBoundSessions1765000000000,
  FlatRefreshTokens1765100000000,
  PartitionOutbox1765200000000,
];

export interface ConnectionTarget {
  readonly url: string;
  /** 1 for the embedded server: PGlite serialises everything through one backend. */
  readonly poolSize: number;
}

/** The one definition of how Tessera talks to PostgreSQL, used by the app, the CLI and the tests. */
export function buildDataSourceOptions(target: ConnectionTarget): DataSourceOptions {
  return {
    type: 'postgres',
    url: target.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    applicationName: 'tessera',
    extra: {
      max: target.poolSize,
      // Fail closed and fast when the database is gone instead of queueing requests forever.
      connectionTimeoutMillis: 5_000,
      query_timeout: 15_000,
      // The prepared (named) statements are planned once per connection, not once per call. Left
      // to itself, PostgreSQL keeps planning a statement over the partitioned activity log for each
      // call's values (milliseconds over a month of day partitions) when pruning at run time costs
      // microseconds.
      options: '-c plan_cache_mode=force_generic_plan',
    },
  };
}
