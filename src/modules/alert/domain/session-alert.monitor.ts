import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import { SessionActivityService } from '../../activity/domain/session-activity.service.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { SessionAlertService } from './session-alert.service.js';
import { alertsFor, type AlertContext } from './session-alert.rules.js';

/**
 * Watches every committed domain event: writes it to the activity log (a refresh has written
 * its own entry in its transaction), then applies the alert rules. One event after another, so that a rule asking "seen before?" finds every earlier event
 * recorded; off the request path, so that neither slows or fails a user's request.
 */
@Injectable()
export class SessionAlertMonitor implements OnModuleInit {
  private readonly logger = new Logger(SessionAlertMonitor.name);
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly domainEvents: DomainEvents,
    private readonly activity: SessionActivityService,
    private readonly alerts: SessionAlertService,
    private readonly devices: DeviceService,
  ) {}

  onModuleInit(): void {
    this.domainEvents.subscribe((event) => {
      this.queue = this.queue
        .then(() => this.handle(event))
        .catch((error: Error) => this.logger.error(`Handling ${event.type} failed: ${error.message}`));
    });
  }

  /** Resolves once every event published so far has been handled (for tests and shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async handle(event: DomainEvent): Promise<void> {
    // Asked before this event is recorded, so that it does not count as its own precedent.
    const context = await this.contextFor(event);
    await this.activity.record(event);
    for (const candidate of alertsFor(event, context)) {
      await this.alerts.raise(candidate, event.client);
    }
  }

  private async contextFor(event: DomainEvent): Promise<AlertContext> {
    if (event.type === 'DEVICE_REGISTERED') {
      return { hadOtherDevices: (await this.devices.listForUser(event.device.userId)).length > 1 };
    }
    // The busiest event: the refresh recorded itself and asked the log in its own transaction.
    if (event.type === 'SESSION_REFRESHED') return event.recorded;
    if (event.type === 'SESSION_CREATED' && event.client?.ipAddress) {
      return this.activity.addressContext(event.session.userId, event.client.ipAddress, event.session.createdAt);
    }
    return {};
  }
}
