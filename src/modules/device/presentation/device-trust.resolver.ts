import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Actor } from '../../session/domain/session-grant.js';
import { CurrentActor } from '../../session/presentation/current-actor.decorator.js';
import { ParseIdPipe } from '../../session/presentation/parse-id.pipe.js';
import { DeviceTrustService } from '../domain/device-trust.service.js';
import { DeviceObjectType, toDeviceObject } from './device.type.js';

@Resolver(() => DeviceObjectType)
export class DeviceTrustResolver {
  constructor(private readonly trust: DeviceTrustService) {}

  @Query(() => [DeviceObjectType])
  async devices(
    @CurrentActor() actor: Actor,
    @Args('userId', { type: () => ID, nullable: true }, new ParseIdPipe('userId', true)) userId?: string,
  ): Promise<DeviceObjectType[]> {
    return (await this.trust.listDevices(actor, userId)).map(toDeviceObject);
  }

  @Mutation(() => DeviceObjectType)
  async trustDevice(
    @CurrentActor() actor: Actor,
    @Args('deviceId', { type: () => ID }, new ParseIdPipe('deviceId')) deviceId: string,
  ): Promise<DeviceObjectType> {
    return toDeviceObject(await this.trust.trust(actor, deviceId));
  }

  @Mutation(() => DeviceObjectType)
  async renameDevice(
    @CurrentActor() actor: Actor,
    @Args('deviceId', { type: () => ID }, new ParseIdPipe('deviceId')) deviceId: string,
    @Args('name', { type: () => String }) name: string,
  ): Promise<DeviceObjectType> {
    return toDeviceObject(await this.trust.rename(actor, deviceId, name));
  }

  @Mutation(() => Boolean, { description: 'Forgets the device: ends its sessions (DEVICE_REMOVED); its next login is a new device again.' })
  removeDevice(
    @CurrentActor() actor: Actor,
    @Args('deviceId', { type: () => ID }, new ParseIdPipe('deviceId')) deviceId: string,
  ): Promise<boolean> {
    return this.trust.remove(actor, deviceId);
  }

  @Mutation(() => DeviceObjectType, { description: 'Also ends every session on that device.' })
  async untrustDevice(
    @CurrentActor() actor: Actor,
    @Args('deviceId', { type: () => ID }, new ParseIdPipe('deviceId')) deviceId: string,
  ): Promise<DeviceObjectType> {
    return toDeviceObject(await this.trust.untrust(actor, deviceId));
  }
}
