import { Controller, Get, Header, Inject } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Public } from '../../../common/public.decorator.js';
import { authorizationServerMetadata, type AuthorizationServerMetadata } from '../domain/authorization-server-metadata.js';

/**
 * RFC 8414 discovery for other services and client libraries. Built once from the configuration,
 * never from the request: the issuer and the URLs are the same whatever Host a caller sends.
 */
@Controller('.well-known')
export class OAuthMetadataController {
  private readonly metadata: AuthorizationServerMetadata;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.metadata = authorizationServerMetadata(config.jwtIssuer, { introspection: config.introspection !== undefined });
  }

  /** It changes only with a restart under new settings: as cacheable as the keys it points to. */
  @Public()
  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  document(): AuthorizationServerMetadata {
    return this.metadata;
  }
}
