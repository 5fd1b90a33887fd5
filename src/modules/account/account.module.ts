import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module.js';
import { UserModule } from '../user/user.module.js';
import { AccountService } from './domain/account.service.js';
import { AccountController } from './presentation/account.controller.js';
import { AccountResolver } from './presentation/account.resolver.js';

/**
 * The account's own life: password change, step-up, and an administrator's decisions (disable,
 * enable, roles). Apart from UserModule because each ends or changes sessions: SessionModule
 * imports UserModule (a login checks a password), so this module imports both.
 */
@Module({
  imports: [UserModule, SessionModule],
  providers: [AccountService, AccountResolver],
  controllers: [AccountController],
})
export class AccountModule {}
