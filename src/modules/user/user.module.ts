import { Module } from '@nestjs/common';
import { UserRepository } from './data/user.repository.js';
import { PasswordHasher } from './domain/password-hasher.js';
import { RegistrationThrottle } from './domain/registration-throttle.js';
import { UserService } from './domain/user.service.js';
import { UserResolver } from './presentation/user.resolver.js';

@Module({
  providers: [UserRepository, PasswordHasher, RegistrationThrottle, UserService, UserResolver],
  exports: [UserService],
})
export class UserModule {}
