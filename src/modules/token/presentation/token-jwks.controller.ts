import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../../../common/public.decorator.js';
import { TokenKeyStore } from '../domain/token-key-store.js';

@Controller('.well-known')
export class TokenJwksController {
  constructor(private readonly keys: TokenKeyStore) {}

  /** Served from memory: resource servers fetch this often and cache it for a few minutes. */
  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks();
  }
}
