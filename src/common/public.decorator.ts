import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tessera:public';

/** Every route and operation needs an access token unless it says otherwise here. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
