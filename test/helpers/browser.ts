// Real headless Chromium (Debian's `chromium`) through playwright-core. Playwright starts Chromium with a fresh
// temporary `--user-data-dir` on every launch (and deletes it on close); each page gets its own browser
// context, so two users logged in side by side never share cookies or session storage.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser as PlaywrightBrowser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = 'test-output/screenshots';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly browser: PlaywrightBrowser;
  /** A page in a new, isolated context (its own cookies and storage). */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      // Destroy/expunge ask for confirmation; the tests confirm.
      page.on('dialog', (dialog) => void dialog.accept());
      return page;
    },
    async close() {
      await browser.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
