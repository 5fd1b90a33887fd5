import { loadConfig, type AppConfig } from './app-config.js';

export { ConfigError } from './app-config.js';

/** The one reader of process.env in the code base. */
export function loadConfigFromEnvironment(): AppConfig {
  return loadConfig(process.env);
}
