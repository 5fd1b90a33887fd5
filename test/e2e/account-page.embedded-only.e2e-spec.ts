import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { deviceInput, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { ALERTS, CREATE_SESSION, REVOKE_SESSION, SESSION, TRUST_DEVICE } from '../helpers/operations.js';
import { launchHeadlessChromium, type HeadlessChromium, type TrackedPage } from '../helpers/headless-chromium.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** The README shows this picture of the signed-in page. */
// A test artifact (git-ignored); docs/account-page.png, which the README shows, is a copy of one.
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'test-artifacts', 'account-page.png');
/** The browser globals the checks read, typed here: the service's tsconfig has no DOM types. */
interface PageWindow {
  readonly sessionStorage: { readonly length: number; getItem(key: string): string | null; setItem(key: string, value: string): void };
  readonly localStorage: { readonly length: number };
  readonly document: { readonly documentElement: { readonly scrollWidth: number } };
  readonly innerWidth: number;
}

/** "Shows within a second": what the page gets to show a change made elsewhere. */
const LIVE = { timeout: 1_000 };

/**
 * The account page (web/) served by the real service, in Debian's headless Chromium: one person
 * signed in on the page while the test plays their other devices through the API.
 */
describe('account page in a real browser', () => {
  let app: TestApp;
  let chromium: HeadlessChromium;
  let user: TestUser;
  let tab: TrackedPage;
  let page: Page;

  const sessionCards = () => page.getByTestId('session');
  const sessionCard = (sessionId: string) => page.locator(`[data-testid="session"][data-session-id="${sessionId}"]`);
  const deviceCard = (deviceId: string) => page.locator(`[data-testid="device"][data-device-id="${deviceId}"]`);
  const alertCards = () => page.getByTestId('alert');
  const signInForm = () => page.getByRole('button', { name: 'Sign in', exact: true });
  const text = (locator: Locator) => locator.innerText();

  async function signIn(target: Page, email: string, password: string): Promise<void> {
    await target.getByLabel('Email address').fill(email);
    await target.getByLabel('Password').fill(password);
    await target.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** The same person signing in on another device, through the API, with that device's user agent. */
  async function loginElsewhere(device: Record<string, unknown>, userAgent: string): Promise<LoginResult> {
    const input = { email: user.email, password: user.password, device: deviceInput(device) };
    const result = await app.graphql.request(CREATE_SESSION, { input }, undefined, { 'user-agent': userAgent });
    if (!result.data) throw new Error(`Login failed: ${JSON.stringify(result.errors)}`);
    return result.data.createSession;
  }
  /** One more device of the same person, whose sessions the test uses to act through the API. */
  const laptopId = `laptop-${randomUUID()}`;
  const laptop = () =>
    loginElsewhere(
      { deviceId: laptopId, type: 'DESKTOP', name: 'Work laptop', model: 'ThinkPad X1', osVersion: 'Windows 11' },
      'Tessera Desktop/3.2.0 (Windows NT 10.0)',
    );

  beforeAll(async () => {
    [app, chromium] = await Promise.all([startTestApp(), launchHeadlessChromium()]);
    user = await registerUser(app.graphql, 'alice@example.com'); // each test app has a database of its own
    tab = await chromium.newPage();
    page = tab.page;
  });
  let serviceStopped = false;
  afterAll(async () => {
    await chromium?.close();
    if (!serviceStopped) await app?.close();
  });

  it('serves the built page at /account with a policy that allows only its own files and this service', async () => {
    const redirect = await fetch(`${app.baseUrl}/account`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/account/');

    const response = await fetch(`${app.baseUrl}/account/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`connect-src 'self' ws://${new URL(app.baseUrl).host}`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    // Every script is a file of ours: no inline code, nothing from another host.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    const script = /<script[^>]*src="([^"]+)"/.exec(html)![1];
    const asset = await fetch(new URL(script, app.baseUrl));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('tells a person who typed a wrong password so in a sentence, and keeps the email', async () => {
    await page.goto(`${app.baseUrl}/account`);
    await signIn(page, user.email, 'not the password at all');
    const message = page.getByRole('alert');
    await message.waitFor();
    expect(await text(message)).toContain('The email address or password is not right');
    expect(await page.getByLabel('Email address').inputValue()).toBe(user.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
  });

  it('signs in with the keyboard alone and lists this browser as the current session and an untrusted WEB device', async () => {
    await page.getByLabel('Password').focus();
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');

    await page.getByTestId('user-email').waitFor();
    expect(await text(page.getByTestId('user-email'))).toBe(user.email);
    await sessionCards().first().waitFor();
    expect(await sessionCards().count()).toBe(1);
    const mine = sessionCards().first();
    expect(await text(mine)).toContain('This device');
    expect(await text(mine)).toContain('127.0.0.1');
    expect(await text(mine)).toContain('HeadlessChrome');
    const sessionId = (await mine.getAttribute('data-session-id'))!;
    const stored = await app.graphql.data(SESSION, { id: sessionId }, (await laptop()).tokens.accessToken);
    expect(stored.session.device).toMatchObject({ type: 'WEB', name: 'Chrome on Linux', trusted: false });

    const devices = page.getByTestId('device');
    await devices.filter({ hasText: 'Chrome on Linux' }).waitFor();
    expect(await text(devices.filter({ hasText: 'Chrome on Linux' }))).toContain('Not trusted');
    // The refresh token is kept for this tab only; the access token is in no storage at all.
    const storage = await page.evaluate(() => {
      const window = globalThis as unknown as PageWindow;
      return { session: JSON.stringify(window.sessionStorage), local: JSON.stringify(window.localStorage) };
    });
    expect(storage.session).toContain('tsr_');
    expect(storage.local).not.toContain('tsr_');
    expect(storage.session + storage.local).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('leaves a duplicated tab signed out instead of letting two tabs rotate one refresh token', async () => {
    const key = 'tessera.account.session';
    const stored = await page.evaluate((name) => (globalThis as unknown as PageWindow).sessionStorage.getItem(name), key);
    expect(stored).toBeTruthy();
    const copy = await chromium.newPage();
    try {
      // What "Duplicate tab" does: the new tab starts with a copy of the first one's sessionStorage.
      await copy.page.addInitScript(([name, value]) => (globalThis as unknown as PageWindow).sessionStorage.setItem(name, value), [
        key,
        stored!,
      ] as const);
      await copy.page.goto(`${app.baseUrl}/account/`);
      const notice = copy.page.getByRole('status').filter({ hasText: 'already open in another tab' });
      await notice.waitFor();
      expect(copy.problems).toEqual([]);
    } finally {
      await copy.page.close();
    }
    // The first tab is still signed in on the same session.
    expect(await sessionCards().filter({ hasText: 'This device' }).count()).toBe(1);
    expect(await page.evaluate((name) => (globalThis as unknown as PageWindow).sessionStorage.getItem(name), key)).toBe(stored);
  });

  let phone: LoginResult;
  let tablet: LoginResult;

  it('shows a session opened through the API, and its new-device alert, within a second and without a reload', async () => {
    await sessionCards().nth(1).waitFor(); // the laptop's session from the previous test
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));

    phone = await loginElsewhere(
      { type: 'IOS', name: 'Alice’s iPhone', model: 'iPhone15,2', osVersion: 'iOS 18.1' },
      'Tessera/3.2.0 (iPhone; iOS 18.1)',
    );
    await sessionCard(phone.session.id).waitFor(LIVE);
    expect(await text(sessionCard(phone.session.id))).toContain('Alice’s iPhone');
    expect(await text(sessionCard(phone.session.id))).not.toContain('This device');
    await deviceCard(phone.session.device.id).waitFor(LIVE);
    await alertCards().filter({ hasText: 'Sign-in from a new device' }).first().waitFor(LIVE);

    tablet = await loginElsewhere(
      { type: 'ANDROID', name: 'Pixel Tablet', model: 'Pixel Tablet', osVersion: 'Android 15' },
      'Tessera/3.2.0 (Linux; Android 15)',
    );
    await sessionCard(tablet.session.id).waitFor(LIVE);
    expect(navigations).toEqual([]);
  });

  it('revokes a session from the page: it leaves the list and the service has ended it', async () => {
    await sessionCard(phone.session.id).getByRole('button', { name: 'Revoke the session on Alice’s iPhone' }).click();
    await sessionCard(phone.session.id).waitFor({ state: 'detached' });
    expect(await text(page.getByRole('status').filter({ hasText: 'signed out' }))).toContain('That session has been signed out.');
    const ended = await app.graphql.data(SESSION, { id: phone.session.id }, tablet.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'REVOKED', endReason: 'REVOKED_BY_USER' });
  });

  it('trusts a device from the page and shows a trust change made elsewhere, each in the badge', async () => {
    const browserDevice = page.getByTestId('device').filter({ hasText: 'Chrome on Linux' });
    await browserDevice.getByRole('button', { name: 'Trust Chrome on Linux' }).click();
    await browserDevice
      .getByTestId('trust-badge')
      .filter({ hasText: /^Trusted$/ })
      .waitFor();

    await app.graphql.data(TRUST_DEVICE, { id: tablet.session.device.id }, tablet.tokens.accessToken);
    await deviceCard(tablet.session.device.id)
      .getByTestId('trust-badge')
      .filter({ hasText: /^Trusted$/ })
      .waitFor(LIVE);
  });

  it('saves a screenshot of the signed-in page for the README', async () => {
    await alertCards().nth(2).waitFor(); // the laptop's, the phone's and the tablet's new-device alerts
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled', caret: 'hide' });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
  });

  it('acknowledges alerts: they leave the page and the service has them as seen', async () => {
    const count = await alertCards().count();
    expect(count).toBeGreaterThanOrEqual(2);
    for (let left = count; left > 0; left--) {
      await alertCards()
        .first()
        .getByRole('button', { name: /^Acknowledge/ })
        .click();
      await alertCards()
        .nth(left - 1)
        .waitFor({ state: 'detached' });
    }
    await page.getByTestId('no-alerts').waitFor();
    const open = await app.graphql.data(ALERTS, { unacknowledgedOnly: true }, tablet.tokens.accessToken);
    expect(open.sessionAlerts).toEqual([]);
  });

  it('warns that untrusting signs the device out, then does both', async () => {
    const card = deviceCard(tablet.session.device.id);
    await card.getByRole('button', { name: 'Untrust Pixel Tablet' }).click();
    const warning = card.getByText('signs it out of every session on it now');
    await warning.waitFor();
    // Escape backs out without untrusting.
    await page.keyboard.press('Escape');
    await warning.waitFor({ state: 'detached' });
    await card.getByRole('button', { name: 'Untrust Pixel Tablet' }).click();
    await card.getByRole('button', { name: 'Untrust and sign out' }).click();

    await card.getByTestId('trust-badge').filter({ hasText: 'Not trusted' }).waitFor();
    await sessionCard(tablet.session.id).waitFor({ state: 'detached' });
    const ended = await app.graphql.data(SESSION, { id: tablet.session.id }, (await laptop()).tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'REVOKED', endReason: 'DEVICE_UNTRUSTED' });
  });

  it('goes back to the sign-in form with a message when its own session is revoked through the API', async () => {
    const mine = (await sessionCards().filter({ hasText: 'This device' }).getAttribute('data-session-id'))!;
    const other = await laptop();
    await app.graphql.data(REVOKE_SESSION, { id: mine }, other.tokens.accessToken);

    await signInForm().waitFor(LIVE);
    expect(await text(page.getByRole('alert'))).toContain('You were signed out: this session was ended from another device');
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).sessionStorage.length)).toBe(0);
    // A reload stays signed out: nothing is left to resume.
    await page.reload();
    await signInForm().waitFor();
  });

  it('says why on its next load when its session was ended while the page was away', async () => {
    await signIn(page, user.email, user.password);
    const mine = (await sessionCards().filter({ hasText: 'This device' }).getAttribute('data-session-id'))!;
    // Away from the page; the tab keeps its sessionStorage, as it would over a reload or a back button.
    await page.goto('about:blank');
    await app.graphql.data(REVOKE_SESSION, { id: mine }, (await laptop()).tokens.accessToken);

    await page.goto(`${app.baseUrl}/account/`);
    await signInForm().waitFor();
    expect(await text(page.getByRole('alert'))).toContain('You were signed out: this session was ended from another device');
  });

  it('tells a person how long to wait when sign-in is rate limited', async () => {
    const target = await registerUser(app.graphql);
    for (let attempt = 0; attempt < app.config.loginMaxFailures; attempt++) {
      await app.graphql.request(CREATE_SESSION, { input: { email: target.email, password: 'wrong password!', device: deviceInput() } });
    }
    await signIn(page, target.email, target.password);
    const message = page.getByRole('alert').filter({ hasText: 'Too many attempts' });
    await message.waitFor();
    expect(await text(message)).toMatch(/Try again in \d+ (minutes?|seconds?)\./);
  });

  it('says that the service cannot be reached when it cannot, instead of failing silently', async () => {
    await page.route('**/graphql', (route) => route.abort('connectionrefused'));
    try {
      await signIn(page, user.email, user.password);
      const message = page.getByRole('alert').filter({ hasText: 'cannot be reached' });
      await message.waitFor();
      expect(await text(message)).toContain('The Tessera service cannot be reached');
    } finally {
      await page.unroute('**/graphql');
    }
  });

  it('is usable on a phone-sized screen: nothing wider than the screen, every control reachable', async () => {
    const phoneTab = await chromium.newPage({ width: 375, height: 740 });
    try {
      await phoneTab.page.goto(`${app.baseUrl}/account/`);
      await signIn(phoneTab.page, user.email, user.password);
      await phoneTab.page.getByTestId('session').first().waitFor();
      const widths = await phoneTab.page.evaluate(() => {
        const window = globalThis as unknown as PageWindow;
        return { page: window.document.documentElement.scrollWidth, screen: window.innerWidth };
      });
      expect(widths.page).toBeLessThanOrEqual(widths.screen);
      const button = phoneTab.page.getByRole('button', { name: 'Sign out everywhere else' });
      await button.scrollIntoViewIfNeeded();
      const box = (await button.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(375);
      expect(box.height).toBeGreaterThanOrEqual(44);
      expect(phoneTab.problems).toEqual([]);
    } finally {
      await phoneTab.page.close();
    }
  });

  it('keeps a signed-in tab that reloads while the service is unreachable, and resumes on "Try again"', async () => {
    await page.goto(`${app.baseUrl}/account/`);
    await signIn(page, user.email, user.password);
    await page.getByTestId('user-email').waitFor();

    await page.route('**/graphql', (route) => route.abort('connectionrefused'));
    try {
      await page.reload();
      const message = page.getByRole('alert').filter({ hasText: 'The Tessera service cannot be reached' });
      await message.waitFor({ timeout: 5_000 });
    } finally {
      await page.unroute('**/graphql');
    }
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('user-email').waitFor();
  });

  it('signs itself out, and says so, when the person untrusts this very browser', async () => {
    const browserDevice = page.getByTestId('device').filter({ hasText: 'This device' });
    await browserDevice.getByRole('button', { name: 'Untrust Chrome on Linux' }).click();
    expect(await text(browserDevice.getByText('signs it out of every session on it now'))).toContain('including this page');
    await browserDevice.getByRole('button', { name: 'Untrust and sign out' }).click();

    await signInForm().waitFor();
    expect(await text(page.getByRole('status'))).toContain('This browser is no longer trusted and has been signed out.');
    await signIn(page, user.email, user.password);
  });

  it('says that live updates are paused when the service goes away while signed in', async () => {
    await page.getByTestId('user-email').waitFor();
    expect(await page.getByText('Live updates are paused').count()).toBe(0);

    serviceStopped = true;
    await app.close();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Live updates are paused: the Tessera service cannot be reached' })
      .waitFor({ timeout: 3_000 });
  });

  it('threw nothing, broke no content security rule and logged no token along the way', () => {
    expect(tab.problems).toEqual([]);
    expect(tab.console.filter((line) => /Content.Security.Policy/i.test(line))).toEqual([]);
    expect(tab.console.filter((line) => /tsr_|eyJ[\w-]+\./.test(line))).toEqual([]);
  });
});
