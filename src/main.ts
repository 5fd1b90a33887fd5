import { createTesseraApp } from './app.factory.js';
import { ConfigError, loadConfigFromEnvironment } from './config/load-environment.js';
import { createRootLogger } from './logging/pino-logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfigFromEnvironment();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createRootLogger(config.logLevel);
  const tessera = await createTesseraApp(config);
  await tessera.app.listen(config.port);
  logger.info(
    // The issuer is what other services must verify tokens against: worth seeing at a glance in development.
    { port: config.port, database: config.database.kind, graphql: `http://localhost:${config.port}/graphql`, issuer: config.jwtIssuer },
    'Tessera is ready',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    await tessera.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Tessera failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
