import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildSchema, Kind, parse, print, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Page } from 'playwright-core';
import { deviceInput, login, registerUser, type TestUser } from '../factories/session.factory.js';
import { launchHeadlessChromium, type HeadlessChromium, type TrackedPage } from '../helpers/headless-chromium.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** The explorer's preloaded tabs, one file each: the one source of the README's examples. */
const EXAMPLES = join(ROOT, 'web', 'src', 'graphiql', 'examples');
const exampleFiles = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.graphql'))
  .sort();
const exampleDocuments = exampleFiles.map((name) => ({ name, document: parse(readFileSync(join(EXAMPLES, name), 'utf8')) }));

const operationsOf = (document: DocumentNode): OperationDefinitionNode[] =>
  document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);

/** The README's "Try it" block: the first graphql code block under that heading. */
function readmeExamples(): DocumentNode {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Try it'));
  const block = /```graphql\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no graphql block under "## Try it"');
  return parse(block[1]);
}

/** The README promises these as it shows them: the tabs must be them, word for word in the AST. */
describe('the explorer’s example operations', () => {
  const schema = buildSchema(readFileSync(join(ROOT, 'schema.gql'), 'utf8'));

  it.each(exampleDocuments.map(({ name, document }) => [name, document] as const))('%s validates against schema.gql', (_name, document) => {
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    for (const operation of operationsOf(document)) expect(operation.name?.value).toBeTruthy();
  });

  it('are exactly the operations the README shows, in the same order', () => {
    const printed = (operations: OperationDefinitionNode[]) => operations.map((operation) => print(operation));
    const inTabs = exampleDocuments.flatMap(({ document }) => operationsOf(document));
    expect(printed(inTabs)).toEqual(printed(operationsOf(readmeExamples())));
  });
});

/** The browser globals the checks read, typed here: the service's tsconfig has no DOM types. */
interface PageWindow {
  readonly localStorage: { readonly length: number; key(index: number): string | null; getItem(key: string): string | null };
  addEventListener(type: 'securitypolicyviolation', listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
  cspViolations?: string[];
}
interface PageDocument {
  readonly document: { querySelector(selector: string): { readonly innerText: string } | null };
}

/**
 * GraphiQL at /graphiql, served by the real service on PostgreSQL, in Debian's headless Chromium,
 * with every request to another origin refused and recorded: what someone without internet
 * access gets, where Apollo Sandbox shows only its offline notice.
 */
describe('GraphiQL at /graphiql in a real browser, offline', () => {
  let app: TestApp;
  let chromium: HeadlessChromium;
  let user: TestUser;
  let tab: TrackedPage;
  let page: Page;
  /** Every request the browser tried to send anywhere but the service. */
  const elsewhere: string[] = [];

  const resultPane = () => page.getByRole('region', { name: 'Result Window' });
  /** Monaco draws spaces as no-break spaces. */
  const resultText = async () => (await resultPane().innerText()).replace(/\u00a0/g, ' ');
  const run = () => page.getByRole('button', { name: /^Execute query/ }).click();
  /** Switches tabs, and waits until the editor holds that tab's operation (Run acts on what it holds). */
  async function openTab(title: string): Promise<void> {
    const tabButton = page.getByRole('tab').filter({ hasText: title });
    await tabButton.click();
    await page.locator('[role="tab"][aria-selected="true"]').filter({ hasText: title }).waitFor();
    await page.waitForFunction(
      (name) => {
        const editor = (globalThis as unknown as PageDocument).document.querySelector('.graphiql-query-editor');
        return (editor?.innerText ?? '').replace(/\u00a0/g, ' ').includes(` ${name}`);
      },
      title,
      { timeout: 0 },
    );
  }

  beforeAll(async () => {
    [app, chromium] = await Promise.all([startTestApp(), launchHeadlessChromium()]);
    // The README's LogIn example signs in as this very account (the factory's password is the README's).
    user = await registerUser(app.graphql, 'alice@example.com');
    const service = new URL(app.baseUrl).origin;
    await chromium.context.route(
      (url) => url.origin !== service,
      (route) => {
        elsewhere.push(route.request().url());
        return route.abort('internetdisconnected');
      },
    );
    // Tall enough for the editor to draw a whole answer: it draws only the lines in view.
    tab = await chromium.newPage({ width: 1280, height: 2400 });
    page = tab.page;
    await page.addInitScript(() => {
      const window = globalThis as unknown as PageWindow;
      window.cspViolations = [];
      window.addEventListener('securitypolicyviolation', (event) =>
        window.cspViolations!.push(`${event.violatedDirective} ${event.blockedURI}`),
      );
    });
  });
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
  });

  it('serves the built explorer with a policy that allows only its own files and this service', async () => {
    const response = await fetch(`${app.baseUrl}/graphiql/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("worker-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(app.baseUrl).host}`);
    expect(csp).not.toMatch(/https?:\/\/|\*|blob:|unsafe-eval/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });

  it('loads with no request to any other origin and no policy violation, with the README’s operations as tabs', async () => {
    // Completion and validation run in the editor's GraphQL worker: it must start, from a file of ours.
    const graphqlWorker = page.waitForEvent('worker', {
      predicate: (worker) => /\/assets\/graphql\.worker-[\w-]+\.js$/.test(worker.url()),
      timeout: 0,
    });
    await page.goto(`${app.baseUrl}/graphiql`);
    await page.getByRole('tab').first().waitFor();
    const titles = await page.getByRole('tab').allInnerTexts();
    for (const title of ['Register', 'LogIn', 'Refresh', 'Me', 'LiveEvents']) expect(titles.map((text) => text.trim())).toContain(title);
    expect(titles).toHaveLength(exampleFiles.length);
    expect(new URL((await graphqlWorker).url()).origin).toBe(new URL(app.baseUrl).origin);
    await page.getByRole('region', { name: 'Result Window' }).waitFor();

    expect(elsewhere).toEqual([]);
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).cspViolations)).toEqual([]);
    expect(tab.problems).toEqual([]);
    expect(tab.console.filter((line) => line.startsWith('error'))).toEqual([]);
  });

  it('runs the LogIn tab as it stands and shows the new session in the result pane', async () => {
    await openTab('LogIn');
    // The LogIn operation's own answer, not whatever else GraphiQL may post meanwhile (its schema's introspection).
    const answer = page.waitForResponse(
      (response) =>
        response.url() === `${app.baseUrl}/graphql` &&
        response.request().method() === 'POST' &&
        (response.request().postData() ?? '').includes('createSession'),
    );
    await run();
    const response = await answer;
    expect({ status: response.status(), body: response.status() === 200 ? '' : await response.text() }).toEqual({ status: 200, body: '' });
    await expect(resultContaining('"tokenType": "Bearer"')).resolves.toContain(`"email": "${user.email}"`);
  });

  it('sends the header editor’s Authorization header with a query, and keeps it out of storage', async () => {
    const { accessToken } = (await login(app.graphql, user, deviceInput({ deviceId: 'graphiql-me' }))).tokens;
    await openTab('Me');
    await replaceEditorText('Headers', JSON.stringify({ Authorization: `Bearer ${accessToken}` }));
    await run();
    const text = await resultContaining('"activeSessions"');
    expect(text).toContain(`"email": "${user.email}"`);
    expect(text).not.toContain('UNAUTHENTICATED');

    const stored = await page.evaluate(() => {
      const storage = (globalThis as unknown as PageWindow).localStorage;
      return Array.from({ length: storage.length }, (_, index) => storage.getItem(storage.key(index)!) ?? '').join('\n');
    });
    expect(stored).toContain('query Me');
    expect(stored).not.toContain(accessToken);
  });

  it('runs the LiveEvents subscription over graphql-ws, authenticated by the header editor’s token', async () => {
    const { accessToken } = (await login(app.graphql, user, deviceInput({ deviceId: 'graphiql-live' }))).tokens;
    await openTab('LiveEvents');
    await replaceEditorText('Headers', JSON.stringify({ Authorization: `Bearer ${accessToken}` }));
    // From the first version on: the events of the logins above come back from the outbox at once.
    await replaceEditorText('Variables', JSON.stringify({ since: 0 }));
    const socket = page.waitForEvent('websocket', (ws) => ws.url() === `${app.baseUrl.replace('http', 'ws')}/graphql`);
    await run();
    await socket;
    const text = await resultContaining('"sessionEvents"');
    expect(text).toMatch(/"version": [1-9]/);
    expect(text).not.toContain('"errors"');
    expect(text).not.toMatch(/Socket closed/);
    expect(elsewhere).toEqual([]);
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).cspViolations)).toEqual([]);
  });

  /** Replaces the text of the Headers or Variables editor as a person would: open it, select all, type. */
  async function replaceEditorText(editorName: 'Headers' | 'Variables', json: string): Promise<void> {
    await page.getByRole('button', { name: editorName, exact: true }).click();
    const editor = page.locator('.graphiql-editor-tool .graphiql-editor:visible');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(json);
    expect((await editor.innerText()).replace(/\u00a0/g, ' ')).toContain(json.slice(0, 12));
  }

  /** The result pane's text once it contains `needle`: it fills in when the answer arrives. */
  async function resultContaining(needle: string): Promise<string> {
    const shown = await page
      .waitForFunction(
        (expected) => {
          const pane = (globalThis as unknown as PageDocument).document.querySelector('[aria-label="Result Window"]');
          return (pane?.innerText ?? '').replace(/\u00a0/g, ' ').includes(expected);
        },
        needle,
        // Within the test's own minute, so that a missing answer fails saying what was shown instead.
        { timeout: 45_000 },
      )
      .then(
        () => true,
        () => false,
      );
    const text = await resultText();
    if (!shown) throw new Error(`The result pane never showed ${needle}; it shows: ${text}`);
    return text;
  }
});
