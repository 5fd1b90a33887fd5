import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/app-config.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The Dockerfile, compose.yaml and deploy/nginx.conf were written on a machine with no Docker
 * engine, and hadolint is in neither Debian bookworm nor npm: nothing there could build or run
 * them. This suite is what keeps them true instead: every variable they set is one the service
 * reads, an instance's settings are a configuration the service accepts in production and serves
 * with, the health check and the ports are the service's, the names agree across the three files,
 * and the Dockerfile follows the rules hadolint would hold it to.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------
// compose.yaml, read with a small reader of the YAML it uses (block maps and lists, quoted and
// plain scalars, one-line JSON-style lists) rather than a YAML library: js-yaml is here only as a
// dependency of dependencies. Anything outside that subset (anchors, multi-line strings) throws,
// so the file cannot drift into a shape this check would misread.

type Yaml = string | Yaml[] | { [key: string]: Yaml };

function parseYamlSubset(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw, index) => ({ number: index + 1, indent: raw.search(/\S/), content: stripComment(raw).trim() }))
    .filter((line) => line.content !== '');
  let at = 0;

  function block(indent: number): Yaml {
    const first = lines[at];
    if (first.content.startsWith('- ')) {
      const list: Yaml[] = [];
      while (at < lines.length && lines[at].indent === indent && lines[at].content.startsWith('- ')) {
        const item = lines[at].content.slice(2).trim();
        if (/^[\w.-]+:(\s|$)/.test(item)) throw new Error(`compose.yaml:${lines[at].number}: a map inside a list is outside the subset`);
        list.push(scalar(item, lines[at].number));
        at++;
      }
      return list;
    }
    const map: { [key: string]: Yaml } = {};
    while (at < lines.length && lines[at].indent === indent) {
      const line = lines[at];
      const match = /^([\w.-]+):(?:\s+(.*))?$/.exec(line.content);
      if (!match) throw new Error(`compose.yaml:${line.number}: "${line.content}" is outside the subset`);
      at++;
      const [, key, value] = match;
      if (value !== undefined) map[key] = scalar(value, line.number);
      else if (at < lines.length && lines[at].indent > indent) map[key] = block(lines[at].indent);
      else map[key] = '';
    }
    if (at < lines.length && lines[at].indent > indent) throw new Error(`compose.yaml:${lines[at].number}: unexpected indentation`);
    return map;
  }

  function scalar(text: string, number: number): Yaml {
    if (/^[&*!|>]/.test(text)) throw new Error(`compose.yaml:${number}: anchors, tags and block scalars are outside the subset`);
    if (text.startsWith('"') || text.startsWith('[')) return JSON.parse(text) as Yaml;
    if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
    return text;
  }

  return block(0);
}

/** A line without its comment: a # at the start or after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

const asMap = (value: Yaml | undefined, what: string): { [key: string]: Yaml } => {
  if (value === undefined || typeof value === 'string' || Array.isArray(value)) throw new Error(`${what} is not a map`);
  return value;
};
const asString = (value: Yaml | undefined, what: string): string => {
  if (typeof value !== 'string') throw new Error(`${what} is not a string`);
  return value;
};
const asList = (value: Yaml | undefined, what: string): Yaml[] => {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
};

/** What `docker compose` makes of ${NAME:?message}: the operator's value from .env. */
function interpolate(value: string, values: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`compose.yaml uses \${${name}}, which this test has no value for`);
    return values[name];
  });
}

// ---------------------------------------------------------------------------------------------
// The Dockerfile, as instructions (continuation lines joined, comments dropped) grouped by stage.

interface Instruction {
  readonly keyword: string;
  readonly argument: string;
}

function dockerfileStages(text: string): Instruction[][] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const [, keyword, argument] = /^(\w+)\s+([\s\S]*)$/.exec(pending)!;
    instructions.push({ keyword: keyword.toUpperCase(), argument: argument });
    pending = '';
  }
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)!.push(instruction);
  }
  return stages;
}

/** ENV's KEY=value pairs (the only form the Dockerfile uses). */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { argument } of stage.filter((instruction) => instruction.keyword === 'ENV')) {
    for (const pair of argument.split(/\s+/)) {
      const [name, ...value] = pair.split('=');
      if (value.length === 0) throw new Error(`ENV ${argument}: use the KEY=value form`);
      env[name] = value.join('=');
    }
  }
  return env;
}

/**
 * An image reference pinned to an exact release or a digest; never `latest`, a bare name or a
 * moving tag such as `node:20`. An exact release is x.y.z, or x.y for PostgreSQL, which numbers
 * its releases so (17.4 is one release; 17 moves).
 */
function isPinned(image: string): boolean {
  if (/^[\w./-]+@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const [, name, tag] = /^([\w./-]+):([\w.-]+)(?:@sha256:[0-9a-f]{64})?$/.exec(image) ?? [];
  if (!name || !tag || tag.startsWith('latest')) return false;
  return (name === 'postgres' ? /^\d+\.\d+(?:-|$)/ : /^\d+\.\d+\.\d+(?:-|$)/).test(tag);
}

// ---------------------------------------------------------------------------------------------

/** Every environment variable the service reads: loadConfig is its one reader of the environment. */
function variablesTheServiceReads(): Set<string> {
  const names = new Set<string>();
  const recording = new Proxy(
    {},
    {
      get: (_target, name) => {
        if (typeof name === 'string') names.add(name);
        return undefined;
      },
    },
  );
  try {
    loadConfig(recording);
  } catch {
    // Defaults alone may be refused; only the names read matter here.
  }
  return names;
}

const stages = dockerfileStages(read('Dockerfile'));
const runtime = stages.at(-1)!;
const compose = asMap(parseYamlSubset(read('compose.yaml')), 'compose.yaml');
const services = asMap(compose.services, 'services');
/** The service's own containers: the ones compose builds from this Dockerfile. */
const instances = Object.keys(services).filter((name) => asMap(services[name], name).build === '.');
const environmentOf = (name: string) => {
  const environment = asMap(asMap(services[name], name).environment, `${name}.environment`);
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, asString(value, `${name}.environment.${key}`)]));
};
/** What the operator puts in .env, as compose.yaml's header says. */
const operatorSecrets = { DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'), POSTGRES_PASSWORD: randomBytes(24).toString('hex') };
const instanceEnvironment = () =>
  Object.fromEntries(Object.entries(environmentOf(instances[0])).map(([key, value]) => [key, interpolate(value, operatorSecrets)]));
const nginx = read('deploy/nginx.conf').replace(/#.*$/gm, '');

describe('the Dockerfile, linted (hadolint cannot run here)', () => {
  it('has a build stage and a runtime stage, each FROM an image pinned to an exact release', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const image = stage[0].argument.split(/\s+/)[0];
      expect({ image, pinned: isPinned(image) }).toEqual({ image, pinned: true });
    }
    // The runtime copies built files from an earlier stage and installs no dev dependencies itself.
    expect(runtime.some((instruction) => instruction.keyword === 'COPY' && /--from=\S+\s+\/app\/dist\b/.test(instruction.argument))).toBe(
      true,
    );
    const installs = stages
      .flat()
      .filter((instruction) => instruction.keyword === 'RUN' && /\bnpm (?:ci|install|i)\b/.test(instruction.argument));
    for (const install of installs) expect(install.argument).toMatch(/\bnpm ci\b.*--ignore-scripts/);
    expect(installs.some((install) => /--omit=dev/.test(install.argument))).toBe(true);
  });

  it('runs as a user other than root in the final stage, in production mode, with exec-form commands', () => {
    const users = runtime.filter((instruction) => instruction.keyword === 'USER').map((instruction) => instruction.argument.trim());
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(?:root|0)(?::|$)/);
    const lastUser = runtime.findLastIndex((instruction) => instruction.keyword === 'USER');
    const command = runtime.findIndex((instruction) => instruction.keyword === 'CMD');
    expect(command).toBeGreaterThan(lastUser);
    expect(() => JSON.parse(runtime[command].argument) as unknown).not.toThrow();
    expect(envOf(runtime).NODE_ENV).toBe('production');
    for (const instruction of stages.flat()) {
      expect(instruction.keyword).not.toBe('ADD');
      if (instruction.keyword === 'WORKDIR') expect(instruction.argument).toMatch(/^\//);
    }
  });

  it('checks health with node (a slim image has no curl), against the readiness path, on the exposed port', () => {
    const healthchecks = runtime.filter((instruction) => instruction.keyword === 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    const command = /\bCMD\s+(\[.*\])$/.exec(healthchecks[0].argument);
    expect(command).not.toBeNull();
    const argv = JSON.parse(command![1]) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).not.toMatch(/\b(?:curl|wget)\b/);
    expect(argv.join(' ')).toContain("'/health/ready'");
    const exposed = runtime.filter((instruction) => instruction.keyword === 'EXPOSE').map((instruction) => instruction.argument.trim());
    expect(exposed).toEqual([envOf(runtime).PORT]);
  });

  it('sets only variables the service reads, and leaves out what must not reach the image', () => {
    const known = variablesTheServiceReads();
    for (const name of Object.keys(envOf(runtime))) expect(known).toContain(name);
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', 'node_modules', 'dist', 'data', '.git']) expect(ignored).toContain(entry);
  });
});

describe('compose.yaml and deploy/nginx.conf', () => {
  it('runs two identical instances of this image behind the proxy, on PostgreSQL and Redis', () => {
    expect(instances.length).toBe(2);
    for (const name of instances) expect(environmentOf(name)).toEqual(environmentOf(instances[0]));
    for (const [name, service] of Object.entries(services)) {
      const image = asString(asMap(service, name).image, `${name}.image`);
      if (!instances.includes(name)) expect({ image, pinned: isPinned(image) }).toEqual({ image, pinned: true });
      const dependsOn = asMap(service, name).depends_on;
      for (const dependency of dependsOn === undefined ? [] : Object.keys(asMap(dependsOn, `${name}.depends_on`))) {
        expect(Object.keys(services)).toContain(dependency);
      }
    }
  });

  it('sets only variables the service reads, and every one an instance needs in production and beside another', () => {
    const known = variablesTheServiceReads();
    const environment = instanceEnvironment();
    for (const name of Object.keys(environment)) expect(known).toContain(name);
    // loadConfig refuses a production configuration that lacks a required variable.
    const config = loadConfig(environment);
    expect(config.nodeEnv).toBe('production');
    // Not required by loadConfig, but by several instances: a shared database and a shared bus.
    expect(config.database.kind).toBe('postgres');
    expect(config.redisUrl).toBeDefined();
    expect(config.trustProxy).toBe(1);
  });

  it('points the instances at the database and Redis services by name, with the database’s own credentials', () => {
    const environment = instanceEnvironment();
    const database = new URL(environment.DATABASE_URL);
    const postgres = environmentOf(database.hostname);
    expect(database.username).toBe(postgres.POSTGRES_USER);
    expect(database.pathname).toBe(`/${postgres.POSTGRES_DB}`);
    expect(database.password).toBe(interpolate(postgres.POSTGRES_PASSWORD, operatorSecrets));
    expect(asString(asMap(services[database.hostname], 'postgres').image, 'image')).toMatch(/^postgres:/);
    const redis = new URL(environment.REDIS_URL);
    expect(asString(asMap(services[redis.hostname], 'redis').image, 'image')).toMatch(/^redis:/);
  });

  it('has the proxy send every request to exactly the instances, on their port, with WebSocket upgrade on /graphql', () => {
    const port = instanceEnvironment().PORT ?? envOf(runtime).PORT;
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(nginx)!;
    const servers = [...upstream[2].matchAll(/server\s+([\w.-]+):(\d+)\s*;/g)].map(([, host, serverPort]) => `${host}:${serverPort}`);
    expect(servers.sort()).toEqual(instances.map((name) => `${name}:${port}`).sort());
    for (const pass of nginx.matchAll(/proxy_pass\s+http:\/\/([\w.-]+)\s*;/g)) expect(pass[1]).toBe(upstream[1]);

    const graphql = /location\s*=\s*\/graphql\s*\{([^}]*)\}/.exec(nginx)![1];
    expect(graphql).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade/);
    expect(graphql).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade/);
    expect(graphql).toMatch(/proxy_http_version\s+1\.1/);
    // Every proxied location forwards the client's address, scheme and host (nginx does not
    // inherit proxy_set_header into a block that sets any): TRUST_PROXY=1 believes this hop.
    for (const [, body] of nginx.matchAll(/location[^{]*\{([^}]*proxy_pass[^}]*)\}/g)) {
      expect(body).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$remote_addr/);
      expect(body).toMatch(/proxy_set_header\s+X-Forwarded-Proto\s+\$scheme/);
      expect(body).toMatch(/proxy_set_header\s+Host\s+\$http_host/);
    }
  });

  it('publishes the proxy’s port, which the issuer names, and mounts the committed proxy configuration', () => {
    const proxyName = Object.keys(services).find((name) => /^nginx:/.test(asString(asMap(services[name], name).image, 'image')))!;
    const proxy = asMap(services[proxyName], proxyName);
    const listen = /listen\s+(\d+)\s*;/.exec(nginx)![1];
    const published = asList(proxy.ports, 'ports').map((entry) => asString(entry, 'port').split(':'));
    expect(published).toHaveLength(1);
    expect(published[0][1]).toBe(listen);
    expect(new URL(instanceEnvironment().JWT_ISSUER).port).toBe(published[0][0]);
    const mounts = asList(proxy.volumes, 'volumes').map((entry) => asString(entry, 'volume').split(':')[0]);
    for (const mount of mounts.filter((source) => source.startsWith('./'))) expect(existsSync(join(ROOT, mount))).toBe(true);
    expect(mounts).toContain('./deploy/nginx.conf');
    expect(Object.keys(asMap(proxy.depends_on, 'depends_on')).sort()).toEqual([...instances].sort());
  });
});

/**
 * An instance's configuration, as compose.yaml gives it (with this test's database and Redis in
 * place of the containers'), started for real: what the health check asks answers, the pages
 * the README sends people to are served, and schema introspection is off.
 */
describe('an instance configured as in compose.yaml', () => {
  let app: TestApp;

  beforeAll(async () => {
    const { DATABASE_URL: _database, ...environment } = instanceEnvironment();
    app = await startTestApp({ ...environment, REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers the Dockerfile’s health check with 200', async () => {
    const healthcheck = runtime.find((instruction) => instruction.keyword === 'HEALTHCHECK')!.argument;
    const path = /'(\/health\/[\w-]+)'/.exec(healthcheck)![1];
    const response = await fetch(`${app.baseUrl}${path}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('serves GraphiQL and the account page, and refuses schema introspection', async () => {
    for (const page of ['/graphiql/', '/account/']) {
      const response = await fetch(`${app.baseUrl}${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    }
    const introspection = await app.graphql.request('{ __schema { queryType { name } } }');
    expect(introspection.data).toBeUndefined();
    expect(introspection.errors?.length).toBeGreaterThan(0);
  });
});
