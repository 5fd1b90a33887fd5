import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JSONScalar } from '../../../graphql/json.scalar.js';
import { AlertSeverity, SessionAlertType, type SessionAlert } from '../domain/session-alert.js';

registerEnumType(SessionAlertType, { name: 'SessionAlertType' });
registerEnumType(AlertSeverity, { name: 'AlertSeverity' });

@ObjectType('SessionAlert')
export class SessionAlertObjectType {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  userId: string;

  @Field(() => ID, { nullable: true })
  sessionId: string | null;

  @Field(() => SessionAlertType)
  type: SessionAlertType;

  @Field(() => AlertSeverity)
  severity: AlertSeverity;

  @Field(() => String)
  message: string;

  @Field(() => JSONScalar, { nullable: true, description: 'Includes `occurrences` when repeats were folded into this alert.' })
  details: Record<string, unknown> | null;

  @Field(() => GraphQLISODateTime)
  createdAt: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  acknowledgedAt: Date | null;
}

export const toSessionAlertObject = (alert: SessionAlert): SessionAlertObjectType => ({
  id: alert.id,
  userId: alert.userId,
  sessionId: alert.sessionId,
  type: alert.type,
  severity: alert.severity,
  message: alert.message,
  details: { ...(alert.details ?? {}), occurrences: alert.occurrences, lastOccurredAt: alert.lastOccurredAt },
  createdAt: alert.createdAt,
  acknowledgedAt: alert.acknowledgedAt,
});
