import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's chromium package (npm test's preflight installs it, or names the command), or the binary
 * CHROMIUM_PATH names; Playwright's own browser download cannot run here.
 */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps dialling Google's hosts, which this
 * machine's closed network refuses; the rest keep a test run quiet and repeatable.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export interface HeadlessChromium {
  readonly context: BrowserContext;
  /** A new tab; everything the page throws or logs is kept in `problems` and `console`. */
  newPage(viewport?: { width: number; height: number }): Promise<TrackedPage>;
  close(): Promise<void>;
}

export interface TrackedPage {
  readonly page: Page;
  /** Uncaught exceptions in the page. */
  readonly problems: string[];
  /** Every console line the page wrote, with its type. */
  readonly console: string[];
}

/** Debian's Chromium, headless, on a fresh profile folder that close() deletes. */
export async function launchHeadlessChromium(): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'tessera-chromium-'));
  // launchPersistentContext is how Playwright takes a --user-data-dir of ours.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    colorScheme: 'light',
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      const tracked: TrackedPage = { page, problems: [], console: [] };
      page.on('pageerror', (error) => tracked.problems.push(error.message));
      page.on('console', (message) => tracked.console.push(`${message.type()}: ${message.text()}`));
      return tracked;
    },
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
