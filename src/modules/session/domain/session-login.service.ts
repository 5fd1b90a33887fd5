import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { accountDisabled } from '../../../common/domain-error.js';
import { hashToken } from '../../../common/opaque-token.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import type { DeviceDescription } from '../../device/domain/device.js';
import { sessionLifetimeFor } from '../../device/domain/device.policy.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { SessionRepository } from '../data/session.repository.js';
import { SessionCredentialCheck, type Credentials } from './session-credential-check.js';
import { signedGrant, type DeviceKey, type SessionGrant } from './session-grant.js';
import { SessionTerminator } from './session-terminator.js';
import { RefreshTokens } from './refresh-tokens.js';
import { UserChange } from './user-change.js';

/**
 * Logging in: checked credentials, then one UserChange that recognises the device, keeps the
 * session limit and opens the session; the first tokens are signed after its commit.
 */
@Injectable()
export class SessionLoginService {
  constructor(
    private readonly credentials: SessionCredentialCheck,
    private readonly sessions: SessionRepository,
    private readonly userChange: UserChange,
    private readonly terminator: SessionTerminator,
    private readonly devices: DeviceService,
    private readonly signer: TokenSigner,
    private readonly tokens: RefreshTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `deviceKey`: the key of a DPoP proof the login came with (checked, with a fresh server nonce):
   * the session is bound to it, and its refreshes and requests must prove possession of it.
   */
  async create(credentials: Credentials, description: DeviceDescription, client: ClientInfo, deviceKey?: DeviceKey): Promise<SessionGrant> {
    const user = await this.credentials.check(credentials, client);
    // The token names its session, so the session's id is chosen before it exists.
    const sessionId = randomUUID();
    const refreshToken = (await this.tokens.codec()).mint({ sessionId, generation: 0 });
    const { session, device } = await this.userChange.run(user.id, client, async (change) => {
      // After the password check, so that the answer tells a guesser nothing; under the lock, so
      // that a disable committing meanwhile is seen.
      if (change.userDisabledAt) throw accountDisabled();
      const { now } = change;
      const { device, isNew } = await this.devices.recognise(change.tx, user.id, description, now, deviceKey?.thumbprint);
      if (isNew) change.emit({ type: 'DEVICE_REGISTERED', device, client });
      const endedByLimit = this.terminator.ended(
        change,
        await this.sessions.endBeyondLimit(
          change.tx,
          user.id,
          this.config.maxSessionsPerUser - 1,
          now,
          new Date(now.getTime() - this.config.sessionIdleTimeoutMs),
        ),
      );
      if (endedByLimit.length > 0) change.emit({ type: 'SESSION_LIMIT_REACHED', userId: user.id, endedSessions: endedByLimit, client });
      const session = await this.sessions.insert(change.tx, {
        id: sessionId,
        userId: user.id,
        deviceId: device.id,
        now,
        expiresAt: new Date(now.getTime() + sessionLifetimeFor(device, this.config)),
        ...client,
        refreshTokenHash: hashToken(refreshToken),
        deviceKeyThumbprint: deviceKey?.thumbprint ?? null,
      });
      change.emit({ type: 'SESSION_CREATED', version: change.nextVersion(), session, device, client });
      return { session, device };
    });

    return signedGrant(this.signer, { session, device, user, generation: 0, refreshToken });
  }
}
