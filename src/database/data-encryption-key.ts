import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { DATA_ENCRYPTION_KEY_FILE, IN_MEMORY_DATA_DIR } from './data-dir.js';
import { ensureOwnerOnlyDirectory, OWNER_ONLY_FILE_MODE } from './owner-only-files.js';

/**
 * The key that seals signing keys and other secrets at rest. Configuration demands it with
 * DATABASE_URL; in embedded mode it is generated once into DATA_DIR beside the database,
 * readable only by its owner.
 */
export function resolveDataEncryptionKey(config: AppConfig): Buffer {
  if (config.dataEncryptionKey) return config.dataEncryptionKey;
  if (config.database.kind !== 'embedded') throw new Error('DATA_ENCRYPTION_KEY is required with DATABASE_URL');
  if (config.dataDir === IN_MEMORY_DATA_DIR) return randomBytes(32);
  const path = join(config.dataDir, DATA_ENCRYPTION_KEY_FILE);
  try {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  ensureOwnerOnlyDirectory(config.dataDir);
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64') + '\n', { mode: OWNER_ONLY_FILE_MODE, flag: 'wx' });
  return key;
}
