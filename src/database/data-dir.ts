import { join } from 'node:path';
import { ensureOwnerOnlyDirectory, restrictTreeToOwner } from './owner-only-files.js';

/** DATA_DIR for a database that lives and dies with the process (tests, schema generation). */
export const IN_MEMORY_DATA_DIR = 'memory://';

/** What Tessera writes under DATA_DIR, besides the database's socket while it runs. */
export const DATABASE_DIRECTORY = 'pgdata';
export const DATA_ENCRYPTION_KEY_FILE = 'data-encryption.key';

/**
 * DATA_DIR and what Tessera wrote in it, owner-only: directories 0700, files 0600. Earlier
 * versions left the database files 0666 and the directories 0755, so this runs at every start
 * rather than once at creation. Only Tessera's own entries are walked: DATA_DIR may be a
 * directory the operator keeps other things in, whose modes are not Tessera's to change.
 */
export function makeDataDirPrivate(dataDir: string): void {
  ensureOwnerOnlyDirectory(dataDir);
  for (const entry of [DATABASE_DIRECTORY, DATA_ENCRYPTION_KEY_FILE]) restrictTreeToOwner(join(dataDir, entry));
}
