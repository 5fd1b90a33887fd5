import { Module } from '@nestjs/common';
import { AppSecretRepository } from '../../database/app-secret.repository.js';
import { DeviceRepository } from './data/device.repository.js';
import { DeviceService } from './domain/device.service.js';
import { DeviceLoader } from './presentation/device.loader.js';

@Module({
  providers: [DeviceRepository, DeviceService, DeviceLoader, AppSecretRepository],
  // DeviceRepository also for DeviceTrustModule, this folder's second module.
  exports: [DeviceService, DeviceLoader, DeviceRepository],
})
export class DeviceModule {}
