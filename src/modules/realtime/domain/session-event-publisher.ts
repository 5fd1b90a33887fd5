import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../../../common/clock.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import { EventBus, SESSION_ENDED_CHANNEL, userEventsChannel, type SessionEndedMessage } from '../../../events/event-bus.js';
import type { Device } from '../../device/domain/device.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { SessionStatus, type Session } from '../../session/domain/session.js';
import { SessionEventType, type SessionEventMessage } from './session-event.js';

/**
 * Turns committed domain events into the user's real-time SessionEvents on the bus, so that
 * every device of the user on every instance hears of them, and announces ended sessions so
 * that every instance drops them from its cache and closes their sockets.
 */
@Injectable()
export class SessionEventPublisher implements OnModuleInit {
  constructor(
    private readonly domainEvents: DomainEvents,
    private readonly bus: EventBus,
    private readonly devices: DeviceService,
    private readonly clock: Clock,
  ) {}

  /** One after another: a device lookup for one event must not let a later event overtake it. */
  private queue: Promise<void> = Promise.resolve();

  onModuleInit(): void {
    this.domainEvents.subscribe((event) => {
      // Before anything asynchronous: caches on this instance forget the session before the
      // request that ended it has answered, so its token fails at once.
      if (event.type === 'SESSION_ENDED') this.announceEnd(event.session);
      const published = this.queue.then(() => this.publish(event));
      this.queue = published.catch(() => undefined);
      return published;
    });
  }

  private async publish(event: DomainEvent): Promise<void> {
    switch (event.type) {
      case 'SESSION_CREATED':
        return this.send(event.version, SessionEventType.SESSION_CREATED, event.session, event.device);
      case 'SESSION_REFRESHED':
        return this.send(event.version, SessionEventType.SESSION_REFRESHED, event.session, event.device);
      case 'SESSION_ENDED': {
        const type = event.session.status === SessionStatus.EXPIRED ? SessionEventType.SESSION_EXPIRED : SessionEventType.SESSION_REVOKED;
        return this.send(event.version, type, event.session);
      }
      case 'DEVICE_TRUSTED':
        return this.sendDevice(event.version, SessionEventType.DEVICE_TRUSTED, event.device);
      case 'DEVICE_UNTRUSTED':
        return this.sendDevice(event.version, SessionEventType.DEVICE_UNTRUSTED, event.device);
      case 'ALERT_RAISED': {
        const { alert } = event;
        return this.emit({
          type: SessionEventType.ALERT_RAISED,
          userId: alert.userId,
          sessionId: alert.sessionId,
          version: event.version,
          occurredAt: alert.createdAt,
          session: null,
          device: null,
          alert,
        });
      }
      // Not changes to the session list a device shows: what follows from them (an ended
      // session, an alert) has an event of its own.
      case 'REFRESH_TOKEN_REUSED':
      case 'LOGIN_FAILED':
      case 'BRUTE_FORCE_DETECTED':
      case 'SESSION_LIMIT_REACHED':
      case 'DEVICE_REGISTERED':
        return;
    }
  }

  private announceEnd(session: Session): void {
    const status = session.status === SessionStatus.EXPIRED ? 'EXPIRED' : 'REVOKED';
    const message: SessionEndedMessage = { sessionId: session.id, userId: session.userId, status };
    this.bus.publish(SESSION_ENDED_CHANNEL, message);
  }

  private async send(version: number, type: SessionEventType, session: Session, device?: Device): Promise<void> {
    const resolvedDevice = device ?? (await this.devices.getById(session.deviceId)) ?? null;
    this.emit({
      type,
      userId: session.userId,
      sessionId: session.id,
      version,
      occurredAt: this.clock.now(),
      session,
      device: resolvedDevice,
      alert: null,
    });
  }

  private sendDevice(version: number, type: SessionEventType, device: Device): void {
    this.emit({ type, userId: device.userId, sessionId: null, version, occurredAt: this.clock.now(), session: null, device, alert: null });
  }

  private emit(message: SessionEventMessage): void {
    this.bus.publish(userEventsChannel(message.userId), message);
  }
}
