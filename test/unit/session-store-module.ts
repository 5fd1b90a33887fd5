import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Clock } from '../../src/common/clock.js';
import { APP_CONFIG, loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { DomainEvents } from '../../src/events/domain-events.js';
import { SessionRepository } from '../../src/modules/session/data/session.repository.js';
import { UserChangeRepository } from '../../src/modules/session/data/user-change.repository.js';
import { SessionStepUp } from '../../src/modules/session/domain/session-step-up.js';
import { SessionTerminator } from '../../src/modules/session/domain/session-terminator.js';
import { UserChange } from '../../src/modules/session/domain/user-change.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { START } from './fixtures.js';
import { InMemoryDatabase } from './in-memory-database.js';
import { InMemorySessionRepository } from './in-memory-session-repository.js';
import { InMemoryUserChangeRepository } from './in-memory-user-change-repository.js';
import { RecordedEvents } from './recorded-events.js';

export interface SessionStoreModule {
  readonly moduleRef: TestingModule;
  readonly db: InMemoryDatabase;
  readonly clock: ManualClock;
  readonly config: AppConfig;
  readonly events: RecordedEvents;
}

/**
 * What the services that end sessions share in a unit spec: one in-memory store, the session and
 * user-change repositories over it, the real UserChange, SessionTerminator and SessionStepUp, a manual clock at
 * START, the default configuration and the published events recorded. `providers` adds the
 * service under test and any other stand-in, built on the same store. No watcher joins the
 * changes unless `providers` brings one (and the spec starts the module, where they register).
 */
export async function compileOnSessionStore(providers: (db: InMemoryDatabase) => Provider[]): Promise<SessionStoreModule> {
  const db = new InMemoryDatabase();
  const clock = new ManualClock(START);
  const config = loadConfig({});
  const moduleRef = await Test.createTestingModule({
    providers: [
      ...providers(db),
      SessionTerminator,
      SessionStepUp,
      UserChange,
      DomainEvents,
      { provide: SessionRepository, useValue: new InMemorySessionRepository(db) },
      { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
      { provide: Clock, useValue: clock },
      { provide: APP_CONFIG, useValue: config },
    ],
  }).compile();
  return { moduleRef, db, clock, config, events: new RecordedEvents(moduleRef.get(DomainEvents)) };
}
