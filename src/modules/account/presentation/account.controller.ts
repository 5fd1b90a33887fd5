import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
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

/** The REST mirror of the account's own operations, beside /api/auth/session. */
@Controller('api/auth')
export class AccountController {
  constructor(
    private readonly accounts: AccountService,
    private readonly reauthentication: SessionReauthentication,
    private readonly deviceKeys: DeviceKeyProofs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('password/change')
  @HttpCode(200)
  async changePassword(@CurrentActor() actor: Actor, @Body() body: ChangePasswordInput) {
    return { endedSessions: await this.accounts.changePassword(actor, body.currentPassword, body.newPassword) };
  }

  @Post('reauthenticate')
  @HttpCode(200)
  async reauthenticate(@CurrentActor() actor: Actor, @Body() body: ReauthenticateInput, @Req() request: Request) {
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
