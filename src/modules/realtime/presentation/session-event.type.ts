import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DeviceObjectType } from '../../device/presentation/device.type.js';
import { SessionType } from '../../session/presentation/session.type.js';
import { SessionEventType } from '../domain/session-event.js';
import { SessionAlertObjectType } from '../../alert/presentation/session-alert.type.js';

registerEnumType(SessionEventType, { name: 'SessionEventType' });

@ObjectType('SessionEvent')
export class SessionEventObjectType {
  @Field(() => SessionEventType)
  type: SessionEventType;

  @Field(() => ID)
  userId: string;

  @Field(() => ID, { nullable: true })
  sessionId: string | null;

  @Field(() => Int, {
    description: "Increases by one with every change to the user's sessions or devices; a gap tells a client to refetch.",
  })
  version: number;

  @Field(() => GraphQLISODateTime)
  occurredAt: Date;

  @Field(() => SessionType, { nullable: true })
  session: SessionType | null;

  @Field(() => DeviceObjectType, { nullable: true })
  device: DeviceObjectType | null;

  @Field(() => SessionAlertObjectType, { nullable: true })
  alert: SessionAlertObjectType | null;
}
