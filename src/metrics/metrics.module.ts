import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { RequestMetrics } from './request-metrics.js';
import { SessionMetrics } from './session-metrics.js';

@Global()
@Module({
  providers: [SessionMetrics, RequestMetrics],
  controllers: [MetricsController],
  exports: [SessionMetrics, RequestMetrics],
})
export class MetricsModule {}
