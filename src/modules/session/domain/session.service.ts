import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { forbidden, notFound } from '../../../common/domain-error.js';
import { generateRefreshToken, hashToken } from '../../../common/opaque-token.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import type { DeviceDescription } from '../../device/domain/device.js';
import { sessionLifetimeFor } from '../../device/domain/device.policy.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { invalidCredentials, UserService } from '../../user/domain/user.service.js';
import { normaliseEmail, type User } from '../../user/domain/user.js';
import { SessionLoginThrottle } from './session-login-throttle.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';
import { SessionEventVersionRepository } from '../data/session-event-version.repository.js';
import { SessionRepository } from '../data/session.repository.js';
import { SessionEndReason, SessionStatus, type ClientInfo, type Session } from './session.js';
import { expiryAt } from './session-expiry.policy.js';
import { SessionTerminator } from './session-terminator.js';
import { isAdmin, type Actor, type SessionGrant } from './session-grant.js';

export interface Credentials {
  readonly email: string;
  readonly password: string;
}

/** Opening, listing and ending sessions. Rotation lives in SessionRefreshService. */
@Injectable()
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly versions: SessionEventVersionRepository,
    private readonly terminator: SessionTerminator,
    private readonly devices: DeviceService,
    private readonly users: UserService,
    private readonly throttle: SessionLoginThrottle,
    private readonly metrics: SessionMetrics,
    private readonly signer: TokenSigner,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  create(credentials: Credentials, description: DeviceDescription, client: ClientInfo): Promise<SessionGrant> {
    return this.metrics.timeLogin(() => this.open(credentials, description, client));
  }

  private async open(credentials: Credentials, description: DeviceDescription, client: ClientInfo): Promise<SessionGrant> {
    const user = await this.checkCredentials(credentials, client);
    const refreshToken = generateRefreshToken();
    const now = this.clock.now();
    const { session, device, isNewDevice, endedByLimit, events } = await this.sessions.transaction(async (tx) => {
      await this.sessions.lockUser(tx, user.id);
      const { device, isNew } = await this.devices.recognise(tx, user.id, description, now);
      const endedByLimit = await this.sessions.endBeyondLimit(
        tx,
        user.id,
        this.config.maxSessionsPerUser - 1,
        now,
        new Date(now.getTime() - this.config.sessionIdleTimeoutMs),
      );
      const lifetimeMs = sessionLifetimeFor(device, this.config);
      const session = await this.sessions.insert(tx, {
        id: randomUUID(),
        userId: user.id,
        deviceId: device.id,
        now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
        ...client,
        refreshTokenHash: hashToken(refreshToken),
      });
      const events: DomainEvent[] = await this.terminator.endedEvents(tx, user.id, endedByLimit, client);
      events.push({ type: 'SESSION_CREATED', version: await this.versions.reserve(tx, user.id, 1), session, device, client });
      return { session, device, isNewDevice: isNew, endedByLimit, events };
    });

    if (isNewDevice) this.events.publish({ type: 'DEVICE_REGISTERED', device, client });
    this.events.publishAll(events);
    if (endedByLimit.length > 0) {
      this.events.publish({ type: 'SESSION_LIMIT_REACHED', userId: user.id, endedSessions: endedByLimit, client });
    }

    const access = await this.signer.sign({ userId: user.id, sessionId: session.id, roles: user.roles, generation: 0 });
    return {
      session,
      device,
      user,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }

  /** Counts failures per account and IP, and refuses a locked account before looking at the password. */
  private async checkCredentials(credentials: Credentials, client: ClientInfo): Promise<User> {
    const account = normaliseEmail(credentials.email);
    await this.throttle.assertLoginAllowed(account, client.ipAddress);
    const check = await this.users.checkCredentials(credentials.email, credentials.password);
    if (check.valid) {
      await this.throttle.recordSuccess(account);
      return check.user;
    }
    const failures = await this.throttle.recordFailure(account, client.ipAddress);
    if (check.attemptedUserId) {
      const userId = check.attemptedUserId;
      this.events.publish({ type: 'LOGIN_FAILED', userId, reason: 'INVALID_CREDENTIALS', client });
      if (failures.accountJustLocked) this.events.publish({ type: 'BRUTE_FORCE_DETECTED', userId, failures: failures.accountFailures, client });
    }
    throw invalidCredentials();
  }

  async listActive(actor: Actor, userId: string = actor.userId): Promise<Session[]> {
    this.assertMayActFor(actor, userId);
    return this.sessions.listActive(userId, this.clock.now(), this.config.sessionIdleTimeoutMs);
  }

  /** The caller's own session in any state (for audit), or anyone's for an admin. */
  async get(actor: Actor, sessionId: string): Promise<Session> {
    return this.settleExpiry(await this.getVisible(actor, sessionId));
  }

  /** Idempotent: revoking an ended session answers its final state. */
  async revoke(actor: Actor, sessionId: string): Promise<Session> {
    const session = await this.settleExpiry(await this.getVisible(actor, sessionId));
    const reason = session.userId === actor.userId ? SessionEndReason.REVOKED_BY_USER : SessionEndReason.REVOKED_BY_ADMIN;
    return (await this.terminator.endOne(session.userId, session.id, reason, actor.client)) ?? (await this.getVisible(actor, sessionId));
  }

  async revokeAll(actor: Actor, options: { exceptCurrent?: boolean; userId?: string }): Promise<number> {
    const userId = options.userId ?? actor.userId;
    this.assertMayActFor(actor, userId);
    const own = userId === actor.userId;
    const ended = await this.terminator.endAllOfUser(
      userId,
      own && options.exceptCurrent ? actor.sessionId : null,
      own ? SessionEndReason.REVOKED_BY_USER : SessionEndReason.REVOKED_BY_ADMIN,
      actor.client,
    );
    return ended.length;
  }

  async logout(actor: Actor): Promise<boolean> {
    await this.terminator.endOne(actor.userId, actor.sessionId, SessionEndReason.LOGOUT, actor.client);
    return true;
  }

  /** A session the sweeper has not reached yet is shown, and ended, as what it already is. */
  private async settleExpiry(session: Session): Promise<Session> {
    if (session.status !== SessionStatus.ACTIVE) return session;
    const expiry = expiryAt(session, this.clock.now(), this.config.sessionIdleTimeoutMs);
    if (!expiry) return session;
    return (await this.terminator.endOne(session.userId, session.id, expiry)) ?? (await this.sessions.getById(session.id)) ?? session;
  }

  /** Another user's session is reported as missing, not forbidden: its existence is not the caller's business. */
  private async getVisible(actor: Actor, sessionId: string): Promise<Session> {
    const session = await this.sessions.getById(sessionId);
    if (!session || (session.userId !== actor.userId && !isAdmin(actor))) throw notFound('session');
    return session;
  }

  private assertMayActFor(actor: Actor, userId: string): void {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may act on another user’s sessions.');
  }
}
