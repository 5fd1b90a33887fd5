import { Injectable } from '@nestjs/common';
import { SessionOutboxRepository } from '../data/session-outbox.repository.js';
import type { SessionEventMessage } from './session-event.js';

/** At most this many missed events are replayed at once; a device further behind refetches its lists. */
export const MAX_REPLAYED_EVENTS = 500;

/**
 * What a device missed, from the outbox while its rows are kept (OUTBOX_RETENTION): for a
 * subscription that starts from a known version, and for one that sees a gap in the versions.
 */
@Injectable()
export class SessionEventHistory {
  constructor(private readonly outbox: SessionOutboxRepository) {}

  /** The user's events after version `after`, up to `until` when given, oldest first. */
  missed(userId: string, after: number, until = 2 ** 31 - 1): Promise<SessionEventMessage[]> {
    return this.outbox.listAfter(userId, after, until, MAX_REPLAYED_EVENTS);
  }
}
