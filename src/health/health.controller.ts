import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/public.decorator.js';
import { EventBus } from '../events/event-bus.js';

type Readiness = Omit<HealthCheckResult, 'status'> & { status: HealthCheckResult['status'] | 'degraded' };

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly bus: EventBus,
  ) {}

  /**
   * Liveness: the process is up and answering
   *
   * @remarks Says nothing about its dependencies.
   */
  @Public()
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Readiness: migrations have run and the database answers
   *
   * @remarks The app only listens after its migrations have run, and the database must answer now
   * (503 otherwise, and a load balancer takes the instance out). Redis is reported but does not
   * make the instance unready: without it the instance still serves, with its events confined to
   * itself, so the answer is 200 with status "degraded".
   */
  @Public()
  @Get('ready')
  // terminus documents the route itself only where its require() of @nestjs/swagger works (not
  // under Jest's ESM), which would make the document depend on the build: described here instead.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOkResponse({ description: 'Ready; `status` is "degraded" while Redis is away.', schema: { type: 'object' } })
  @ApiServiceUnavailableResponse({
    description: 'The database does not answer: terminus’s report, naming what is down.',
    schema: { type: 'object' },
  })
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness | object> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([() => this.database.pingCheck('database', { timeout: 2_000 })]);
    } catch (error) {
      // Operators read which dependency is down from terminus's own report, not a bare error code.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(503);
      return error.getResponse() as object;
    }
    const bus = this.bus.health();
    if (bus === 'in-process') return result;
    const redis = { status: bus };
    return bus === 'up'
      ? { ...result, info: { ...result.info, redis }, details: { ...result.details, redis } }
      : { ...result, status: 'degraded', error: { ...result.error, redis }, details: { ...result.details, redis } };
  }
}
