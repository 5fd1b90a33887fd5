import { Module } from '@nestjs/common';
import { SigningKeyRepository } from './data/signing-key.repository.js';
import { TokenKeyStore } from './domain/token-key-store.js';
import { TokenSigner } from './domain/token-signer.js';
import { TokenVerifier } from './domain/token-verifier.js';
import { TokenJwksController } from './presentation/token-jwks.controller.js';

@Module({
  providers: [SigningKeyRepository, TokenKeyStore, TokenSigner, TokenVerifier],
  controllers: [TokenJwksController],
  exports: [TokenSigner, TokenVerifier, TokenKeyStore],
})
export class TokenModule {}
