import { Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DomainEvents, type DomainEvent } from '../events/domain-events.js';

const REFRESH_OUTCOMES = ['rotated', 'replayed', 'reused', 'invalid', 'ended', 'expired', 'rate_limited', 'unavailable', 'error'] as const;
export type RefreshOutcome = (typeof REFRESH_OUTCOMES)[number];

const LOGIN_FAILURE_REASONS = ['invalid_credentials', 'rate_limited', 'bad_input', 'unavailable', 'error'] as const;
type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];

/**
 * The label values the modules' events can carry, named here without importing the modules
 * (infrastructure does not depend on them): the Record types make the compiler refuse a list that
 * misses or misspells a value of the modules' enums.
 */
type SessionEndReason = NonNullable<Extract<DomainEvent, { type: 'SESSION_ENDED' }>['session']['endReason']>;
type AlertType = Extract<DomainEvent, { type: 'ALERT_RAISED' }>['alert']['type'];
const SESSION_END_REASONS: Record<SessionEndReason, true> = {
  LOGOUT: true,
  REVOKED_BY_USER: true,
  REVOKED_BY_ADMIN: true,
  REFRESH_TOKEN_REUSED: true,
  IDLE_TIMEOUT: true,
  ABSOLUTE_TIMEOUT: true,
  SESSION_LIMIT: true,
  DEVICE_UNTRUSTED: true,
  PASSWORD_CHANGED: true,
  ACCOUNT_DISABLED: true,
  REPORTED_BY_USER: true,
  DEVICE_REMOVED: true,
};
/** A session ended without a recorded reason; not expected, counted rather than dropped. */
const UNKNOWN_END_REASON = 'unknown';
const ALERT_TYPES: Record<AlertType, true> = {
  NEW_DEVICE: true,
  REFRESH_TOKEN_REUSE: true,
  NEW_IP_ADDRESS: true,
  BRUTE_FORCE: true,
  SESSION_LIMIT_REACHED: true,
  SESSION_REVOKED_BY_ADMIN: true,
  PASSWORD_CHANGED: true,
  REFRESH_WITHOUT_DEVICE_KEY: true,
};

/**
 * prom-client's default metrics include three gauges named `*_total`, which Prometheus reserves
 * for counters (promtool check metrics refuses them). Each is the sum of the labelled gauge of
 * the same name without `_total` (`sum(tessera_nodejs_active_handles)`), so nothing is lost.
 */
const GAUGES_NAMED_LIKE_COUNTERS = [
  'tessera_nodejs_active_handles_total',
  'tessera_nodejs_active_requests_total',
  'tessera_nodejs_active_resources_total',
];

/** Label values are lower snake_case throughout; the modules' enums are upper case. */
function labelValue(value: string): string {
  return value.toLowerCase();
}

/**
 * The service's numbers for Prometheus (GET /metrics). One registry per app, so that several
 * apps in one process (tests) do not share counters.
 */
@Injectable()
export class SessionMetrics implements OnModuleInit {
  readonly registry = new Registry();
  private readonly sessionsCreated = new Counter({
    name: 'tessera_sessions_created_total',
    help: 'Sessions opened by a login.',
    registers: [this.registry],
  });
  private readonly refreshes = new Counter({
    name: 'tessera_refreshes_total',
    help: 'Refresh requests by outcome.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly rotations = new Counter({
    name: 'tessera_refresh_rotations_total',
    help:
      'Refresh-token rotations by how they committed: unlocked (a read, then one write on condition that nothing changed) or ' +
      'locked (under the user and session row locks: a change came in between, the refresh raised an alert, or the database is the embedded one).',
    labelNames: ['path'],
    registers: [this.registry],
  });
  private readonly reuse = new Counter({
    name: 'tessera_refresh_token_reuse_total',
    help: 'Refresh-token reuse detections (each ends a session).',
    registers: [this.registry],
  });
  private readonly sessionsEnded = new Counter({
    name: 'tessera_sessions_ended_total',
    help: 'Sessions ended, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly alerts = new Counter({
    name: 'tessera_alerts_raised_total',
    help: 'Alerts raised (not folded repeats), by type.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly loginFailures = new Counter({
    name: 'tessera_login_failures_total',
    help: 'Failed logins, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly refreshSeconds = new Histogram({
    name: 'tessera_refresh_duration_seconds',
    help: 'Time to answer a refresh.',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly loginSeconds = new Histogram({
    name: 'tessera_login_duration_seconds',
    help: 'Time to answer a login (argon2id included).',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly deviceKeyRefusals = new Counter({
    name: 'tessera_refresh_device_key_refusals_total',
    help: 'Refreshes of device-bound sessions refused for want of a proof by the device key (a copied refresh token).',
    registers: [this.registry],
  });
  private readonly relayedEvents = new Counter({
    name: 'tessera_outbox_events_relayed_total',
    help: 'Real-time events this instance relayed from the outbox to the bus.',
    registers: [this.registry],
  });
  private readonly relayFailures = new Counter({
    name: 'tessera_outbox_relay_failures_total',
    help: 'Relay passes that left events in the outbox for a retry (bus or database unavailable).',
    registers: [this.registry],
  });
  private countSockets: () => SocketCounts = () => ({ connections: 0, subscriptions: 0 });
  private readonly webSocketConnections: Gauge = new Gauge({
    name: 'tessera_websocket_connections',
    help: 'Open graphql-ws connections on this instance.',
    registers: [this.registry],
    collect: (): void => this.webSocketConnections.set(this.countSockets().connections),
  });
  private readonly webSocketSubscriptions: Gauge = new Gauge({
    name: 'tessera_websocket_subscriptions',
    help: 'Running sessionEvents subscriptions on the graphql-ws connections of this instance.',
    registers: [this.registry],
    collect: (): void => this.webSocketSubscriptions.set(this.countSockets().subscriptions),
  });

  constructor(private readonly events: DomainEvents) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) this.registry.removeSingleMetric(name);
    // Every known series from the start, at 0: rate() and increase() need a sample from before
    // the first event, and a dashboard shows 0 rather than "no data" for what has not happened.
    for (const outcome of REFRESH_OUTCOMES) this.refreshes.labels({ outcome }).inc(0);
    for (const path of ['unlocked', 'locked']) this.rotations.labels({ path }).inc(0);
    for (const reason of LOGIN_FAILURE_REASONS) this.loginFailures.labels({ reason }).inc(0);
    for (const reason of [...Object.keys(SESSION_END_REASONS).map(labelValue), UNKNOWN_END_REASON]) {
      this.sessionsEnded.labels({ reason }).inc(0);
    }
    for (const type of Object.keys(ALERT_TYPES).map(labelValue)) this.alerts.labels({ type }).inc(0);
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      switch (event.type) {
        case 'SESSION_CREATED':
          return this.sessionsCreated.inc();
        case 'SESSION_ENDED':
          return this.sessionsEnded.inc({ reason: event.session.endReason ? labelValue(event.session.endReason) : UNKNOWN_END_REASON });
        case 'REFRESH_TOKEN_REUSED':
          return this.reuse.inc();
        case 'DEVICE_KEY_REFUSED':
          return this.deviceKeyRefusals.inc();
        case 'ALERT_RAISED':
          return this.alerts.inc({ type: labelValue(event.alert.type) });
        // Counted where they happen (refresh and login timings) or not counted.
        case 'SESSION_REFRESHED':
        case 'SESSION_LIMIT_REACHED':
        case 'LOGIN_FAILED':
        case 'BRUTE_FORCE_DETECTED':
        case 'DEVICE_REGISTERED':
        case 'DEVICE_TRUSTED':
        case 'DEVICE_UNTRUSTED':
        case 'DEVICE_RENAMED':
        case 'DEVICE_REMOVED':
        case 'ALERT_ACKNOWLEDGED':
        case 'ALERT_REPORTED':
        case 'PASSWORD_CHANGED':
        case 'REAUTHENTICATED':
        case 'ACCOUNT_DISABLED':
        case 'ACCOUNT_ENABLED':
        case 'ROLES_CHANGED':
          return;
      }
    });
  }

  /**
   * Times `work` and counts its outcome, told from its result or the code of its error. The REST
   * and GraphQL handlers wrap the service call in it: the services themselves know nothing of metrics.
   */
  async timeRefresh<T>(work: () => Promise<T & { refreshOutcome: 'rotated' | 'replayed'; decidedUnderLocks: boolean }>): Promise<T> {
    const stop = this.refreshSeconds.startTimer();
    try {
      const result = await work();
      this.refreshes.inc({ outcome: result.refreshOutcome });
      if (result.refreshOutcome === 'rotated') this.rotations.inc({ path: result.decidedUnderLocks ? 'locked' : 'unlocked' });
      return result;
    } catch (error) {
      this.refreshes.inc({ outcome: refreshOutcomeOf(error) });
      throw error;
    } finally {
      stop();
    }
  }

  async timeLogin<T>(work: () => Promise<T>): Promise<T> {
    const stop = this.loginSeconds.startTimer();
    try {
      return await work();
    } catch (error) {
      this.loginFailures.inc({ reason: loginFailureReasonOf(error) });
      throw error;
    } finally {
      stop();
    }
  }

  outboxRelayed(count: number): void {
    this.relayedEvents.inc(count);
  }

  outboxRelayFailed(): void {
    this.relayFailures.inc();
  }

  /** The socket registry tells how to count its connections and subscriptions when Prometheus scrapes. */
  trackSockets(count: () => SocketCounts): void {
    this.countSockets = count;
  }
}

export interface SocketCounts {
  readonly connections: number;
  readonly subscriptions: number;
}

function loginFailureReasonOf(error: unknown): LoginFailureReason {
  switch (codeOf(error) ?? '') {
    case 'INVALID_CREDENTIALS':
      return 'invalid_credentials';
    case 'RATE_LIMITED':
      return 'rate_limited';
    case 'BAD_USER_INPUT':
      return 'bad_input';
    case 'SERVICE_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'error';
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function refreshOutcomeOf(error: unknown): RefreshOutcome {
  switch (codeOf(error) ?? '') {
    case 'REFRESH_TOKEN_REUSED':
      return 'reused';
    case 'INVALID_REFRESH_TOKEN':
      return 'invalid';
    case 'SESSION_REVOKED':
      return 'ended';
    case 'SESSION_EXPIRED':
      return 'expired';
    case 'RATE_LIMITED':
      return 'rate_limited';
    case 'SERVICE_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'error';
  }
}
