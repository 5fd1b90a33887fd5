/**
 * The TypeORM CLI's DataSource (`npm run migration:run`, `migration:revert`, `migration:generate`),
 * built by the same function as the app's. With DATABASE_URL it targets that PostgreSQL server;
 * without it, the embedded database under DATA_DIR, which must not be open in a running app
 * at the same time (a PGlite directory has no lock).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigFromEnvironment } from './src/config/load-environment.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';
import { startEmbeddedPostgres } from './src/database/embedded-postgres.js';

const config = loadConfigFromEnvironment();
const embedded = config.database.kind === 'embedded' ? await startEmbeddedPostgres(config.database.dataDir) : undefined;

const dataSource = new DataSource(buildDataSourceOptions({ url: embedded?.url ?? (config.database as { url: string }).url, poolSize: 1 }));

// The CLI ends by destroying the data source; the embedded server must stop with it or the process never exits.
const destroy = dataSource.destroy.bind(dataSource);
dataSource.destroy = async () => {
  await destroy();
  await embedded?.stop();
};

export default dataSource;
