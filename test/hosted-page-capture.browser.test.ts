// The camera step in a real browser: the document's outline, the live checks' words, the photo
// taken by itself and reviewed before it is sent, and how few actions a good capture needs.
// Chromium's fake camera plays a specimen passport on a table (Y4M), near or far.
import { mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { en } from '../src/web/messages/en.ts'
import { passport } from './specimens.ts'
import {
  WAIT,
  axeViolations,
  consent,
  haveChromium,
  heading,
  launch,
  phone,
  shooter,
  startPageHarness,
  tickConsents,
  writeY4m,
} from './hosted-page-browser.ts'
import type { PageHarness } from './hosted-page-browser.ts'

describe.skipIf(!haveChromium)('hosted page camera step in Chromium', () => {
  let h: PageHarness
  let near: Browser
  let far: Browser
  const files = path.join(os.tmpdir(), `loom-capture-${process.pid}`)

  beforeAll(async () => {
    mkdirSync(files, { recursive: true })
    h = await startPageHarness()
    const document = (await passport({ adult: true })).image
    await writeY4m(path.join(files, 'near.y4m'), document)
    await writeY4m(path.join(files, 'far.y4m'), document, 0, 0.5)
    near = await launch(path.join(files, 'near.y4m'))
    far = await launch(path.join(files, 'far.y4m'))
  }, 240_000)

  afterAll(async () => {
    await near?.close()
    await far?.close()
    await h?.close()
  }, 60_000)

  /** Counts the person's clicks and key presses on buttons from now on. */
  async function countActions(page: Page): Promise<() => Promise<number>> {
    await page.evaluate(`(() => {
      window.loomActions = 0
      document.addEventListener('click', (event) => {
        if (event.target.closest('button, a')) window.loomActions += 1
      }, true)
    })()`)
    return () => page.evaluate<number>('window.loomActions')
  }

  it(
    'a full verification with good photos takes four actions after consent',
    { timeout: 240_000 },
    async () => {
      const { url } = await h.start({ verification_type: 'full_verification' })
      const { context, page, problems } = await phone(near, h.loom, { bypassCSP: true })
      const snap = shooter(page, 'capture-actions')
      await page.goto(url)
      await heading(page, en['intro.title.identity'].replace('{tenant}', 'Northwind Cellars'))
      await tickConsents(page)
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await heading(page, en['choose.title'])
      const actions = await countActions(page)
      await page.getByRole('button', { name: 'Passport', exact: true }).click()
      // The viewfinder opens at once; the passport is taken by itself, then reviewed.
      await heading(page, en['capture.front.passport.title'])
      await heading(page, en['review.title'])
      expect(await axeViolations(page)).toEqual([])
      await snap('review-document')
      await page.getByRole('button', { name: en['review.use'] }).click()
      // Accepted: the selfie's viewfinder opens by itself (the camera already works here).
      await heading(page, en['capture.selfie.title'])
      const shoot = page.getByRole('button', { name: en['camera.shoot'] })
      await expect.poll(() => shoot.isEnabled(), { timeout: WAIT }).toBe(true)
      // The screen's own words, not the screen-reader announcement that may say the same for a moment.
      expect(await page.locator('#main').getByText(en['feedback.ok']).isVisible()).toBe(true)
      expect(await axeViolations(page)).toEqual([])
      await snap('selfie-camera')
      await shoot.click()
      await heading(page, en['review.title'])
      expect(await page.getByText(en['review.selfie']).isVisible()).toBe(true)
      await page.getByRole('button', { name: en['review.use'] }).click()
      // (The fake camera shows the passport again, so the face is the passport's portrait: the
      // decision is not what this test is about, only the actions it took to get there.)
      await expect
        .poll(() => page.locator('h1').textContent(), { timeout: WAIT })
        .not.toBe(en['review.title'])
      expect(await actions()).toBe(4)
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'a document far away is not taken: the page says to move closer; Back and upload stay',
    { timeout: 240_000 },
    async () => {
      const { url } = await h.start()
      const { context, page, problems } = await phone(far, h.loom, { bypassCSP: true })
      const snap = shooter(page, 'capture-far')
      await page.goto(url)
      await consent(page)
      await heading(page, en['choose.title'])
      await page.getByRole('button', { name: 'Passport', exact: true }).click()
      await heading(page, en['capture.front.passport.title'])
      const status = page.getByRole('status').filter({ hasText: en['guide.too_far'] })
      await expect.poll(() => status.count(), { timeout: WAIT }).toBe(1)
      expect(await axeViolations(page)).toEqual([])
      await snap('too-far')
      // Several seconds of a far document: still the viewfinder, no photo taken.
      await page.waitForTimeout(2000)
      expect(await page.locator('video').count()).toBe(1)
      expect(
        await page.getByRole('button', { name: en['feedback.upload_instead'] }).isVisible(),
      ).toBe(true)
      // Back leads to the choice of camera or file, which stays put.
      await page.getByRole('button', { name: en['camera.back'] }).click()
      await heading(page, en['capture.front.passport.title'])
      expect(await page.getByRole('button', { name: en['capture.upload'] }).isVisible()).toBe(true)
      await page.waitForTimeout(500)
      expect(await page.locator('video').count()).toBe(0)
      expect(problems).toEqual([])
      await context.close()
    },
  )
})
