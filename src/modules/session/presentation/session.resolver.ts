import { Inject } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Public } from '../../../common/public.decorator.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';
import type { GraphQLRequestContext } from '../../../graphql/request-context.js';
import { DeviceLoader } from '../../device/presentation/device.loader.js';
import { DeviceObjectType, toDeviceObject } from '../../device/presentation/device.type.js';
import type { Actor } from '../domain/session-grant.js';
import { SessionRefreshService } from '../domain/session-refresh.service.js';
import { SessionService } from '../domain/session.service.js';
import { SessionLoginService } from '../domain/session-login.service.js';
import { clientInfoOf } from './client-info.js';
import { DeviceKeyProofs } from './device-key-proofs.js';
import { CurrentActor } from './current-actor.decorator.js';
import { ParseIdPipe } from './parse-id.pipe.js';
import { CreateSessionInput, RefreshSessionInput, RevokeAllSessionsInput } from './session.inputs.js';
import { toSessionPayload, toSessionType } from './session.presenter.js';
import { SessionPayloadType, SessionType } from './session.type.js';

@Resolver(() => SessionType)
export class SessionResolver {
  constructor(
    private readonly sessions: SessionService,
    private readonly logins: SessionLoginService,
    private readonly refresher: SessionRefreshService,
    private readonly deviceLoader: DeviceLoader,
    private readonly deviceKeys: DeviceKeyProofs,
    private readonly metrics: SessionMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Mutation(() => SessionPayloadType, {
    description: 'Log in: check credentials, recognise the device, open a session, return tokens.',
  })
  async createSession(
    @Args('input', { type: () => CreateSessionInput }) input: CreateSessionInput,
    @Context() context: GraphQLRequestContext,
  ): Promise<SessionPayloadType> {
    const deviceKey = await this.deviceKeys.withFreshNonce(context.req);
    const grant = await this.metrics.timeLogin(() => this.logins.create(input, input.device, clientInfoOf(context.req), deviceKey));
    return toSessionPayload(grant, this.config.sessionIdleTimeoutMs);
  }

  @Public()
  @Mutation(() => SessionPayloadType, {
    description: 'Needs no bearer token: the refresh token is the credential. Rotates it.',
  })
  async refreshSession(
    @Args('input', { type: () => RefreshSessionInput }) input: RefreshSessionInput,
    @Context() context: GraphQLRequestContext,
  ): Promise<SessionPayloadType> {
    const deviceKey = await this.deviceKeys.withFreshNonce(context.req);
    const grant = await this.metrics.timeRefresh(() => this.refresher.refresh(input.refreshToken, clientInfoOf(context.req), deviceKey));
    return toSessionPayload(grant, this.config.sessionIdleTimeoutMs);
  }

  @Mutation(() => SessionType, { description: "The caller's own session, or any session for an admin." })
  async revokeSession(
    @CurrentActor() actor: Actor,
    @Args('sessionId', { type: () => ID }, new ParseIdPipe('sessionId')) sessionId: string,
  ): Promise<SessionType> {
    return this.present(await this.sessions.revoke(actor, sessionId), actor);
  }

  @Mutation(() => Int, { description: 'Returns how many sessions were ended.' })
  revokeAllSessions(
    @CurrentActor() actor: Actor,
    @Args('input', { type: () => RevokeAllSessionsInput, nullable: true }) input?: RevokeAllSessionsInput,
  ): Promise<number> {
    return this.sessions.revokeAll(actor, { exceptCurrent: input?.exceptCurrent ?? false, userId: input?.userId });
  }

  @Mutation(() => Boolean, { description: "Ends the caller's current session." })
  logout(@CurrentActor() actor: Actor): Promise<boolean> {
    return this.sessions.logout(actor);
  }

  @Query(() => [SessionType], { description: "The caller's active sessions; admins may pass userId." })
  async activeSessions(
    @CurrentActor() actor: Actor,
    @Args('userId', { type: () => ID, nullable: true }, new ParseIdPipe('userId', true)) userId?: string,
  ): Promise<SessionType[]> {
    const sessions = await this.sessions.listActive(actor, userId);
    return sessions.map((session) => this.present(session, actor));
  }

  @Query(() => SessionType)
  async session(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }, new ParseIdPipe('id')) id: string): Promise<SessionType> {
    return this.present(await this.sessions.get(actor, id), actor);
  }

  @ResolveField('device', () => DeviceObjectType)
  async device(@Parent() session: SessionType, @Context() context: GraphQLRequestContext): Promise<DeviceObjectType> {
    if (session.preloadedDevice) return session.preloadedDevice;
    const device = await this.deviceLoader.forRequest(context).load(session.deviceId);
    if (!device) throw new Error(`Session ${session.id} has no device row`);
    return toDeviceObject(device);
  }

  private present(session: Parameters<typeof toSessionType>[0], actor: Actor): SessionType {
    return toSessionType(session, actor.sessionId, this.config.sessionIdleTimeoutMs);
  }
}
