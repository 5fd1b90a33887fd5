import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC = 'tessera:public';

/**
 * Every route and operation needs an access token unless it says otherwise here. The OpenAPI
 * document says so too: an empty security requirement, "no credentials needed".
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity({}));
