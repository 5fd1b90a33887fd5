import { Body, Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { constantTimeEqual } from '../../../common/opaque-token.js';
import { Public } from '../../../common/public.decorator.js';
import { clientInfoOf } from '../../session/presentation/client-info.js';
import { DeviceKeyProofs } from '../../session/presentation/device-key-proofs.js';
import { TokenIntrospectionService } from '../domain/token-introspection.service.js';
import { TokenRevocationService } from '../domain/token-revocation.service.js';

/** Form fields as RFC 7009 and RFC 7662 define them; anything else is ignored. */
interface TokenForm {
  readonly token?: unknown;
  readonly token_type_hint?: unknown;
}

const MAX_TOKEN_LENGTH = 4096;

/** OAuth endpoints for other services: errors here follow RFC 6749 §5.2 (`{ "error": "..." }`). */
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly revocation: TokenRevocationService,
    private readonly introspection: TokenIntrospectionService,
    private readonly deviceKeys: DeviceKeyProofs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** RFC 7009 §2.2: 200 whether or not the token was known. */
  @Public()
  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() form: TokenForm, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const token = tokenOf(form);
    if (!token) return this.invalidRequest(response);
    const hint = typeof form.token_type_hint === 'string' ? form.token_type_hint : undefined;
    await this.revocation.revoke(token, hint, clientInfoOf(request), await this.deviceKeys.of(request));
    response.setHeader('Cache-Control', 'no-store');
    return {};
  }

  @Public()
  @Post('introspect')
  @HttpCode(200)
  async introspect(
    @Body() form: TokenForm,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const client = this.config.introspection;
    if (!client) {
      response.status(404);
      return { error: 'invalid_request', error_description: 'Introspection is not enabled on this service.' };
    }
    if (!basicCredentialsMatch(authorization, client.clientId, client.clientSecret)) {
      response.status(401).setHeader('WWW-Authenticate', 'Basic realm="tessera-introspection"');
      return { error: 'invalid_client' };
    }
    const token = tokenOf(form);
    if (!token) return this.invalidRequest(response);
    response.setHeader('Cache-Control', 'no-store');
    const { jwtIssuer: issuer, jwtAudience: audience, jwtClientId: clientId } = this.config;
    return this.introspection.introspect(token, { issuer, audience, clientId });
  }

  private invalidRequest(response: Response) {
    response.status(400);
    return { error: 'invalid_request', error_description: 'Send the token as the form field "token".' };
  }
}

function tokenOf(form: TokenForm | undefined): string | undefined {
  const token = form?.token;
  return typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN_LENGTH ? token : undefined;
}

/** RFC 7617 Basic credentials (RFC 6749 §2.3.1 form-encodes them first), compared in constant time. */
function basicCredentialsMatch(header: string | undefined, clientId: string, clientSecret: string): boolean {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  const decode = (value: string) => {
    try {
      return decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return value;
    }
  };
  const id = decode(decoded.slice(0, separator));
  const secret = decode(decoded.slice(separator + 1));
  // Both compared every time, so the answer's timing does not tell which one was wrong.
  const idMatches = constantTimeEqual(id, clientId);
  const secretMatches = constantTimeEqual(secret, clientSecret);
  return idMatches && secretMatches;
}
