import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** What everything Tessera writes under DATA_DIR is held to: its own user reads and writes it, nobody else. */
export const OWNER_ONLY_DIRECTORY_MODE = 0o700;
export const OWNER_ONLY_FILE_MODE = 0o600;
/** The permission bits that let someone other than the owner in. */
export const GROUP_AND_OTHER_BITS = 0o077;

/**
 * Creates the directory (and any missing parents) owner-only, and narrows it if it was already
 * there: mkdir's mode passes through the umask and leaves an existing directory untouched.
 * chmod fails with EPERM on a directory another user owns, which is the right answer: then
 * Tessera cannot promise that its files are private, and it must not start.
 */
export function ensureOwnerOnlyDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: OWNER_ONLY_DIRECTORY_MODE });
  chmodSync(path, OWNER_ONLY_DIRECTORY_MODE);
}

function ownerOnlyModeFor(stats: Stats): number | undefined {
  if (stats.isDirectory()) return OWNER_ONLY_DIRECTORY_MODE;
  // A symbolic link has no permissions of its own and chmod would follow it out of the tree.
  if (stats.isSymbolicLink()) return undefined;
  return OWNER_ONLY_FILE_MODE;
}

/**
 * Narrows a file or a whole tree to its owner, for data directories written by versions that
 * left the database files world-readable (0666) or by hand. Only entries whose mode is wrong
 * are touched, so a start-up on a correct tree costs one lstat per file.
 */
export function restrictTreeToOwner(root: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const mode = ownerOnlyModeFor(stats);
  if (mode === undefined) return;
  // Narrowed before its entries are listed, so nobody new can walk in while the rest is fixed.
  if ((stats.mode & 0o7777) !== mode) chmodSync(root, mode);
  if (!stats.isDirectory()) return;
  for (const name of readdirSync(root)) restrictTreeToOwner(join(root, name));
}
