import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { Device } from '../domain/device.js';
import { DeviceService } from '../domain/device.service.js';

/**
 * One devices query per request, however many sessions ask for their device. Loaders are kept
 * per GraphQL context object, so nothing is shared between requests or users.
 */
@Injectable()
export class DeviceLoader {
  private readonly loaders = new WeakMap<object, DataLoader<string, Device | undefined>>();

  constructor(private readonly devices: DeviceService) {}

  forRequest(context: object): DataLoader<string, Device | undefined> {
    let loader = this.loaders.get(context);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const byId = new Map((await this.devices.getByIds(ids)).map((device) => [device.id, device]));
        return ids.map((id) => byId.get(id));
      });
      this.loaders.set(context, loader);
    }
    return loader;
  }
}
