import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { notFound } from '../../../common/domain-error.js';
import { Public } from '../../../common/public.decorator.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import type { Actor } from '../../session/domain/session-grant.js';
import { UserService } from '../domain/user.service.js';
import { RegisterInput } from './register.input.js';
import { toUserType, UserType } from './user.type.js';

@Resolver(() => UserType)
export class UserResolver {
  constructor(private readonly users: UserService) {}

  @Public()
  @Mutation(() => UserType)
  async register(@Args('input', { type: () => RegisterInput }) input: RegisterInput): Promise<UserType> {
    return toUserType(await this.users.register(input.email, input.password));
  }

  @Query(() => UserType)
  async me(@CurrentActor() actor: Actor): Promise<UserType> {
    const user = await this.users.getById(actor.userId);
    if (!user) throw notFound('user');
    return toUserType(user);
  }
}
