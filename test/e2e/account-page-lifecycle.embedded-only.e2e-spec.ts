import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { deviceInput, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { ACKNOWLEDGE, ALERTS, CREATE_SESSION, DEVICES, ME } from '../helpers/operations.js';
import { launchHeadlessChromium, type HeadlessChromium, type TrackedPage } from '../helpers/headless-chromium.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** What the service says about one session, with the moment its user last proved who they are. */
const SESSION_STATE = `query SessionState($id: ID!) { session(id: $id) { id status endReason authenticatedAt } }`;
const RENAME_DEVICE = `mutation Rename($id: ID!, $name: String!) { renameDevice(deviceId: $id, name: $name) { id name } }`;

/** "Shows within a second": what the page gets to show a change made elsewhere. */
const LIVE = { timeout: 1_000 };
const NEW_PASSWORD = 'a much better passphrase';

/** The browser globals the checks read, typed here: the service's tsconfig has no DOM types. */
interface PageWindow {
  readonly sessionStorage: { readonly length: number };
}

/**
 * The account page's controls for the account's own life (issue 18), in Debian's headless
 * Chromium against the real service: one person signed in on the page while the test plays
 * their other devices, and an intruder, through the API.
 */
describe('account page: the account’s own life, in a real browser', () => {
  let app: TestApp;
  let chromium: HeadlessChromium;
  let user: TestUser;
  /** The password as it is now: the page changes it on the way. */
  let password: string;
  let tab: TrackedPage;
  let page: Page;
  /** This browser's own session on the page. */
  let pageSessionId: string;

  const sessionCard = (sessionId: string) => page.locator(`[data-testid="session"][data-session-id="${sessionId}"]`);
  const deviceCard = (deviceId: string) => page.locator(`[data-testid="device"][data-device-id="${deviceId}"]`);
  const openAlert = (alertId: string) => page.locator(`[data-testid="alert"][data-alert-id="${alertId}"]`);
  const acknowledgedAlert = (alertId: string) => page.locator(`[data-testid="acknowledged-alert"][data-alert-id="${alertId}"]`);
  const notice = (text: string) => page.getByTestId('notice').filter({ hasText: text });
  const text = (locator: Locator) => locator.innerText();

  /** The same person signing in on another device, through the API. */
  async function loginElsewhere(device: Record<string, unknown>): Promise<LoginResult> {
    const input = { email: user.email, password, device: deviceInput(device) };
    const result = await app.graphql.request(CREATE_SESSION, { input }, undefined, { 'user-agent': 'Tessera/3.2.0 (test device)' });
    if (!result.data) throw new Error(`Login failed: ${JSON.stringify(result.errors)}`);
    return result.data.createSession;
  }

  /** The laptop: the same install every time, so signing in again is the same device. */
  const laptopDevice = { deviceId: `laptop-${randomUUID()}`, type: 'DESKTOP', name: 'Work laptop', model: 'ThinkPad X1' };
  let laptop: LoginResult;
  /**
   * A session of the person's own on the laptop, to ask the service what happened as a second
   * device would: the laptop's first one until the password change ends it, then a new one.
   */
  let witness: LoginResult;
  const sessionState = async (sessionId: string) =>
    (await app.graphql.data(SESSION_STATE, { id: sessionId }, witness.tokens.accessToken)).session;
  /** The new-device alert the service raised about one session's sign-in. */
  async function alertAbout(sessionId: string, accessToken: string): Promise<{ id: string; acknowledgedAt: string | null }> {
    await app.settled();
    const { sessionAlerts } = await app.graphql.data(ALERTS, { unacknowledgedOnly: false }, accessToken);
    const alert = sessionAlerts.find(
      (candidate: { sessionId: string | null; type: string }) => candidate.sessionId === sessionId && candidate.type === 'NEW_DEVICE',
    );
    if (!alert) throw new Error(`No new-device alert about session ${sessionId}: ${JSON.stringify(sessionAlerts)}`);
    return alert;
  }

  beforeAll(async () => {
    [app, chromium] = await Promise.all([startTestApp({ ACCESS_TOKEN_TTL: '15m', SESSION_IDLE_TIMEOUT: '30m' }), launchHeadlessChromium()]);
    user = await registerUser(app.graphql, 'alice@example.com');
    password = user.password;
    laptop = await loginElsewhere(laptopDevice);
    witness = laptop;
    tab = await chromium.newPage();
    page = tab.page;
    await page.goto(`${app.baseUrl}/account/`);
    await page.getByLabel('Email address').fill(user.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const mine = page.getByTestId('session').filter({ hasText: 'This device' });
    await mine.waitFor();
    pageSessionId = (await mine.getAttribute('data-session-id'))!;
  });
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
  });

  it('renames a device: refuses an empty name, stops at 64 characters, and shows the new name on the device and its sessions', async () => {
    const card = deviceCard(laptop.session.device.id);
    await card.getByRole('button', { name: 'Rename Work laptop' }).click();
    const field = card.getByLabel('Device name');
    expect(await field.inputValue()).toBe('Work laptop');

    await field.fill('   ');
    await card.getByRole('button', { name: 'Save name' }).click();
    expect(await text(card.getByRole('alert'))).toBe('Enter a name for the device.');
    await field.fill('');
    await field.pressSequentially('x'.repeat(80)); // typed: the field takes no more than the service would
    expect(await field.inputValue()).toHaveLength(64);
    const { devices: unchanged } = await app.graphql.data(DEVICES, {}, laptop.tokens.accessToken);
    expect(unchanged.find((device: { id: string }) => device.id === laptop.session.device.id).name).toBe('Work laptop');

    await field.fill('  Alice’s work laptop ');
    await card.getByRole('button', { name: 'Save name' }).click();
    await card.getByRole('heading', { name: 'Alice’s work laptop' }).waitFor();
    expect(await text(sessionCard(laptop.session.id))).toContain('Alice’s work laptop');
    const { devices } = await app.graphql.data(DEVICES, {}, laptop.tokens.accessToken);
    expect(devices.find((device: { id: string }) => device.id === laptop.session.device.id).name).toBe('Alice’s work laptop');
  });

  it('shows a rename made on another device within a second', async () => {
    await app.graphql.data(RENAME_DEVICE, { id: laptop.session.device.id, name: 'Old laptop' }, laptop.tokens.accessToken);
    await deviceCard(laptop.session.device.id).getByRole('heading', { name: 'Old laptop' }).waitFor(LIVE);
    await sessionCard(laptop.session.id).getByRole('heading', { name: 'Old laptop' }).waitFor(LIVE);
  });

  it('changes the password: the other session ends, this page stays signed in, and only the new password signs in', async () => {
    const form = page.getByRole('region', { name: 'Password', exact: true });
    const current = form.getByLabel('Current password', { exact: true });
    const next = form.getByLabel('New password', { exact: true });

    // Checked before anything is sent, then refused by the service: nothing changes either time.
    await current.fill(password);
    await next.fill('too short');
    await form.getByRole('button', { name: 'Change password' }).click();
    expect(await text(form.getByRole('alert'))).toContain('at least 12 characters');
    await current.fill('not the password at all');
    await next.fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByRole('alert').filter({ hasText: 'Your current password is not right' }).waitFor();
    expect(await sessionState(laptop.session.id)).toMatchObject({ status: 'ACTIVE' });

    await current.fill(password);
    await next.fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();

    await notice('Your password has been changed').waitFor();
    expect(await text(notice('Your password has been changed'))).toContain('other session');
    await sessionCard(laptop.session.id).waitFor({ state: 'detached' });
    expect(await current.inputValue()).toBe('');
    expect(await next.inputValue()).toBe('');
    await sessionCard(pageSessionId).waitFor();
    expect(await form.getByRole('alert').count()).toBe(0);

    expect(await app.graphql.errorCode(ME, {}, laptop.tokens.accessToken)).toBe('SESSION_REVOKED');
    const oldPassword = await app.graphql.errorCode(CREATE_SESSION, { input: { email: user.email, password, device: deviceInput() } });
    expect(oldPassword).toBe('INVALID_CREDENTIALS');
    password = NEW_PASSWORD;
    witness = await loginElsewhere(laptopDevice); // the same laptop, signed in again with the new password
    expect(await sessionState(laptop.session.id)).toMatchObject({ status: 'REVOKED', endReason: 'PASSWORD_CHANGED' });
  });

  it('“This wasn’t me” on an unknown sign-in ends that session and takes the alert off the list', async () => {
    const intruder = await loginElsewhere({ type: 'ANDROID', name: 'Unknown Android', model: 'SM-A546B' });
    const alert = await alertAbout(intruder.session.id, intruder.tokens.accessToken);
    const card = openAlert(alert.id);
    await card.waitFor(LIVE);
    await sessionCard(intruder.session.id).waitFor(LIVE);

    await card.getByRole('button', { name: /^This wasn’t me/ }).click();

    await card.waitFor({ state: 'detached' });
    await sessionCard(intruder.session.id).waitFor({ state: 'detached' });
    await notice('That session has been signed out').waitFor();
    expect(await app.graphql.errorCode(ME, {}, intruder.tokens.accessToken)).toBe('SESSION_REVOKED');
    expect(await sessionState(intruder.session.id)).toMatchObject({ status: 'REVOKED', endReason: 'REPORTED_BY_USER' });

    // This page's own sign-in (a new device too) was the person looking at it: nothing to disown there.
    const own = await alertAbout(pageSessionId, witness.tokens.accessToken);
    expect(own.acknowledgedAt).toBeNull();
    await openAlert(own.id)
      .getByRole('button', { name: /^Acknowledge/ })
      .waitFor();
    expect(
      await openAlert(own.id)
        .getByRole('button', { name: /^This wasn’t me/ })
        .count(),
    ).toBe(0);
  });

  let tablet: LoginResult;

  it('shows acknowledged alerts on request, and an alert acknowledged on another device leaves the open list within a second', async () => {
    tablet = await loginElsewhere({ type: 'ANDROID', name: 'Garden tablet', model: 'Pixel Tablet' });
    const tabletAlert = await alertAbout(tablet.session.id, tablet.tokens.accessToken);
    await openAlert(tabletAlert.id).waitFor(LIVE);
    const reported = (await app.graphql.data(ALERTS, { unacknowledgedOnly: false }, tablet.tokens.accessToken)).sessionAlerts.filter(
      (alert: { acknowledgedAt: string | null }) => alert.acknowledgedAt,
    );
    expect(reported.length).toBeGreaterThanOrEqual(1); // the intruder's, from the test before
    expect(await page.getByTestId('acknowledged-alert').count()).toBe(0);

    const history = page.getByLabel('Show acknowledged alerts');
    await history.check();
    for (const alert of reported) {
      await acknowledgedAlert(alert.id).waitFor();
      expect(await text(acknowledgedAlert(alert.id))).toContain('Acknowledged');
    }
    expect(await acknowledgedAlert(reported[0].id).getByRole('button').count()).toBe(0);

    // Acknowledged on the tablet: it moves from the open alerts to the acknowledged ones, live.
    await app.graphql.data(ACKNOWLEDGE, { id: tabletAlert.id }, tablet.tokens.accessToken);
    await openAlert(tabletAlert.id).waitFor({ state: 'detached', ...LIVE });
    await acknowledgedAlert(tabletAlert.id).waitFor(LIVE);

    await history.uncheck();
    await acknowledgedAlert(tabletAlert.id).waitFor({ state: 'detached' });
    expect(await page.getByTestId('acknowledged-alert').count()).toBe(0);
    expect(await openAlert(tabletAlert.id).count()).toBe(0);
  });

  it('removes a device after a warning: it leaves the page and its session ends', async () => {
    const card = deviceCard(tablet.session.device.id);
    await card.getByRole('button', { name: 'Remove Garden tablet' }).click();
    const warning = card.getByText('forgets it');
    await warning.waitFor();
    expect(await text(warning)).toContain('signs it out of every session on it now');
    await page.keyboard.press('Escape'); // backs out
    await warning.waitFor({ state: 'detached' });
    expect(await app.graphql.data(ME, {}, tablet.tokens.accessToken)).toBeTruthy();

    await card.getByRole('button', { name: 'Remove Garden tablet' }).click();
    await card.getByRole('button', { name: 'Remove and sign out' }).click();

    await card.waitFor({ state: 'detached' });
    await sessionCard(tablet.session.id).waitFor({ state: 'detached' });
    await notice('Garden tablet has been removed').waitFor();
    expect(await app.graphql.errorCode(ME, {}, tablet.tokens.accessToken)).toBe('SESSION_REVOKED');
    expect(await sessionState(tablet.session.id)).toMatchObject({ status: 'REVOKED', endReason: 'DEVICE_REMOVED' });
    const { devices } = await app.graphql.data(DEVICES, {}, witness.tokens.accessToken);
    expect(devices.map((device: { id: string }) => device.id)).not.toContain(tablet.session.device.id);
  });

  it('asks for the password again before a sensitive change once the sign-in is old, then makes the change', async () => {
    const laptopCard = deviceCard(laptop.session.device.id);
    const trust = laptopCard.getByRole('button', { name: 'Trust Old laptop' });
    app.clock.advance(11 * MINUTE); // the page's sign-in is now older than REAUTHENTICATION_MAX_AGE (10 minutes)

    await trust.click();
    const prompt = page.getByRole('dialog', { name: 'Confirm it’s you' });
    await prompt.waitFor();
    expect(await text(prompt)).toContain('Trusting the device is a sensitive change');
    // Escape drops the change.
    await page.keyboard.press('Escape');
    await prompt.waitFor({ state: 'detached' });
    await notice('Nothing was changed').waitFor();
    expect(await text(laptopCard.getByTestId('trust-badge'))).toBe('Not trusted');

    await trust.click();
    await prompt.waitFor();
    await prompt.getByLabel('Your password').fill('not the password at all');
    await prompt.getByRole('button', { name: 'Confirm and continue' }).click();
    await prompt.getByRole('alert').filter({ hasText: 'That password is not right' }).waitFor();
    expect(await text(laptopCard.getByTestId('trust-badge'))).toBe('Not trusted');

    await prompt.getByLabel('Your password').fill(password);
    await prompt.getByRole('button', { name: 'Confirm and continue' }).click();

    await prompt.waitFor({ state: 'detached' });
    await laptopCard
      .getByTestId('trust-badge')
      .filter({ hasText: /^Trusted$/ })
      .waitFor();
    const mine = await sessionState(pageSessionId);
    expect(mine.status).toBe('ACTIVE');
    expect(Date.parse(mine.authenticatedAt)).toBeGreaterThanOrEqual(app.clock.now().getTime() - 1_000);
  });

  it('signs out everywhere: every session ends, this one included, and the page shows the sign-in form', async () => {
    const other = witness;
    await sessionCard(other.session.id).waitFor();

    await page.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();

    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await text(page.getByRole('status'))).toContain('You have signed out everywhere');
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).sessionStorage.length)).toBe(0);
    expect(await app.graphql.errorCode(ME, {}, other.tokens.accessToken)).toBe('SESSION_REVOKED');
    witness = await loginElsewhere(laptopDevice); // the witness's session ended too
    expect(await sessionState(pageSessionId)).toMatchObject({ status: 'REVOKED', endReason: 'REVOKED_BY_USER' });
    // A reload stays signed out: nothing is left to resume.
    await page.reload();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  });

  it('threw nothing and logged no token along the way', () => {
    expect(tab.problems).toEqual([]);
    expect(tab.console.filter((line) => /Content.Security.Policy/i.test(line))).toEqual([]);
    expect(tab.console.filter((line) => /tsr_|eyJ[\w-]+\./.test(line))).toEqual([]);
  });
});
