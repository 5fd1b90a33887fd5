import { Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DomainEvents } from '../events/domain-events.js';

export type RefreshOutcome = 'rotated' | 'replayed' | 'reused' | 'invalid' | 'ended' | 'expired' | 'rate_limited' | 'unavailable' | 'error';

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
  private countSubscriptions: () => number = () => 0;
  private readonly subscriptions: Gauge = new Gauge({
    name: 'tessera_active_subscriptions',
    help: 'Open graphql-ws connections on this instance.',
    registers: [this.registry],
    collect: (): void => this.subscriptions.set(this.countSubscriptions()),
  });

  constructor(private readonly events: DomainEvents) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
  }

  onModuleInit(): void {
    this.events.subscribe((event) => {
      switch (event.type) {
        case 'SESSION_CREATED':
          return this.sessionsCreated.inc();
        case 'SESSION_ENDED':
          return this.sessionsEnded.inc({ reason: event.session.endReason ?? 'UNKNOWN' });
        case 'REFRESH_TOKEN_REUSED':
          return this.reuse.inc();
        case 'DEVICE_KEY_REFUSED':
          return this.deviceKeyRefusals.inc();
        case 'ALERT_RAISED':
          return this.alerts.inc({ type: event.alert.type });
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

  /** Times `work` and counts its outcome, told from its result or the code of its error. */
  async timeRefresh<T>(work: () => Promise<T & { refreshOutcome: 'rotated' | 'replayed' }>): Promise<T> {
    const stop = this.refreshSeconds.startTimer();
    try {
      const result = await work();
      this.refreshes.inc({ outcome: result.refreshOutcome });
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
      const code = codeOf(error);
      this.loginFailures.inc({
        reason:
          code === 'INVALID_CREDENTIALS'
            ? 'invalid_credentials'
            : code === 'RATE_LIMITED'
              ? 'rate_limited'
              : code === 'BAD_USER_INPUT'
                ? 'bad_input'
                : code === 'SERVICE_UNAVAILABLE'
                  ? 'unavailable'
                  : 'error',
      });
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

  /** The socket registry tells how to count its connections when Prometheus scrapes. */
  trackSubscriptions(count: () => number): void {
    this.countSubscriptions = count;
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
