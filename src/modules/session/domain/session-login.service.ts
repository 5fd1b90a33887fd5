import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { generateRefreshToken, hashToken } from '../../../common/opaque-token.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';
import type { DeviceDescription } from '../../device/domain/device.js';
import { sessionLifetimeFor } from '../../device/domain/device.policy.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { SessionEventVersionRepository } from '../data/session-event-version.repository.js';
import { SessionRepository } from '../data/session.repository.js';
import { SessionCredentialCheck, type Credentials } from './session-credential-check.js';
import type { SessionGrant } from './session-grant.js';
import { SessionTerminator } from './session-terminator.js';

/**
 * Logging in: checked credentials, the device recognised, the session limit kept, the session
 * opened and its first tokens issued, all under the user's lock.
 */
@Injectable()
export class SessionLoginService {
  constructor(
    private readonly credentials: SessionCredentialCheck,
    private readonly sessions: SessionRepository,
    private readonly versions: SessionEventVersionRepository,
    private readonly terminator: SessionTerminator,
    private readonly devices: DeviceService,
    private readonly signer: TokenSigner,
    private readonly metrics: SessionMetrics,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  create(credentials: Credentials, description: DeviceDescription, client: ClientInfo): Promise<SessionGrant> {
    return this.metrics.timeLogin(() => this.open(credentials, description, client));
  }

  private async open(credentials: Credentials, description: DeviceDescription, client: ClientInfo): Promise<SessionGrant> {
    const user = await this.credentials.check(credentials, client);
    const refreshToken = generateRefreshToken();
    const now = this.clock.now();
    const { session, device, isNewDevice, endedByLimit, events } = await this.sessions.transaction(async (tx) => {
      await this.versions.lockUser(tx, user.id);
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
}
