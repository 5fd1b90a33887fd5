import { NodeFS } from '@electric-sql/pglite/nodefs';
import { GROUP_AND_OTHER_BITS } from './owner-only-files.js';

type EmscriptenOptions = Parameters<NodeFS['init']>[1];
type PostgresModule = Parameters<NonNullable<EmscriptenOptions['preRun']>[number]>[0];

/** The two entry points of Emscripten's NODEFS through which every file and directory mode reaches the disk. */
interface NodeFsInternals {
  node_ops: { mknod(parent: unknown, name: string, mode: number, dev: number): unknown };
  setattr(target: unknown, node: unknown, attr: { mode?: number }, ...rest: unknown[]): void;
}

/**
 * PGlite's on-disk filesystem with every file 0600 and every directory 0700.
 *
 * PGlite writes through Emscripten's NODEFS, which applies its own built-in umask (022) and not
 * the process's: it creates each file and then chmods it to the mode PostgreSQL asked for, and
 * its initial data directory is copied in with 0666, WAL and catalogs included. A process umask
 * therefore cannot help; the group and other bits are cleared where NODEFS creates a file and
 * where it changes a mode, which covers the initial copy and every file PostgreSQL writes later.
 */
export class OwnerOnlyNodeFS extends NodeFS {
  override async init(pg: Parameters<NodeFS['init']>[0], options: EmscriptenOptions): Promise<{ emscriptenOpts: EmscriptenOptions }> {
    const { emscriptenOpts } = await super.init(pg, options);
    // First, so that NODEFS is narrowed before the data directory is mounted and written.
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [restrictNodeFsToOwner, ...(emscriptenOpts.preRun ?? [])] } };
  }
}

function restrictNodeFsToOwner(module: PostgresModule): void {
  const nodeFs = (module.FS as unknown as { filesystems?: { NODEFS?: Partial<NodeFsInternals> } }).filesystems?.NODEFS;
  // Fails the start-up rather than writing world-readable files after a PGlite upgrade renames these.
  if (typeof nodeFs?.setattr !== 'function' || typeof nodeFs.node_ops?.mknod !== 'function') {
    throw new Error('PGlite internals changed: cannot keep the embedded database files private (OwnerOnlyNodeFS)');
  }
  const internals = nodeFs as NodeFsInternals;
  const nodeOps = internals.node_ops;
  const mknod = nodeOps.mknod.bind(nodeOps);
  const setattr = internals.setattr.bind(internals);
  nodeOps.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~GROUP_AND_OTHER_BITS, dev);
  nodeFs.setattr = (target, node, attr, ...rest) =>
    setattr(target, node, attr.mode === undefined ? attr : { ...attr, mode: attr.mode & ~GROUP_AND_OTHER_BITS }, ...rest);
}
