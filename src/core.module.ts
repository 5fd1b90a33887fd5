import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { Clock } from './common/clock.js';
import { DataCipher } from './common/data-cipher.js';
import { DomainEvents } from './events/domain-events.js';
import type { Logger } from 'pino';
import { ROOT_LOGGER, SecurityEventLog } from './logging/security-event-log.js';
import { PASSWORD_HASH_COST, type PasswordHashCost } from './kernel/password-hash-cost.js';

/** What every module may inject: the validated configuration, the clock, the data cipher, the event bus, argon2id's cost. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(
    config: AppConfig,
    clock: Clock,
    dataEncryptionKey: Buffer,
    logger: Logger,
    passwordHashCost: PasswordHashCost,
  ): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        SecurityEventLog,
        { provide: Clock, useValue: clock },
        { provide: DataCipher, useValue: new DataCipher(dataEncryptionKey) },
        DomainEvents,
        { provide: PASSWORD_HASH_COST, useValue: passwordHashCost },
      ],
      exports: [APP_CONFIG, Clock, DataCipher, DomainEvents, ROOT_LOGGER, PASSWORD_HASH_COST],
    };
  }
}
