import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's chromium package; playwright-core drives it and never downloads a browser. */
export const chromiumPath = process.env.PORTCULLIS_TEST_CHROMIUM || '/usr/bin/chromium'

/**
 * Launches headless Chromium. Without it the browser tests fail (never skip) with the command
 * that installs it; `.ci/run` installs it on CI.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}: the browser tests need Debian's chromium ` +
        'package. Install it with `apt-get update && apt-get install -y chromium` ' +
        '(.ci/run does this on CI).',
    )
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}
