import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { SessionMetrics } from './session-metrics.js';

@Global()
@Module({
  providers: [SessionMetrics],
  controllers: [MetricsController],
  exports: [SessionMetrics],
})
export class MetricsModule {}
