import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DeviceType, type Device } from '../domain/device.js';

registerEnumType(DeviceType, { name: 'DeviceType' });

/** GraphQL's `Device`; the class name avoids a clash with the DeviceType enum. */
@ObjectType('Device')
export class DeviceObjectType {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true })
  name: string | null;

  @Field(() => DeviceType)
  type: DeviceType;

  @Field(() => String, { nullable: true })
  model: string | null;

  @Field(() => String, { nullable: true })
  osVersion: string | null;

  @Field(() => String, { nullable: true })
  appVersion: string | null;

  @Field(() => Boolean)
  trusted: boolean;

  @Field(() => GraphQLISODateTime, { nullable: true })
  trustedAt: Date | null;

  @Field(() => GraphQLISODateTime)
  firstSeenAt: Date;

  @Field(() => GraphQLISODateTime)
  lastSeenAt: Date;
}

export const toDeviceObject = (device: Device): DeviceObjectType => ({
  id: device.id,
  name: device.name,
  type: device.type,
  model: device.model,
  osVersion: device.osVersion,
  appVersion: device.appVersion,
  trusted: device.trusted,
  trustedAt: device.trustedAt,
  firstSeenAt: device.firstSeenAt,
  lastSeenAt: device.lastSeenAt,
});
