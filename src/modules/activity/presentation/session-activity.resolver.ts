import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import type { Actor } from '../../session/domain/session-grant.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import { SessionActivityService } from '../domain/session-activity.service.js';
import { SessionActivityConnectionType, SessionActivityFilterInput } from './session-activity.types.js';

@Resolver(() => SessionActivityConnectionType)
export class SessionActivityResolver {
  constructor(private readonly activity: SessionActivityService) {}

  @Query(() => SessionActivityConnectionType)
  async sessionActivity(
    @CurrentActor() actor: Actor,
    @Args('filter', { type: () => SessionActivityFilterInput, nullable: true }) filter?: SessionActivityFilterInput,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first = 50,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<SessionActivityConnectionType> {
    const page = await this.activity.page(actor, filter ?? {}, first, after ?? undefined);
    return { edges: page.entries.map((entry) => ({ ...entry })), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }
}
