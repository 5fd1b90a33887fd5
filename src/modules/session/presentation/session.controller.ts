import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Public } from '../../../common/public.decorator.js';
import { DeviceService } from '../../device/domain/device.service.js';
import type { Session } from '../domain/session.js';
import type { Actor } from '../domain/session-grant.js';
import { SessionRefreshService } from '../domain/session-refresh.service.js';
import { SessionService } from '../domain/session.service.js';
import { SessionLoginService } from '../domain/session-login.service.js';
import { clientInfoOf } from './client-info.js';
import { DeviceKeyProofs } from './device-key-proofs.js';
import { CurrentActor } from './current-actor.decorator.js';
import { CreateSessionInput, RefreshSessionInput, RevokeAllSessionsInput, RevokeSessionBody } from './session.inputs.js';
import { toSessionPayload, toSessionType, withDevice } from './session.presenter.js';
import type { SessionGrant } from '../domain/session-grant.js';

/** The REST face of the same services, for clients that would rather not speak GraphQL. */
@Controller('api/auth/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionService,
    private readonly logins: SessionLoginService,
    private readonly refresher: SessionRefreshService,
    private readonly devices: DeviceService,
    private readonly deviceKeys: DeviceKeyProofs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('create')
  @HttpCode(201)
  async create(@Body() body: CreateSessionInput, @Req() request: Request) {
    const deviceKey = await this.deviceKeys.withFreshNonce(request);
    return this.payload(await this.logins.create(body, body.device, clientInfoOf(request), deviceKey));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Body() body: RefreshSessionInput, @Req() request: Request) {
    const deviceKey = await this.deviceKeys.withFreshNonce(request);
    return this.payload(await this.refresher.refresh(body.refreshToken, clientInfoOf(request), deviceKey));
  }

  @Post('revoke')
  @HttpCode(200)
  async revoke(@CurrentActor() actor: Actor, @Body() body: RevokeSessionBody) {
    const [session] = await this.withDevices([await this.sessions.revoke(actor, body.sessionId)], actor.sessionId);
    return { session };
  }

  @Post('revoke-all')
  @HttpCode(200)
  async revokeAll(@CurrentActor() actor: Actor, @Body() body: RevokeAllSessionsInput) {
    return { count: await this.sessions.revokeAll(actor, { exceptCurrent: body.exceptCurrent ?? false, userId: body.userId }) };
  }

  @Get('active')
  async active(@CurrentActor() actor: Actor) {
    return { sessions: await this.withDevices(await this.sessions.listActive(actor), actor.sessionId) };
  }

  private payload(grant: SessionGrant) {
    const payload = toSessionPayload(grant, this.config.sessionIdleTimeoutMs);
    return { ...payload, session: withDevice(payload.session, grant.device) };
  }

  private async withDevices(sessions: Session[], currentSessionId: string) {
    const devices = new Map((await this.devices.getByIds([...new Set(sessions.map((s) => s.deviceId))])).map((d) => [d.id, d]));
    return sessions.map((session) =>
      withDevice(toSessionType(session, currentSessionId, this.config.sessionIdleTimeoutMs), devices.get(session.deviceId)),
    );
  }
}
