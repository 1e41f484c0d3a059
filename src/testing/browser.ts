import * as fs from "node:fs";
import type { Browser } from "playwright-core";

/** Debian's chromium, which the page tests drive through playwright-core (no browser download). */
export const CHROMIUM = "/usr/bin/chromium";

/** A skip reason where the browser is missing, else false. */
export const noBrowser: string | false = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (apt-get install chromium)`;

/**
 * A headless browser that talks to nothing but the page under test. launch() gives every browser a
 * fresh profile in the temp dir (it refuses --user-data-dir).
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}
