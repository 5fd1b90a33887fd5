import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Actor } from '../../session/domain/session-grant.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import { ParseIdPipe } from '../../session/presentation/parse-id.pipe.js';
import { SessionAlertReport } from '../domain/session-alert-report.js';
import { SessionAlertService } from '../domain/session-alert.service.js';
import { SessionAlertObjectType, toSessionAlertObject } from './session-alert.type.js';

@Resolver(() => SessionAlertObjectType)
export class SessionAlertResolver {
  constructor(
    private readonly alerts: SessionAlertService,
    private readonly reports: SessionAlertReport,
  ) {}

  @Query(() => [SessionAlertObjectType])
  async sessionAlerts(
    @CurrentActor() actor: Actor,
    @Args('unacknowledgedOnly', { type: () => Boolean, nullable: true, defaultValue: false }) unacknowledgedOnly = false,
    @Args('userId', { type: () => ID, nullable: true }, new ParseIdPipe('userId', true)) userId?: string,
  ): Promise<SessionAlertObjectType[]> {
    return (await this.alerts.list(actor, unacknowledgedOnly ?? false, userId)).map(toSessionAlertObject);
  }

  @Mutation(() => SessionAlertObjectType)
  async acknowledgeAlert(
    @CurrentActor() actor: Actor,
    @Args('alertId', { type: () => ID }, new ParseIdPipe('alertId')) alertId: string,
  ): Promise<SessionAlertObjectType> {
    return toSessionAlertObject(await this.alerts.acknowledge(actor, alertId));
  }

  @Mutation(() => SessionAlertObjectType, {
    description: "'This wasn't me': ends the session the alert names (REPORTED_BY_USER), untrusts its device, acknowledges the alert.",
  })
  async reportAlert(
    @CurrentActor() actor: Actor,
    @Args('alertId', { type: () => ID }, new ParseIdPipe('alertId')) alertId: string,
  ): Promise<SessionAlertObjectType> {
    return toSessionAlertObject(await this.reports.report(actor, alertId));
  }
}
