import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../../../events/domain-events.js';
import {
  EventBus,
  SESSION_ENDED_CHANNEL,
  USER_ROLES_CHANGED_CHANNEL,
  type SessionEndedMessage,
  type UserRolesChangedMessage,
} from '../../../events/event-bus.js';
import { SessionStatus } from '../../session/domain/session.js';

/**
 * Announces ended sessions as soon as their change commits, so that every instance drops them
 * from its cache and closes their sockets, and changed roles, so that every instance's cache
 * serves the new ones to the user's open sessions at once. The user's SessionEvents go through the outbox
 * (SessionEventOutbox, SessionEventRelay); a lost announcement is caught by the sockets'
 * periodic re-check and the cache's SESSION_STATE_TTL.
 */
@Injectable()
export class SessionEventPublisher implements OnModuleInit {
  constructor(
    private readonly domainEvents: DomainEvents,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.domainEvents.subscribe((event) => {
      if (event.type === 'SESSION_ENDED') {
        const { session } = event;
        const status = session.status === SessionStatus.EXPIRED ? 'EXPIRED' : 'REVOKED';
        const message: SessionEndedMessage = { sessionId: session.id, userId: session.userId, status };
        this.bus.publish(SESSION_ENDED_CHANNEL, message);
      } else if (event.type === 'ROLES_CHANGED') {
        const message: UserRolesChangedMessage = { userId: event.userId, roles: event.roles };
        this.bus.publish(USER_ROLES_CHANGED_CHANNEL, message);
      }
    });
  }
}
