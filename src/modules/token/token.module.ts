import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppSecretRepository } from '../../database/app-secret.repository.js';
import { SigningKeyRepository } from './data/signing-key.repository.js';
import { DpopNonces } from './domain/dpop-nonces.js';
import { DpopProofVerifier } from './domain/dpop-proof-verifier.js';
import { TokenKeyStore } from './domain/token-key-store.js';
import { TokenSigner } from './domain/token-signer.js';
import { TokenVerifier } from './domain/token-verifier.js';
import { TokenJwksController } from './presentation/token-jwks.controller.js';

@Module({
  // No module-wide key or options: TokenSigner passes the active key per token (rotation) and
  // TokenVerifier the key the token's kid names, each with the options it states.
  imports: [JwtModule.register({})],
  providers: [SigningKeyRepository, AppSecretRepository, TokenKeyStore, TokenSigner, TokenVerifier, DpopNonces, DpopProofVerifier],
  controllers: [TokenJwksController],
  exports: [TokenSigner, TokenVerifier, TokenKeyStore, DpopProofVerifier],
})
export class TokenModule {}
