import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { GraphQLModule } from '@nestjs/graphql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { Clock, SystemClock } from './common/clock.js';
import { resolveDataEncryptionKey } from './database/data-encryption-key.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded-postgres.js';
import { MAX_BODY_SIZE } from './graphql/query-limits.js';
import { createRootLogger, PinoNestLogger } from './logging/pino-logger.js';
import { requestLogging } from './logging/request-context.js';
import { noStoreForTokenResponses } from './http/no-store.middleware.js';
import { RequestMetrics } from './metrics/request-metrics.js';
import { trustProxyOf } from './modules/session/presentation/client-info.js';
import { OWASP_PASSWORD_HASH_COST, type PasswordHashCost } from './kernel/password-hash-cost.js';
import { serveApiDocs } from './openapi/openapi.js';
import { serveWebPages } from './web-pages/web-pages.static.js';

export interface TesseraApp {
  readonly app: NestExpressApplication;
  /** Stops the app, then the embedded database if there is one. */
  close(): Promise<void>;
}

export interface TesseraAppOptions {
  readonly clock?: Clock;
  /** Where log lines go (standard output by default); tests capture them here. */
  readonly logDestination?: NodeJS.WritableStream;
  /** For an in-memory embedded database: a PGlite snapshot to start from instead of running initdb. */
  readonly embeddedSnapshot?: Blob;
  /**
   * argon2id's cost for new password hashes; OWASP's minimum unless given. Only the end-to-end
   * tests pass a lower one, so that thousands of registrations and logins cost seconds rather
   * than a minute of CPU; no environment variable reaches it.
   */
  readonly passwordHashCost?: PasswordHashCost;
}

const SERVER_POOL_SIZE = 10;
/** The same bound as an HTTP body (DESIGN.md protocol details). */
const MAX_WEBSOCKET_MESSAGE_BYTES = 100 * 1024;

/**
 * Nest creates the graphql-ws WebSocketServer without a message limit (ws defaults to 100 MiB)
 * and offers no option for one; ws reads the limit from the server's options at each upgrade,
 * so setting it here applies to every connection. A test holds this in place.
 */
function limitWebSocketMessageSize(app: NestExpressApplication): void {
  const driver = app.get(GraphQLModule, { strict: false }).graphQlAdapter as unknown as {
    _subscriptionService?: { wss?: { options: { maxPayload?: number } } };
  };
  const options = driver._subscriptionService?.wss?.options;
  if (!options) throw new Error('Cannot find the graphql-ws server to limit its message size');
  options.maxPayload = MAX_WEBSOCKET_MESSAGE_BYTES;
}

/**
 * Builds the whole service for a configuration: the embedded database when DATABASE_URL is
 * unset, migrations, every module. Used by main.ts and by the end-to-end tests alike.
 */
export async function createTesseraApp(config: AppConfig, options: TesseraAppOptions = {}): Promise<TesseraApp> {
  const dataEncryptionKey = resolveDataEncryptionKey(config);
  let embedded: EmbeddedPostgres | undefined;
  if (config.database.kind === 'embedded') {
    embedded = await startEmbeddedPostgres(config.database.dataDir, { initialDataDir: options.embeddedSnapshot });
  }
  const database =
    config.database.kind === 'embedded' ? { url: embedded!.url, poolSize: 1 } : { url: config.database.url, poolSize: SERVER_POOL_SIZE };

  const logger = createRootLogger(config.logLevel, options.logDestination);
  try {
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({
        config,
        database,
        clock: options.clock ?? new SystemClock(),
        dataEncryptionKey,
        logger,
        passwordHashCost: options.passwordHashCost ?? OWASP_PASSWORD_HASH_COST,
      }),
      { bodyParser: false, logger: new PinoNestLogger(logger), abortOnError: false },
    );
    // First, so that the request-duration histogram times everything after it.
    app.use(app.get(RequestMetrics).httpMiddleware());
    app.use(requestLogging(logger));
    // Apollo Sandbox (development only) loads its page and scripts from Apollo's CDN, which a
    // content security policy would block; in production there is no page to load.
    const production = config.nodeEnv === 'production';
    app.use(helmet({ contentSecurityPolicy: production, crossOriginEmbedderPolicy: production }));
    app.use(noStoreForTokenResponses);
    serveWebPages(app, { production });
    if (config.apiDocs) await serveApiDocs(app);
    app.useBodyParser('json', { limit: MAX_BODY_SIZE });
    app.useBodyParser('urlencoded', { extended: false, limit: MAX_BODY_SIZE });
    app.disable('x-powered-by');
    app.set('trust proxy', trustProxyOf(config.trustProxy));
    if (config.corsOrigins.length > 0) {
      // A browser app reads the next DPoP nonce from the answers (RFC 9449 §8.2).
      app.enableCors({
        origin: [...config.corsOrigins],
        credentials: false,
        exposedHeaders: ['DPoP-Nonce', 'WWW-Authenticate', 'Retry-After'],
      });
    }
    await app.init();
    limitWebSocketMessageSize(app);
    return {
      app,
      async close() {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
