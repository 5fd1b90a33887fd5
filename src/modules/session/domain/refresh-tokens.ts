import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../../../common/clock.js';
import { hasCurrentRefreshTokenFormat, mintRefreshToken, readRefreshToken, type RefreshTokenClaims } from '../../../common/opaque-token.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';

/** The app secret refresh tokens are authenticated with; shared by every instance through the database. */
export const REFRESH_TOKEN_MAC_SECRET = 'refresh-token-mac';

/** Mints and reads current-format refresh tokens (`tsr_<session>.<generation>.<secret>.<mac>`) with the key in hand. */
export interface RefreshTokenCodec {
  mint(claims: RefreshTokenClaims): string;
  /** Undefined unless `token` is a current-format token this service issued (its MAC checks out). */
  read(token: string): RefreshTokenClaims | undefined;
}

/**
 * The refresh-token MAC key, read once per process (at start-up, or on first use if that
 * failed). Callers take the codec before they open a transaction: reading the key is a query of
 * its own, which inside a transaction would wait forever for PGlite's single connection, and
 * which the refresh path, whose round trips must not grow, never makes once the key is loaded.
 */
@Injectable()
export class RefreshTokens implements OnModuleInit {
  private loaded: Promise<RefreshTokenCodec> | undefined;

  constructor(
    private readonly secrets: AppSecretRepository,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.codec();
  }

  codec(): Promise<RefreshTokenCodec> {
    this.loaded ??= this.secrets.getOrCreate(REFRESH_TOKEN_MAC_SECRET, this.clock.now()).then(
      (key) => ({
        mint: (claims) => mintRefreshToken(key, claims),
        read: (token) => (hasCurrentRefreshTokenFormat(token) ? readRefreshToken(key, token) : undefined),
      }),
      (error: unknown) => {
        // Not cached: the next caller asks the database again.
        this.loaded = undefined;
        throw error;
      },
    );
    return this.loaded;
  }
}
