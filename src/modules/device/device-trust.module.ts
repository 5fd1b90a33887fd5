import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module.js';
import { DeviceModule } from './device.module.js';
import { DeviceTrustService } from './domain/device-trust.service.js';
import { DeviceTrustResolver } from './presentation/device-trust.resolver.js';

/**
 * Trusting and untrusting devices, apart from DeviceModule because untrusting ends sessions:
 * SessionModule imports DeviceModule (a login recognises its device), so DeviceModule cannot
 * import SessionModule back without a cycle. This module imports both.
 */
@Module({
  imports: [DeviceModule, SessionModule],
  providers: [DeviceTrustService, DeviceTrustResolver],
  // For "this wasn't me", which untrusts the device of the session it ends.
  exports: [DeviceTrustService],
})
export class DeviceTrustModule {}
