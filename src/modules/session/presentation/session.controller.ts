import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Public } from '../../../common/public.decorator.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';
import { DeviceService } from '../../device/domain/device.service.js';
import type { Session } from '../domain/session.js';
import type { Actor } from '../domain/session-grant.js';
import { SessionRefreshService } from '../domain/session-refresh.service.js';
import { SessionService } from '../domain/session.service.js';
import { SessionLoginService } from '../domain/session-login.service.js';
import { clientInfoOf } from './client-info.js';
import { DeviceKeyProofs } from './device-key-proofs.js';
import { CurrentActor } from './current-actor.decorator.js';
import { ApiErrors, ApiOptionalDeviceProof, ApiSessionAuth } from '../../../openapi/api-docs.decorators.js';
import { CreateSessionInput, RefreshSessionInput, RevokeAllSessionsInput, RevokeSessionBody } from './session.inputs.js';
import { toSessionPayload, toSessionType, withDevice } from './session.presenter.js';
import type { SessionGrant } from '../domain/session-grant.js';
import {
  ActiveSessionsResponse,
  RevokedSessionResponse,
  RevokedSessionsResponse,
  SessionPayloadResponse,
  type SessionWithDeviceResponse,
} from './session.responses.js';

/** The REST face of the same services, for clients that would rather not speak GraphQL. */
@ApiTags('sessions')
@Controller('api/auth/session')
export class SessionController {
  constructor(
    private readonly sessions: SessionService,
    private readonly logins: SessionLoginService,
    private readonly refresher: SessionRefreshService,
    private readonly devices: DeviceService,
    private readonly deviceKeys: DeviceKeyProofs,
    private readonly metrics: SessionMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Log in: open a session on this device
   *
   * @remarks The answer carries the first access token and refresh token of the session. With a
   * `DPoP` proof header (RFC 9449) the session is bound to the proof's key; the first attempt
   * without a server nonce answers 401 INVALID_DPOP_PROOF with the nonce to use.
   */
  @Public()
  @ApiOptionalDeviceProof()
  @ApiErrors(400, 401, 403, 413, 429, 503)
  @Post('create')
  @HttpCode(201)
  async create(@Body() body: CreateSessionInput, @Req() request: Request): Promise<SessionPayloadResponse> {
    const deviceKey = await this.deviceKeys.withFreshNonce(request);
    return this.payload(await this.metrics.timeLogin(() => this.logins.create(body, body.device, clientInfoOf(request), deviceKey)));
  }

  /**
   * Refresh: trade the refresh token for new tokens
   *
   * @remarks The refresh token is the credential (no access token needed). It rotates: keep the
   * new one, the one sent is spent, and sending a spent one again ends the session
   * (REFRESH_TOKEN_REUSED). A device-bound session needs a `DPoP` proof by its key.
   */
  @Public()
  @ApiOptionalDeviceProof()
  @ApiErrors(400, 401, 403, 413, 429, 503)
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Body() body: RefreshSessionInput, @Req() request: Request): Promise<SessionPayloadResponse> {
    const deviceKey = await this.deviceKeys.withFreshNonce(request);
    return this.payload(await this.metrics.timeRefresh(() => this.refresher.refresh(body.refreshToken, clientInfoOf(request), deviceKey)));
  }

  /**
   * End one of the caller's sessions (administrators: anyone's)
   */
  @ApiSessionAuth()
  @ApiErrors(400, 401, 404, 413, 503)
  @Post('revoke')
  @HttpCode(200)
  async revoke(@CurrentActor() actor: Actor, @Body() body: RevokeSessionBody): Promise<RevokedSessionResponse> {
    const [session] = await this.withDevices([await this.sessions.revoke(actor, body.sessionId)], actor.sessionId);
    return { session };
  }

  /**
   * End every session of the caller, or every other one
   *
   * @remarks Without `exceptCurrent` the caller's own session ends too, which needs a recent proof
   * of identity (401 REAUTHENTICATION_REQUIRED otherwise). `userId` is for administrators.
   */
  @ApiSessionAuth()
  @ApiErrors(400, 401, 403, 413, 503)
  @Post('revoke-all')
  @HttpCode(200)
  async revokeAll(@CurrentActor() actor: Actor, @Body() body: RevokeAllSessionsInput): Promise<RevokedSessionsResponse> {
    return { count: await this.sessions.revokeAll(actor, { exceptCurrent: body.exceptCurrent ?? false, userId: body.userId }) };
  }

  /**
   * List the caller's active sessions, with their devices
   */
  @ApiSessionAuth()
  @ApiErrors(401, 503)
  @Get('active')
  async active(@CurrentActor() actor: Actor): Promise<ActiveSessionsResponse> {
    return { sessions: await this.withDevices(await this.sessions.listActive(actor), actor.sessionId) };
  }

  private payload(grant: SessionGrant): SessionPayloadResponse {
    const payload = toSessionPayload(grant, this.config.sessionIdleTimeoutMs);
    return { ...payload, session: withDevice(payload.session, grant.device) };
  }

  private async withDevices(sessions: Session[], currentSessionId: string): Promise<SessionWithDeviceResponse[]> {
    const devices = new Map((await this.devices.getByIds([...new Set(sessions.map((s) => s.deviceId))])).map((d) => [d.id, d]));
    return sessions.map((session) =>
      withDevice(toSessionType(session, currentSessionId, this.config.sessionIdleTimeoutMs), devices.get(session.deviceId)),
    );
  }
}
