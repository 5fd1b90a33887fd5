import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { DeviceKeyProofs } from '../../session/presentation/device-key-proofs.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import type { Actor } from '../../session/domain/session-grant.js';
import { SessionReauthentication } from '../../session/domain/session-reauthentication.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import { toSessionPayload, withDevice } from '../../session/presentation/session.presenter.js';
import { AccountService } from '../domain/account.service.js';
import { ChangePasswordInput, ReauthenticateInput } from './account.inputs.js';
import { reauthenticateBy } from './reauthenticate-request.js';
import { ApiErrors, ApiSessionAuth } from '../../../openapi/api-docs.decorators.js';
import type { SessionPayloadResponse } from '../../session/presentation/session.responses.js';
import type { PasswordChangedResponse } from './account.responses.js';

/** The REST mirror of the account's own operations, beside /api/auth/session. */
@ApiTags('account')
@Controller('api/auth')
export class AccountController {
  constructor(
    private readonly accounts: AccountService,
    private readonly reauthentication: SessionReauthentication,
    private readonly deviceKeys: DeviceKeyProofs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Change the password; every other session of the account ends
   *
   * @remarks A wrong current password is 401 INVALID_CREDENTIALS naming `currentPassword`, behind
   * the login's brute-force limits; a new password the policy refuses (12 to 128 characters, not
   * the email, not the current one) is 400 naming `newPassword`.
   */
  @ApiSessionAuth()
  @ApiErrors(400, 401, 413, 429, 503)
  @Post('password/change')
  @HttpCode(200)
  async changePassword(@CurrentActor() actor: Actor, @Body() body: ChangePasswordInput): Promise<PasswordChangedResponse> {
    return { endedSessions: await this.accounts.changePassword(actor, body.currentPassword, body.newPassword) };
  }

  /**
   * Prove again who the user is (step-up), for operations that ask for it
   *
   * @remarks Answers new tokens for the same session, whose access tokens carry `auth_time`. On a
   * device-bound session the password may be left out when the request's `DPoP` proof carries a
   * fresh server nonce.
   */
  @ApiSessionAuth()
  @ApiErrors(400, 401, 403, 413, 429, 503)
  @Post('reauthenticate')
  @HttpCode(200)
  async reauthenticate(
    @CurrentActor() actor: Actor,
    @Body() body: ReauthenticateInput,
    @Req() request: Request,
  ): Promise<SessionPayloadResponse> {
    const grant = await reauthenticateBy(
      { reauthentication: this.reauthentication, deviceKeys: this.deviceKeys },
      actor,
      body.password,
      request,
    );
    const payload = toSessionPayload(grant, this.config.sessionIdleTimeoutMs);
    return { ...payload, session: withDevice(payload.session, grant.device) };
  }
}
