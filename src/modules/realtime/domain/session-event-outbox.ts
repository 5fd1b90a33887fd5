import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { DomainEvent } from '../../../events/domain-events.js';
import type { Device } from '../../device/domain/device.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { UserChange, type ChangeScope, type ChangeWatcher } from '../../session/domain/user-change.js';
import { sessionEventFor } from './session-event.js';

/**
 * Writes each change's real-time events to the outbox in the change's own transaction (the
 * rotation writes its one row itself): an event can no longer be lost between the commit and
 * the bus. SessionEventRelay sends them on.
 */
@Injectable()
export class SessionEventOutbox implements OnModuleInit, ChangeWatcher {
  readonly stage = 'records';

  constructor(
    private readonly userChange: UserChange,
    private readonly devices: DeviceService,
  ) {}

  onModuleInit(): void {
    this.userChange.watch(this);
  }

  async inTransaction(change: ChangeScope, events: readonly DomainEvent[]): Promise<void> {
    const pending = events.filter((event) => !change.isWritten(event));
    const devices = await this.devicesOfEndedSessions(change, pending);
    for (const event of pending) {
      const message = sessionEventFor(event, change.now, devices);
      if (message) change.addToOutbox({ version: message.version, type: message.type, payload: message });
    }
  }

  /** A written event's outbox row is its own statement's. */
  addsNothingTo(): boolean {
    return true;
  }

  private async devicesOfEndedSessions(change: ChangeScope, events: readonly DomainEvent[]): Promise<Map<string, Device>> {
    const ids = new Set(events.flatMap((event) => (event.type === 'SESSION_ENDED' ? [event.session.deviceId] : [])));
    const devices = await this.devices.getByIds([...ids], change.tx);
    return new Map(devices.map((device) => [device.id, device]));
  }
}
