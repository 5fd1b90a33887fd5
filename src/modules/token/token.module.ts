import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { SigningKeyRepository } from './data/signing-key.repository.js';
import { TokenKeyStore } from './domain/token-key-store.js';
import { TokenSigner } from './domain/token-signer.js';
import { TokenVerifier } from './domain/token-verifier.js';
import { TokenJwksController } from './presentation/token-jwks.controller.js';

@Module({
  // No module-wide key or options: TokenSigner passes the active key per token (rotation) and
  // TokenVerifier the key the token's kid names, each with the options it states.
  imports: [JwtModule.register({})],
  providers: [SigningKeyRepository, TokenKeyStore, TokenSigner, TokenVerifier],
  controllers: [TokenJwksController],
  exports: [TokenSigner, TokenVerifier, TokenKeyStore],
})
export class TokenModule {}
