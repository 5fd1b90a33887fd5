import { Injectable } from '@nestjs/common';
import { forbidden, notFound } from '../../../common/domain-error.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { UserChange, type ChangeScope } from '../../session/domain/user-change.js';
import { SessionAlertRepository } from '../data/session-alert.repository.js';
import type { AlertCandidate, SessionAlert } from './session-alert.js';
import { foldsInto } from './session-alert.rules.js';

@Injectable()
export class SessionAlertService {
  constructor(
    private readonly alerts: SessionAlertRepository,
    private readonly userChange: UserChange,
  ) {}

  /**
   * Inside the change that raised it: stores the alert, or folds it into the same cause's alert
   * of the last few minutes. A new alert is a change the user's devices hear of (ALERT_RAISED,
   * with its version); a fold is not.
   */
  async raise(change: ChangeScope, candidate: AlertCandidate, client?: ClientInfo): Promise<SessionAlert> {
    const latest = await this.alerts.findLatest(change.tx, candidate.userId, candidate.foldKey);
    if (latest && foldsInto(latest.lastOccurredAt, change.now)) return this.alerts.fold(change.tx, latest.id, change.now);
    const alert = await this.alerts.insert(change.tx, candidate, change.now);
    change.emit({ type: 'ALERT_RAISED', version: change.nextVersion(), alert, client });
    return alert;
  }

  list(actor: Actor, unacknowledgedOnly: boolean, userId: string = actor.userId): Promise<SessionAlert[]> {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may see another user’s alerts.');
    return this.alerts.list(userId, unacknowledgedOnly);
  }

  /**
   * Every device of the user hears of it (ALERT_ACKNOWLEDGED), so that a warning cannot be
   * quietly dismissed on one of them; idempotent, and a repeat tells nobody again.
   */
  async acknowledge(actor: Actor, alertId: string): Promise<SessionAlert> {
    const alert = await this.getVisible(actor, alertId);
    return this.userChange.run(alert.userId, actor.client, (change) => this.acknowledgeWithin(change, alertId));
  }

  /** Inside a change of the alert's owner. */
  async acknowledgeWithin(change: ChangeScope, alertId: string): Promise<SessionAlert> {
    const { alert, newly } = await this.alerts.acknowledge(change.tx, alertId, change.now);
    if (newly) change.emit({ type: 'ALERT_ACKNOWLEDGED', version: change.nextVersion(), alert, client: change.client });
    return alert;
  }

  /** Another user's alert is reported as missing: its existence is not the caller's business. */
  async getVisible(actor: Actor, alertId: string): Promise<SessionAlert> {
    const alert = await this.alerts.getById(alertId);
    if (!alert || (alert.userId !== actor.userId && !isAdmin(actor))) throw notFound('alert');
    return alert;
  }
}
