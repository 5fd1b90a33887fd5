import { describe, expect, it } from '@jest/globals';
import { layerOf, layerTimes, type CpuProfile } from './cpu-layers.js';

const ownCode = /^\/srv\/tessera\/dist\/src\//;
const frame = (functionName: string, url: string) => ({ functionName, url });

describe('layerOf', () => {
  it('names the layer of a function by the package, Node module or own file it is in', () => {
    expect(layerOf(frame('handle', 'file:///srv/tessera/node_modules/express/lib/router/index.js'), ownCode)).toBe(
      'HTTP framework and its middleware',
    );
    expect(layerOf(frame('parseRow', 'file:///srv/tessera/node_modules/pg/lib/result.js'), ownCode)).toBe('database driver and TypeORM');
    expect(layerOf(frame('validate', 'file:///srv/tessera/node_modules/@nestjs/graphql/dist/x.js'), ownCode)).toBe('GraphQL');
    expect(layerOf(frame('sign', 'node:internal/crypto/sig'), ownCode)).toBe('RS256 signature');
    expect(layerOf(frame('createHmac', 'node:internal/crypto/hash'), ownCode)).toBe('other crypto (hashes, MACs, random, encryption)');
    expect(layerOf(frame('write_', 'node:_http_outgoing'), ownCode)).toBe('HTTP in Node (http, net, streams)');
    expect(layerOf(frame('rotate', 'file:///srv/tessera/dist/src/modules/session/x.js'), ownCode)).toBe(
      'the server’s own code (Tessera’s; oidc-provider’s in the peer)',
    );
    expect(layerOf(frame('inc', 'file:///srv/tessera/dist/src/metrics/session-metrics.js'), ownCode)).toBe('logging and metrics');
    expect(layerOf(frame('x', 'file:///srv/tessera/node_modules/left-pad/index.js'), ownCode)).toBe('other packages');
  });

  it('puts native code with its nearest caller that has a file, apart from socket writes', () => {
    expect(layerOf(frame('Sign', ''), ownCode, 'RS256 signature')).toBe('RS256 signature');
    expect(layerOf(frame('writev', ''), ownCode, 'database driver and TypeORM')).toBe('sockets (native writes and reads)');
    expect(layerOf(frame('runMicrotasks', ''), ownCode)).toBe('promises, timers and the rest of the runtime');
    expect(layerOf(frame('(garbage collector)', ''), ownCode, 'GraphQL')).toBe('garbage collection');
  });
});

describe('layerTimes', () => {
  it('adds up each sample’s time under the layer of the function on top of its stack, idle time aside', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 6] },
        { id: 2, callFrame: frame('signJwt', 'node:internal/crypto/sig'), children: [3] },
        { id: 3, callFrame: frame('Sign', ''), children: [] },
        { id: 5, callFrame: frame('(idle)', ''), children: [] },
        { id: 6, callFrame: frame('query', 'file:///srv/tessera/node_modules/pg/lib/client.js'), children: [7] },
        { id: 7, callFrame: frame('writev', ''), children: [] },
      ],
      samples: [3, 3, 5, 6, 7, 2],
      timeDeltas: [100, 100, 1000, 50, 30, 20],
    };
    const { busyMicros, byLayer } = layerTimes(profile, ownCode);
    expect(busyMicros).toBe(300);
    expect(byLayer.get('RS256 signature')).toBe(220);
    expect(byLayer.get('database driver and TypeORM')).toBe(50);
    expect(byLayer.get('sockets (native writes and reads)')).toBe(30);
  });
});
