import { Inject } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Resolver } from '@nestjs/graphql';
import type { GraphQLRequestContext } from '../../../graphql/request-context.js';
import { DeviceKeyProofs } from '../../session/presentation/device-key-proofs.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Role } from '../../../kernel/role.js';
import type { Actor } from '../../session/domain/session-grant.js';
import { SessionReauthentication } from '../../session/domain/session-reauthentication.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import { ParseIdPipe } from '../../session/presentation/parse-id.pipe.js';
import { toSessionPayload } from '../../session/presentation/session.presenter.js';
import { SessionPayloadType } from '../../session/presentation/session.type.js';
import { toUserType, UserType } from '../../user/presentation/user.type.js';
import { AccountService } from '../domain/account.service.js';
import { ChangePasswordInput, ReauthenticateInput } from './account.inputs.js';
import { reauthenticateBy } from './reauthenticate-request.js';

@Resolver()
export class AccountResolver {
  constructor(
    private readonly accounts: AccountService,
    private readonly reauthentication: SessionReauthentication,
    private readonly deviceKeys: DeviceKeyProofs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Mutation(() => Int, {
    description: 'Ends every other session of the caller (PASSWORD_CHANGED); the current one stays. Returns how many ended.',
  })
  changePassword(
    @CurrentActor() actor: Actor,
    @Args('input', { type: () => ChangePasswordInput }) input: ChangePasswordInput,
  ): Promise<number> {
    return this.accounts.changePassword(actor, input.currentPassword, input.newPassword);
  }

  @Mutation(() => SessionPayloadType, {
    description: 'A fresh proof of identity on the current session: moves Session.authenticatedAt, returns new tokens.',
  })
  async reauthenticate(
    @CurrentActor() actor: Actor,
    @Args('input', { type: () => ReauthenticateInput }) input: ReauthenticateInput,
    @Context() context: GraphQLRequestContext,
  ): Promise<SessionPayloadType> {
    const grant = await reauthenticateBy(
      { reauthentication: this.reauthentication, deviceKeys: this.deviceKeys },
      actor,
      input.password,
      context.req,
    );
    return toSessionPayload(grant, this.config.sessionIdleTimeoutMs);
  }

  @Mutation(() => UserType, {
    description: 'Admins only. Ends every session of the user (ACCOUNT_DISABLED) and refuses their logins until enabled.',
  })
  async disableUser(
    @CurrentActor() actor: Actor,
    @Args('userId', { type: () => ID }, new ParseIdPipe('userId')) userId: string,
  ): Promise<UserType> {
    return toUserType(await this.accounts.disable(actor, userId));
  }

  @Mutation(() => UserType, { description: 'Admins only.' })
  async enableUser(
    @CurrentActor() actor: Actor,
    @Args('userId', { type: () => ID }, new ParseIdPipe('userId')) userId: string,
  ): Promise<UserType> {
    return toUserType(await this.accounts.enable(actor, userId));
  }

  @Mutation(() => UserType, {
    description: 'Admins only. Takes effect on the user’s open sessions at once, not when their access tokens expire.',
  })
  async setUserRoles(
    @CurrentActor() actor: Actor,
    @Args('userId', { type: () => ID }, new ParseIdPipe('userId')) userId: string,
    @Args('roles', { type: () => [Role] }) roles: Role[],
  ): Promise<UserType> {
    return toUserType(await this.accounts.setRoles(actor, userId, roles));
  }
}
