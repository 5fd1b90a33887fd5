/** Channels every instance listens on. */
export const userEventsChannel = (userId: string) => `user:${userId}`;
export const SESSION_ENDED_CHANNEL = 'session-ended';

/** Carried on SESSION_ENDED_CHANNEL: drop this session from caches, close its sockets. */
export interface SessionEndedMessage {
  readonly sessionId: string;
  readonly userId: string;
  readonly status: 'REVOKED' | 'EXPIRED';
}

export const USER_ROLES_CHANGED_CHANNEL = 'user-roles-changed';

/** Carried on USER_ROLES_CHANGED_CHANNEL: the user's sessions act with these roles from now on. */
export interface UserRolesChangedMessage {
  readonly userId: string;
  readonly roles: readonly string[];
}

export type BusHealth = 'in-process' | 'up' | 'down';

/**
 * Publish/subscribe between the parts of the service, and between instances when Redis is
 * configured. Delivery to this instance's own subscribers never depends on Redis.
 */
export abstract class EventBus {
  abstract publish(channel: string, payload: object): void;
  /**
   * Publishes, and resolves only once every instance can receive it (Redis accepted it): the
   * outbox relay marks a row sent on that, and keeps it for a retry otherwise.
   */
  abstract publishConfirmed(channel: string, payload: object): Promise<void>;
  /** Calls `handler` for every message on the channel; returns the unsubscribe function. */
  abstract subscribe<T>(channel: string, handler: (payload: T) => void): Promise<() => void>;
  abstract iterate<T>(channel: string): AsyncIterableIterator<T>;
  abstract health(): BusHealth;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** JSON.parse reviver: payloads cross Redis as JSON, and come back with their dates as Dates. */
export function reviveDates(_key: string, value: unknown): unknown {
  return typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : value;
}
