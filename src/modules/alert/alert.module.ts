import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { DeviceModule } from '../device/device.module.js';
import { DeviceTrustModule } from '../device/device-trust.module.js';
import { SessionModule } from '../session/session.module.js';
import { SessionAlertRepository } from './data/session-alert.repository.js';
import { SessionAlertMonitor } from './domain/session-alert.monitor.js';
import { SessionAlertReport } from './domain/session-alert-report.js';
import { SessionAlertService } from './domain/session-alert.service.js';
import { SessionAlertResolver } from './presentation/session-alert.resolver.js';

@Module({
  imports: [ActivityModule, DeviceModule, DeviceTrustModule, SessionModule],
  providers: [SessionAlertRepository, SessionAlertService, SessionAlertReport, SessionAlertMonitor, SessionAlertResolver],
  exports: [SessionAlertMonitor],
})
export class AlertModule {}
