import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceInput, login, refresh, registerUser, type LoginResult } from '../factories/session.factory.js';
import { CREATE_SESSION, LOGOUT, ME } from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { EventListener } from '../helpers/ws-client.js';

const root = join(import.meta.dirname, '..', '..');
const DASHBOARD = join(root, 'docs', 'grafana', 'tessera-dashboard.json');

/** Where test/setup/promtool.sh leaves the promtool it unpacks. */
const CACHED_PROMTOOL = join(root, '.build', 'promtool', 'usr', 'bin', 'promtool');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** $PROMTOOL, the copy test/setup/promtool.sh caches, or one on the PATH; a failure that says how to get one otherwise. */
function promtool(): string {
  if (process.env.PROMTOOL) {
    if (executable(process.env.PROMTOOL)) return process.env.PROMTOOL;
    throw new Error(`PROMTOOL is ${process.env.PROMTOOL}, which is not an executable file.`);
  }
  if (executable(CACHED_PROMTOOL)) return CACHED_PROMTOOL;
  const onPath = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  if (onPath.status === 0) return onPath.stdout.trim();
  throw new Error(
    process.env.CI === 'true'
      ? 'promtool is missing in CI: .ci/run\'s "== promtool" step (test/setup/promtool.sh) should have fetched it.'
      : "promtool is missing: run test/setup/promtool.sh (it unpacks Debian's prometheus package into .build/promtool, without installing it), or set PROMTOOL to a promtool.",
  );
}

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

/** The Prometheus text format, as far as prom-client writes it. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`Cannot read the exposition line ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

function series(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  );
}

/** The label values a metric has series for, e.g. every `outcome` of tessera_refreshes_total. */
function labelValues(exposition: Exposition, name: string, label: string): string[] {
  return [...new Set(series(exposition, name).map((sample) => sample.labels[label]))].sort();
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, range
 * selectors, grouping clauses, function calls and numbers are set aside.
 */
function metricNamesIn(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)]
    .map((match) => match[1])
    .filter((word) => !PROMQL_WORDS.has(word.toLowerCase()));
}

/** A histogram's _bucket, _sum and _count, and a summary's _sum and _count, belong to it. */
function exposes(exposition: Exposition, name: string): boolean {
  if (exposition.types.has(name)) return true;
  const suffixed = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!suffixed) return false;
  const type = exposition.types.get(suffixed[1]);
  return type === 'histogram' || (type === 'summary' && suffixed[2] !== 'bucket');
}

interface DashboardPanel {
  readonly type: string;
  readonly title: string;
  readonly panels?: DashboardPanel[];
  readonly targets?: { expr: string; datasource?: { uid?: string } }[];
  readonly datasource?: { uid?: string };
}

function panelsOf(panels: readonly DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
}

describe('metrics hygiene: what Prometheus, promtool and Grafana read from /metrics', () => {
  let app: TestApp;
  let fresh: Exposition;
  let afterTraffic: string;
  let whileSubscribed: Exposition;
  const madeUpName = `Probe_${randomBytes(6).toString('hex')}`;

  const scrape = async () => {
    const response = await fetch(`${app.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    return await response.text();
  };

  beforeAll(async () => {
    app = await startTestApp();
    fresh = parseExposition(await scrape());

    // A day's traffic in miniature: GraphQL and REST, successes and refusals, a socket.
    const user = await registerUser(app.graphql);
    const session: LoginResult = await login(app.graphql, user);
    const renewed = await refresh(app.graphql, session.tokens.refreshToken);
    await app.graphql.data(ME, {}, renewed.tokens.accessToken);
    // A second device: a NEW_DEVICE alert; its logout ends a session.
    const second = await login(app.graphql, user);
    await app.graphql.data(LOGOUT, {}, second.tokens.accessToken);
    await app.graphql.request(CREATE_SESSION, { input: { email: user.email, password: 'not my password!!', device: deviceInput() } });
    // A client's own operation name and alias, and a document that does not parse: neither may become a label value.
    await app.graphql.data(`query ${madeUpName} { ${madeUpName}: me { id } }`, {}, renewed.tokens.accessToken);
    await app.graphql.request(`query ${madeUpName} {`);
    expect((await rest(app.baseUrl, 'GET', '/api/auth/session/active', { accessToken: renewed.tokens.accessToken })).status).toBe(200);
    expect((await rest(app.baseUrl, 'GET', `/no/such/${madeUpName}?q=${madeUpName}`)).status).toBe(404);

    const listener = await new EventListener(app.graphql.url, renewed.tokens.accessToken).subscribe();
    try {
      whileSubscribed = parseExposition(await scrape());
    } finally {
      await listener.dispose();
    }
    await app.settled();
    afterTraffic = await scrape();
  });
  afterAll(() => app?.close());

  it('passes promtool check metrics, without a lint warning', () => {
    const checked = spawnSync(promtool(), ['check', 'metrics'], { input: afterTraffic, encoding: 'utf8' });
    expect({ status: checked.status, output: `${checked.stdout}${checked.stderr}`.trim() }).toEqual({ status: 0, output: '' });
    // What promtool refused before: gauges named like counters.
    for (const [name, type] of parseExposition(afterTraffic).types) {
      if (name.endsWith('_total')) expect({ name, type }).toEqual({ name, type: 'counter' });
    }
  });

  it('has every known series of the labelled counters at 0 on a fresh service', () => {
    const zeroes = (name: string, label: string) => {
      expect(series(fresh, name).every((sample) => sample.value === 0)).toBe(true);
      return labelValues(fresh, name, label);
    };
    expect(zeroes('tessera_refreshes_total', 'outcome')).toEqual(
      ['ended', 'error', 'expired', 'invalid', 'rate_limited', 'replayed', 'reused', 'rotated', 'unavailable'].sort(),
    );
    expect(zeroes('tessera_login_failures_total', 'reason')).toEqual(
      ['bad_input', 'error', 'invalid_credentials', 'rate_limited', 'unavailable'].sort(),
    );
    expect(zeroes('tessera_sessions_ended_total', 'reason')).toEqual(
      [
        'absolute_timeout',
        'account_disabled',
        'device_removed',
        'device_untrusted',
        'idle_timeout',
        'logout',
        'password_changed',
        'refresh_token_reused',
        'reported_by_user',
        'revoked_by_admin',
        'revoked_by_user',
        'session_limit',
        'unknown',
      ].sort(),
    );
    expect(zeroes('tessera_alerts_raised_total', 'type')).toEqual(
      [
        'brute_force',
        'new_device',
        'new_ip_address',
        'password_changed',
        'refresh_token_reuse',
        'refresh_without_device_key',
        'session_limit_reached',
        'session_revoked_by_admin',
      ].sort(),
    );
    for (const name of [
      'tessera_sessions_created_total',
      'tessera_refresh_token_reuse_total',
      'tessera_refresh_device_key_refusals_total',
    ]) {
      expect(series(fresh, name).map((sample) => sample.value)).toEqual([0]);
    }
  });

  it('counts the events on the series that were at 0', () => {
    const after = parseExposition(afterTraffic);
    expect(series(after, 'tessera_refreshes_total', { outcome: 'rotated' })[0].value).toBe(1);
    expect(series(after, 'tessera_login_failures_total', { reason: 'invalid_credentials' })[0].value).toBe(1);
    expect(series(after, 'tessera_sessions_created_total')[0].value).toBe(2);
    // The enums' upper-case values, counted under their lower-case labels.
    expect(series(after, 'tessera_alerts_raised_total', { type: 'new_device' })[0].value).toBe(1);
    expect(series(after, 'tessera_sessions_ended_total', { reason: 'logout' })[0].value).toBe(1);
  });

  it('times HTTP requests by method, route template and status, never by the raw URL', () => {
    const after = parseExposition(afterTraffic);
    const count = (labels: Record<string, string>) =>
      series(after, 'tessera_http_request_duration_seconds_count', labels).reduce((sum, sample) => sum + sample.value, 0);
    expect(count({ method: 'post', route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(6);
    expect(count({ method: 'get', route: '/api/auth/session/active', status: '200' })).toBe(1);
    expect(count({ method: 'get', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(count({ method: 'get', route: 'unmatched', status: '404' })).toBe(1);
    expect(series(after, 'tessera_http_request_duration_seconds_bucket', { route: '/graphql', le: '+Inf' }).length).toBeGreaterThan(0);
    expect(afterTraffic).not.toContain(madeUpName);
  });

  it('times GraphQL operations by the schema’s root field and their outcome, never by a client’s operation name', () => {
    const after = parseExposition(afterTraffic);
    const count = (operation: string, outcome: string) =>
      series(after, 'tessera_graphql_request_duration_seconds_count', { operation, outcome })[0]?.value ?? 0;
    expect(count('register', 'ok')).toBe(1);
    expect(count('createSession', 'ok')).toBe(2);
    expect(count('logout', 'ok')).toBe(1);
    expect(count('createSession', 'client_error')).toBe(1);
    expect(count('refreshSession', 'ok')).toBe(1);
    // ME, then the same field under a made-up operation name and alias.
    expect(count('me', 'ok')).toBe(2);
    expect(count('invalid', 'client_error')).toBe(1);
    expect(labelValues(after, 'tessera_graphql_request_duration_seconds_count', 'operation')).toEqual(
      ['createSession', 'invalid', 'logout', 'me', 'refreshSession', 'register'].sort(),
    );
  });

  it('counts open sockets and their subscriptions on gauges named for them', () => {
    expect(series(whileSubscribed, 'tessera_websocket_connections').map((sample) => sample.value)).toEqual([1]);
    expect(series(whileSubscribed, 'tessera_websocket_subscriptions').map((sample) => sample.value)).toEqual([1]);
    expect(whileSubscribed.types.get('tessera_websocket_connections')).toBe('gauge');
    expect(fresh.types.has('tessera_active_subscriptions')).toBe(false);
    const after = parseExposition(afterTraffic);
    expect(series(after, 'tessera_websocket_connections').map((sample) => sample.value)).toEqual([0]);
  });

  it('writes its own label values in one casing: lower case', () => {
    const after = parseExposition(afterTraffic);
    // Node's own metrics label by the runtime's class names (Socket, TCPServerWrap); GraphQL
    // operations are the schema's field names (createSession), quoted as the API spells them;
    // a histogram's le="+Inf" is Prometheus's spelling.
    const own = after.samples.filter((sample) => !/^tessera_(process|nodejs)_/.test(sample.name));
    const mixed = own.flatMap((sample) =>
      Object.entries(sample.labels)
        .filter(([label, value]) => !['le', 'operation'].includes(label) && value !== value.toLowerCase())
        .map(([label, value]) => `${sample.name}{${label}="${value}"}`),
    );
    expect(mixed).toEqual([]);
    expect(own.length).toBeGreaterThan(50);
  });

  it('ships a Grafana dashboard whose every PromQL expression reads metrics the service exposes', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      title: string;
      uid: string;
      schemaVersion: number;
      panels: DashboardPanel[];
      templating: { list: { name: string; type: string; query: string }[] };
    };
    expect(dashboard).toMatchObject({ title: expect.any(String), uid: expect.any(String), schemaVersion: expect.any(Number) });
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );

    const after = parseExposition(afterTraffic);
    const graphs = panelsOf(dashboard.panels).filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(10);
    const missing: string[] = [];
    const named = new Set<string>();
    for (const panel of graphs) {
      expect({ panel: panel.title, datasource: panel.datasource?.uid }).toEqual({ panel: panel.title, datasource: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const names = metricNamesIn(target.expr);
        expect({ panel: panel.title, expr: target.expr, names: names.length > 0 }).toEqual({
          panel: panel.title,
          expr: target.expr,
          names: true,
        });
        for (const name of names) {
          named.add(name);
          if (!exposes(after, name)) missing.push(`${panel.title}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
    // And every expression is PromQL that Prometheus parses: promtool checks recording rules, so
    // each becomes one, with Grafana's variables replaced by what Grafana would put there.
    const expressions = graphs.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    const rules = {
      groups: [
        {
          name: 'dashboard',
          rules: expressions.map((expr, index) => ({
            record: `dashboard:expression_${index}`,
            expr: expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*'),
          })),
        },
      ],
    };
    const folder = mkdtempSync(join(tmpdir(), 'tessera-dashboard-'));
    try {
      writeFileSync(join(folder, 'rules.yml'), JSON.stringify(rules));
      const checked = spawnSync(promtool(), ['check', 'rules', join(folder, 'rules.yml')], { encoding: 'utf8' });
      expect({ status: checked.status, output: checked.stderr.trim() }).toEqual({ status: 0, output: '' });
      expect(checked.stdout).toContain(`SUCCESS: ${expressions.length} rules found`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    // The panels the runbook points at.
    for (const name of [
      'tessera_refreshes_total',
      'tessera_refresh_duration_seconds_bucket',
      'tessera_sessions_created_total',
      'tessera_login_failures_total',
      'tessera_sessions_ended_total',
      'tessera_refresh_token_reuse_total',
      'tessera_refresh_device_key_refusals_total',
      'tessera_websocket_connections',
      'tessera_http_request_duration_seconds_bucket',
      'tessera_graphql_request_duration_seconds_bucket',
      'tessera_outbox_relay_failures_total',
    ]) {
      expect(named).toContain(name);
    }
  });

  it('reads metric names out of PromQL the way the dashboard check needs', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(tessera_http_request_duration_seconds_bucket{instance=~"$instance", route!="x y"}[$__rate_interval])))',
      ),
    ).toEqual(['tessera_http_request_duration_seconds_bucket']);
    expect(metricNamesIn('sum(rate(a_total[5m])) / ignoring(reason) sum without (instance) (b) > 0 or vector(0)')).toEqual([
      'a_total',
      'b',
    ]);
  });
});
