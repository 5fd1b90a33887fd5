import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../common/public.decorator.js';
import { SessionMetrics } from './session-metrics.js';

/** Prometheus text format. Public like /health: keep it on the operators' network. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SessionMetrics) {}

  @Public()
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
