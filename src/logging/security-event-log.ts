import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainEvents, type DomainEvent } from '../events/domain-events.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * One structured log line per security event, for whoever watches the logs: what happened, to
 * which user and session, from where. Identifiers only; never a token, a password or a key.
 */
@Injectable()
export class SecurityEventLog implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.events.subscribe((event) => this.write(event));
  }

  private write(event: DomainEvent): void {
    const where = { ip: event.client?.ipAddress ?? undefined };
    const line = (level: 'info' | 'warn', fields: Record<string, unknown>) =>
      this.logger[level]({ securityEvent: event.type, ...fields, ...where }, `security event ${event.type}`);
    switch (event.type) {
      case 'SESSION_CREATED':
        return line('info', { userId: event.session.userId, sessionId: event.session.id, deviceId: event.device.id });
      case 'SESSION_ENDED':
        return line('info', { userId: event.session.userId, sessionId: event.session.id, reason: event.session.endReason });
      case 'REFRESH_TOKEN_REUSED':
      case 'DEVICE_KEY_REFUSED':
        return line('warn', { userId: event.session.userId, sessionId: event.session.id });
      case 'LOGIN_FAILED':
        return line('info', { userId: event.userId, reason: event.reason });
      case 'BRUTE_FORCE_DETECTED':
        return line('warn', { userId: event.userId, failures: event.failures });
      case 'DEVICE_REGISTERED':
      case 'DEVICE_TRUSTED':
      case 'DEVICE_UNTRUSTED':
      case 'DEVICE_RENAMED':
      case 'DEVICE_REMOVED':
        return line('info', { userId: event.device.userId, deviceId: event.device.id });
      case 'PASSWORD_CHANGED':
        return line('info', { userId: event.userId, sessionId: event.sessionId });
      case 'REAUTHENTICATED':
        return line('info', { userId: event.session.userId, sessionId: event.session.id, method: event.method });
      // An administrator's decisions about an account: who, about whom.
      case 'ACCOUNT_DISABLED':
      case 'ACCOUNT_ENABLED':
        return line('warn', { userId: event.userId, actorUserId: event.actorUserId });
      case 'ROLES_CHANGED':
        return line('warn', {
          userId: event.userId,
          actorUserId: event.actorUserId,
          roles: event.roles,
          previousRoles: event.previousRoles,
        });
      case 'ALERT_ACKNOWLEDGED':
        return line('info', { userId: event.alert.userId, alertId: event.alert.id });
      case 'ALERT_REPORTED':
        return line('warn', { userId: event.alert.userId, alertId: event.alert.id, sessionId: event.alert.sessionId ?? undefined });
      case 'ALERT_RAISED':
        return line('warn', {
          userId: event.alert.userId,
          alertId: event.alert.id,
          alertType: event.alert.type,
          severity: event.alert.severity,
        });
      // Routine or already told: a refresh is the busiest event and says nothing about security;
      // a session limit's ends come as SESSION_ENDED lines.
      case 'SESSION_REFRESHED':
      case 'SESSION_LIMIT_REACHED':
        return;
    }
  }
}
