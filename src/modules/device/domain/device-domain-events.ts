import type { Session } from '../../session/domain/session.js';
import type { Device } from './device.js';

/**
 * What is published on DomainEvents about devices: trust changes, and a device seen for the
 * first time (raised by the login that recognised it).
 */
export type DeviceDomainEvent =
  | { readonly type: 'DEVICE_TRUSTED'; readonly version: number; readonly device: Device }
  | { readonly type: 'DEVICE_UNTRUSTED'; readonly version: number; readonly device: Device; readonly endedSessions: readonly Session[] }
  /** The owner named it. */
  | { readonly type: 'DEVICE_RENAMED'; readonly version: number; readonly device: Device; readonly previousName: string | null }
  /** The owner forgot it: its sessions ended, and its next login is a new device. */
  | { readonly type: 'DEVICE_REMOVED'; readonly version: number; readonly device: Device; readonly endedSessions: readonly Session[] }
  /** No version: not a change of its own, but a detail of the login that created the session. */
  | { readonly type: 'DEVICE_REGISTERED'; readonly device: Device };

declare module '../../../events/domain-events.js' {
  interface DomainEventsByModule {
    device: DeviceDomainEvent;
  }
}
