import { Args, Context, GraphQLISODateTime, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { notFound } from '../../../common/domain-error.js';
import { Public } from '../../../common/public.decorator.js';
import type { GraphQLRequestContext } from '../../../graphql/request-context.js';
import { Role } from '../../../kernel/role.js';
import { clientInfoOf } from '../../session/presentation/client-info.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import type { Actor } from '../../session/domain/session-grant.js';
import { UserService } from '../domain/user.service.js';
import { RegisterInput } from './register.input.js';
import { toUserType, UserType } from './user.type.js';

/** A user of whom only the id may be known yet: `me` starts from the verified token's subject. */
type UserSource = Pick<UserType, 'id'> & Partial<UserType>;

@Resolver(() => UserType)
export class UserResolver {
  /** One read per `me` however many of its fields are asked for; keyed by the object `me` returned. */
  private readonly loaded = new WeakMap<UserSource, Promise<UserType>>();

  constructor(private readonly users: UserService) {}

  @Public()
  @Mutation(() => UserType)
  async register(
    @Args('input', { type: () => RegisterInput }) input: RegisterInput,
    @Context() context: GraphQLRequestContext,
  ): Promise<UserType> {
    return toUserType(await this.users.register(input.email, input.password, clientInfoOf(context.req)));
  }

  /**
   * The id is the access token's subject, already verified by the guard, so `me { id }` costs
   * the guard and nothing more; the other fields are read from the database when asked for.
   */
  @Query(() => UserType)
  me(@CurrentActor() actor: Actor): UserSource {
    return { id: actor.userId };
  }

  @ResolveField(() => String)
  email(@Parent() user: UserSource): Promise<string> | string {
    return user.email ?? this.load(user).then((full) => full.email);
  }

  @ResolveField(() => [Role])
  roles(@Parent() user: UserSource): Promise<Role[]> | Role[] {
    return user.roles ?? this.load(user).then((full) => full.roles);
  }

  @ResolveField(() => GraphQLISODateTime)
  createdAt(@Parent() user: UserSource): Promise<Date> | Date {
    return user.createdAt ?? this.load(user).then((full) => full.createdAt);
  }

  @ResolveField(() => Boolean)
  disabled(@Parent() user: UserSource): Promise<boolean> | boolean {
    return user.disabled ?? this.load(user).then((full) => full.disabled);
  }

  @ResolveField(() => GraphQLISODateTime, { nullable: true })
  disabledAt(@Parent() user: UserSource): Promise<Date | null> | Date | null {
    return user.disabledAt !== undefined ? user.disabledAt : this.load(user).then((full) => full.disabledAt);
  }

  private load(user: UserSource): Promise<UserType> {
    let pending = this.loaded.get(user);
    if (!pending) {
      pending = this.users.getById(user.id).then((found) => {
        if (!found) throw notFound('user');
        return toUserType(found);
      });
      this.loaded.set(user, pending);
    }
    return pending;
  }
}
