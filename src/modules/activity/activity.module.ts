import { Module } from '@nestjs/common';
import { SessionActivityRepository } from './data/session-activity.repository.js';
import { SessionActivityService } from './domain/session-activity.service.js';
import { SessionActivityResolver } from './presentation/session-activity.resolver.js';

@Module({
  providers: [SessionActivityRepository, SessionActivityService, SessionActivityResolver],
  exports: [SessionActivityService],
})
export class ActivityModule {}
