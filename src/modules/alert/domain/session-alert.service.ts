import { Injectable } from '@nestjs/common';
import { Clock } from '../../../common/clock.js';
import { forbidden, notFound } from '../../../common/domain-error.js';
import { DomainEvents } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { SessionEventVersionRepository } from '../../session/data/session-event-version.repository.js';
import { SessionAlertRepository } from '../data/session-alert.repository.js';
import type { AlertCandidate, SessionAlert } from './session-alert.js';
import { foldsInto } from './session-alert.rules.js';

@Injectable()
export class SessionAlertService {
  constructor(
    private readonly alerts: SessionAlertRepository,
    private readonly versions: SessionEventVersionRepository,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores the alert, or folds it into the same cause's alert of the last few minutes. A new
   * alert is a change the user's devices hear of (ALERT_RAISED, with its version); a fold is not.
   */
  async raise(candidate: AlertCandidate, client?: ClientInfo): Promise<SessionAlert> {
    const now = this.clock.now();
    const { alert, version } = await this.alerts.transaction(async (tx) => {
      await this.versions.lockUser(tx, candidate.userId);
      const latest = await this.alerts.findLatest(tx, candidate.userId, candidate.foldKey);
      if (latest && foldsInto(latest.lastOccurredAt, now)) return { alert: await this.alerts.fold(tx, latest.id, now), version: undefined };
      const alert = await this.alerts.insert(tx, candidate, now);
      return { alert, version: await this.versions.reserve(tx, candidate.userId, 1) };
    });
    if (version !== undefined) this.events.publish({ type: 'ALERT_RAISED', version, alert, client });
    return alert;
  }

  list(actor: Actor, unacknowledgedOnly: boolean, userId: string = actor.userId): Promise<SessionAlert[]> {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may see another user’s alerts.');
    return this.alerts.list(userId, unacknowledgedOnly);
  }

  async acknowledge(actor: Actor, alertId: string): Promise<SessionAlert> {
    const alert = await this.alerts.getById(alertId);
    if (!alert || (alert.userId !== actor.userId && !isAdmin(actor))) throw notFound('alert');
    return this.alerts.acknowledge(alertId, this.clock.now());
  }
}
