import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module.js';
import { TokenModule } from './token.module.js';
import { TokenIntrospectionService } from './domain/token-introspection.service.js';
import { TokenRevocationService } from './domain/token-revocation.service.js';
import { OAuthMetadataController } from './presentation/oauth-metadata.controller.js';
import { OAuthController } from './presentation/oauth.controller.js';

/**
 * RFC 7009 revocation and RFC 7662 introspection, apart from TokenModule because both answer
 * from the session behind a token: SessionModule imports TokenModule (it signs and verifies
 * tokens), so TokenModule cannot import SessionModule back without a cycle. This module imports
 * both. The RFC 8414 metadata that points to them lives here too, beside what it describes.
 */
@Module({
  imports: [TokenModule, SessionModule],
  providers: [TokenRevocationService, TokenIntrospectionService],
  controllers: [OAuthController, OAuthMetadataController],
})
export class TokenOAuthModule {}
