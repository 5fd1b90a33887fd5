import { createTesseraApp } from '../app.factory.js';
import { ConfigError, loadConfigFromEnvironment } from '../config/load-environment.js';
import { TokenKeyStore } from '../modules/token/domain/token-key-store.js';

/**
 * `npm run keys:rotate`: makes a new RS256 key the active one, with the service's own
 * configuration. Running instances pick it up through the bus (REDIS_URL) or within 30 seconds.
 * In embedded mode, stop the service first: a PGlite directory has no lock.
 */
try {
  const tessera = await createTesseraApp(loadConfigFromEnvironment());
  try {
    const kid = await tessera.app.get(TokenKeyStore).rotate();
    process.stdout.write(`The active signing key is now ${kid}; the previous one stays published until its tokens expire.\n`);
  } finally {
    await tessera.close();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? '' : 'Key rotation failed: '}${(error as Error).message}\n`);
  process.exitCode = 1;
}
