import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { Clock } from './common/clock.js';
import { DataCipher } from './common/data-cipher.js';
import { DomainEvents } from './events/domain-events.js';
import type { Logger } from 'pino';
import { ROOT_LOGGER, SecurityEventLog } from './logging/security-event-log.js';

/** What every module may inject: the validated configuration, the clock, the data cipher, the event bus. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, clock: Clock, dataEncryptionKey: Buffer, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        SecurityEventLog,
        { provide: Clock, useValue: clock },
        { provide: DataCipher, useValue: new DataCipher(dataEncryptionKey) },
        DomainEvents,
      ],
      exports: [APP_CONFIG, Clock, DataCipher, DomainEvents, ROOT_LOGGER],
    };
  }
}
