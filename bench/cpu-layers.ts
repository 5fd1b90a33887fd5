/**
 * Where a process's main thread spent its time, by layer, from a V8 CPU profile (the
 * `Profiler.stop` answer of the inspector, the format of `node --cpu-prof`): each sample's time
 * goes to the function on top of the stack (self time), and the function to a layer by the file it
 * is in (a package of node_modules, a module of Node itself, the service's own code) or, for
 * native code, by its name.
 */

/** The part of a V8 CPU profile this reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  /** Microseconds since the previous sample, one per sample. */
  readonly timeDeltas: readonly number[];
}

export const LAYERS = [
  'RS256 signature',
  'other crypto (hashes, MACs, random, encryption)',
  'sockets (native writes and reads)',
  'HTTP in Node (http, net, streams)',
  'HTTP framework and its middleware',
  'Nest (DI, guards, pipes, interceptors)',
  'request validation',
  'GraphQL',
  'database driver and TypeORM',
  'JWT libraries',
  'logging and metrics',
  'the server’s own code (Tessera’s; oidc-provider’s in the peer)',
  'garbage collection',
  'promises, timers and the rest of the runtime',
  'other packages',
] as const;
export type Layer = (typeof LAYERS)[number];

const PACKAGE_LAYERS: readonly (readonly [RegExp, Layer])[] = [
  [
    /^(express|router|body-parser|raw-body|koa|koa-.*|@koa\/.*|path-to-regexp|type-is|mime-types|mime-db|content-type|qs|iconv-lite|finalhandler|on-finished|statuses|http-errors|depd|vary|accepts|negotiator|cookies|keygrip|helmet|cors|@nestjs\/platform-express|send|serve-static|parseurl|encodeurl|etag|fresh|media-typer|bytes|content-disposition|cookie|unpipe|ee-first|destroy|proxy-addr|forwarded|ipaddr\.js|merge-descriptors|setprototypeof|toidentifier|inherits)$/,
    'HTTP framework and its middleware',
  ],
  [
    /^(@nestjs\/(core|common|passport)|rxjs|reflect-metadata|tslib|passport|passport-strategy|iterare|uid|fast-safe-stringify|load-esm)$/,
    'Nest (DI, guards, pipes, interceptors)',
  ],
  [/^(class-validator|class-transformer|validator|libphonenumber-js)$/, 'request validation'],
  [/^(graphql|@apollo\/.*|@graphql-tools\/.*|@nestjs\/(graphql|apollo)|@escape\.tech\/.*|graphql-ws|dataloader)$/, 'GraphQL'],
  [
    /^(pg|pg-protocol|pg-types|pg-pool|pg-int8|pgpass|postgres-.*|typeorm|@nestjs\/typeorm|@electric-sql\/pglite|buffer-writer|packet-reader)$/,
    'database driver and TypeORM',
  ],
  [
    /^(jsonwebtoken|jws|jwa|jose|@nestjs\/jwt|passport-jwt|ecdsa-sig-formatter|safe-buffer|lodash\..*|semver|ms|buffer-equal-constant-time)$/,
    'JWT libraries',
  ],
  [
    /^(prom-client|pino|pino-.*|sonic-boom|thread-stream|on-exit-leak-free|quick-format-unescaped|atomic-sleep|fast-redact|tdigest|bintrees)$/,
    'logging and metrics',
  ],
];

/** Native functions (no file) that move bytes through a socket. */
const SOCKET_NATIVES = new Set([
  'writev',
  'writeBuffer',
  'writeUtf8String',
  'writeLatin1String',
  'writeAsciiString',
  'readStart',
  'readStop',
  'shutdown',
  'onStreamRead',
]);

/**
 * The layer of one function, from its file. Native code has no file: a socket write is a layer of
 * its own, anything else native counts for the nearest caller that has a file (`caller`, the
 * layer of the frame below it on the stack: the native half of an RS256 signature is the
 * signature's), or for the runtime when nothing below it has one.
 */
export function layerOf(callFrame: { functionName: string; url: string }, ownCode: RegExp, caller?: Layer): Layer {
  const { functionName, url } = callFrame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (!url) {
    if (SOCKET_NATIVES.has(functionName)) return 'sockets (native writes and reads)';
    return caller ?? 'promises, timers and the rest of the runtime';
  }
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
  if (pkg) {
    if (pkg === 'oidc-provider') return 'the server’s own code (Tessera’s; oidc-provider’s in the peer)';
    return PACKAGE_LAYERS.find(([pattern]) => pattern.test(pkg))?.[1] ?? 'other packages';
  }
  if (/^node:internal\/crypto\/sig/.test(path)) return 'RS256 signature';
  if (/^node:internal\/crypto\//.test(path) || path === 'node:crypto') return 'other crypto (hashes, MACs, random, encryption)';
  if (
    /^node:(_http_|http$|https$|net$|internal\/(http|streams|stream_base_commons|net|js_stream_socket))|^node:(_stream_|stream)/.test(path)
  )
    return 'HTTP in Node (http, net, streams)';
  if (ownCode.test(path)) {
    return /\/(logging|metrics)\//.test(path) ? 'logging and metrics' : 'the server’s own code (Tessera’s; oidc-provider’s in the peer)';
  }
  return 'promises, timers and the rest of the runtime';
}

/**
 * Self time of the main thread per layer, in microseconds, and the busy total (everything but
 * "(idle)"). "(program)" (native work V8 cannot place, such as the event loop's own) goes to the
 * runtime.
 */
export function layerTimes(profile: CpuProfile, ownCode: RegExp): { busyMicros: number; byLayer: Map<Layer, number> } {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const layers = new Map<number, Layer>();
  /** The node's layer, its callers' first (memoised: stacks share their bottoms). */
  const layerAt = (id: number): Layer | undefined => {
    const known = layers.get(id);
    if (known) return known;
    const frame = frames.get(id);
    if (!frame || frame.functionName === '(root)') return undefined;
    const parent = parents.get(id);
    const layer = layerOf(frame, ownCode, parent === undefined ? undefined : layerAt(parent));
    layers.set(id, layer);
    return layer;
  };
  const byLayer = new Map<Layer, number>(LAYERS.map((layer) => [layer, 0]));
  let busyMicros = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    const micros = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)' || frame.functionName === '(root)') return;
    const layer = layerAt(id) ?? 'promises, timers and the rest of the runtime';
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + micros);
    busyMicros += micros;
  });
  return { busyMicros, byLayer };
}
