import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DeviceModule } from '../device/device.module.js';
import { TokenModule } from '../token/token.module.js';
import { UserModule } from '../user/user.module.js';
import { UserChangeRepository } from './data/user-change.repository.js';
import { UserChange } from './domain/user-change.js';
import { SessionRepository } from './data/session.repository.js';
import { SessionRotationRepository } from './data/session-rotation.repository.js';
import { SessionAuthenticator } from './domain/session-authenticator.js';
import { SessionRefreshService } from './domain/session-refresh.service.js';
import { RefreshTokens } from './domain/refresh-tokens.js';
import { AppSecretRepository } from '../../database/app-secret.repository.js';
import { SessionService } from './domain/session.service.js';
import { SessionLoginService } from './domain/session-login.service.js';
import { SessionCredentialCheck } from './domain/session-credential-check.js';
import { SessionSweeper } from './domain/session-sweeper.js';
import { SessionStepUp } from './domain/session-step-up.js';
import { SessionReauthentication } from './domain/session-reauthentication.js';
import { SessionTerminator } from './domain/session-terminator.js';
import { SessionStateCache } from './domain/session-state-cache.js';
import { SessionLoginThrottle } from './domain/session-login-throttle.js';
import { SessionController } from './presentation/session.controller.js';
import { SessionResolver } from './presentation/session.resolver.js';
import { TokenGuard } from './presentation/token.guard.js';
import { DeviceKeyProofs } from './presentation/device-key-proofs.js';
import { TokenStrategy } from './presentation/token.strategy.js';

@Module({
  imports: [TokenModule, UserModule, DeviceModule],
  providers: [
    SessionRepository,
    SessionRotationRepository,
    UserChangeRepository,
    UserChange,
    SessionTerminator,
    SessionStateCache,
    SessionLoginThrottle,
    SessionService,
    SessionLoginService,
    SessionCredentialCheck,
    SessionRefreshService,
    RefreshTokens,
    AppSecretRepository,
    SessionAuthenticator,
    SessionSweeper,
    SessionStepUp,
    SessionReauthentication,
    DeviceKeyProofs,
    SessionResolver,
    TokenStrategy,
    { provide: APP_GUARD, useClass: TokenGuard },
  ],
  controllers: [SessionController],
  // For the modules built on sessions: real-time, device trust, the OAuth endpoints, alerts, the account.
  exports: [
    SessionService,
    SessionAuthenticator,
    SessionTerminator,
    SessionRefreshService,
    SessionReauthentication,
    SessionCredentialCheck,
    SessionStepUp,
    DeviceKeyProofs,
    UserChange,
  ],
})
export class SessionModule {}
