// The move from a computer to a phone in a real browser (see hosted-page-browser.ts): a
// computer without a camera shows the QR code and the link for the phone (axe-clean, under the
// page's CSP); a phone opens that link and sends the photos; the computer shows each photo as it
// arrives and then finishes on its own, back at the tenant's site; the phone says to go back.
import sharp from 'sharp'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceFront, passport, today } from './specimens.ts'
import { generateLicenceImage } from '../src/specimen/licence-image.ts'
import { en } from '../src/web/messages/en.ts'
import {
  WAIT,
  axeUnderCsp,
  chooseDocument,
  groupFace,
  haveChromium,
  heading,
  phone,
  sameMan,
  shooter,
  startPageHarness,
  tickConsents,
  uploadFile,
} from './hosted-page-browser.ts'
import type { PageHarness } from './hosted-page-browser.ts'

const INTRO = en['intro.title.age'].replace('{tenant}', 'Northwind Cellars')
const IDENTITY_INTRO = en['intro.title.identity'].replace('{tenant}', 'Northwind Cellars')
describe.skipIf(!haveChromium)('hosted page hands off from a computer to a phone', () => {
  let h: PageHarness

  beforeAll(async () => {
    h = await startPageHarness()
  }, 180_000)

  afterAll(async () => {
    await h?.close()
  }, 60_000)

  /** A computer: a mouse, no touch screen, a wide window; this browser lists no camera. */
  async function computer() {
    const context = await h.browser.newContext({
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
    })
    context.setDefaultTimeout(WAIT)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.loom })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${msg.text()} (${msg.location().url})`)
    })
    return { context, page, problems }
  }

  const progress = (page: Page) => page.locator('h1 .progress').allTextContents()

  it(
    'the computer shows a code, the phone sends the photos, the computer finishes by itself',
    { timeout: 300_000 },
    async () => {
      const { id, url } = await h.start({
        callback_url: `${h.site.origin}/return`,
        state: 'handoff-1',
      })
      const desk = await computer()
      const snap = shooter(desk.page, 'handoff-computer')
      const fetched: string[] = []
      desk.page.on('request', (req) => fetched.push(new URL(req.url()).pathname))
      await desk.page.goto(url)
      await heading(desk.page, INTRO)
      await tickConsents(desk.page)
      await desk.page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(desk.page, 'Driving licence')
      // No camera here: going on on a phone is the first, primary way.
      const handoff = desk.page.getByRole('button', { name: en['capture.handoff'] })
      expect(await handoff.getAttribute('class')).toBe('button primary')
      expect(await desk.page.locator('.actions .button').first().textContent()).toBe(
        en['capture.handoff'],
      )
      // handoff.js is not part of the first load, nor of the capture steps.
      expect(fetched.some((p) => p === '/page/handoff.js')).toBe(false)
      await handoff.click()
      await heading(desk.page, en['handoff.title'])
      expect(fetched).toContain('/page/handoff.js')
      const code = desk.page.getByRole('img', { name: en['handoff.qr_alt'] })
      await expect
        .poll(() => code.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
        .toBeGreaterThan(0)
      expect(await code.isVisible()).toBe(true)
      expect(await code.getAttribute('src')).toBe(`${new URL(url).pathname}/handoff.svg`)
      // A short link to type, built on Loom's configured public URL (the test app's is
      // https://loom.test); the full link stands in until it arrives.
      const shortLink = /^https:\/\/loom\.test\/h\/[2-9A-Z]{4}-[2-9A-Z]{4}$/
      await expect.poll(() => desk.page.locator('#handoff-url').textContent()).toMatch(shortLink)
      const link = (await desk.page.locator('#handoff-url').textContent()) ?? ''
      await desk.page.getByRole('button', { name: en['handoff.copy'] }).click()
      await expect
        .poll(() => desk.page.locator('.handoff-copied').textContent())
        .toBe(en['handoff.copied'])
      expect(await desk.page.evaluate('navigator.clipboard.readText()')).toBe(link)
      expect(await axeUnderCsp(desk.page)).toEqual([])
      await snap('code')
      // A reload of this screen comes back to it, with the same short link.
      await desk.page.reload()
      await heading(desk.page, en['handoff.title'])
      await expect.poll(() => desk.page.locator('#handoff-url').textContent()).toBe(link)
      // "Use this device instead" goes back to the photo here; the phone can still be chosen.
      await desk.page.getByRole('button', { name: en['handoff.use_this_device'] }).click()
      await heading(desk.page, en['capture.front.drivers_license.title'])
      await desk.page.getByRole('button', { name: en['capture.handoff'] }).click()
      await heading(desk.page, en['handoff.title'])
      expect(await progress(desk.page)).toEqual(['Step 1 of 2'])

      // The phone opens the short link, typed in small letters (here on the test server's own
      // address), lands on the session's page as the phone, and gives its own consent.
      const mobile = await phone(h.browser, h.loom, { bypassCSP: false })
      const phoneSnap = shooter(mobile.page, 'handoff-phone')
      const onPhone = new URL(link)
      await mobile.page.goto(`${h.loom}${onPhone.pathname.toLowerCase()}`)
      expect(new URL(mobile.page.url()).search).toBe('?handoff=1')
      await heading(mobile.page, INTRO)
      await tickConsents(mobile.page)
      await mobile.page.getByRole('button', { name: en['intro.start'] }).click()
      // The document chosen on the computer holds; the phone is not offered another phone.
      await heading(mobile.page, en['capture.front.drivers_license.title'])
      expect(await mobile.page.getByRole('button', { name: en['capture.handoff'] }).count()).toBe(0)
      await phoneSnap('front')
      await uploadFile(mobile.page, en['capture.upload'], 'front.jpg', await licenceFront())
      await heading(mobile.page, en['capture.back.drivers_license.title'])

      // The computer sees the front arrive, and the step the phone is at.
      await desk.page
        .getByRole('listitem')
        .filter({ hasText: en['handoff.received.document_front'] })
        .waitFor({ state: 'visible' })
      expect(await progress(desk.page)).toEqual(['Step 2 of 2'])
      expect(await axeUnderCsp(desk.page)).toEqual([])
      await snap('front-received')

      const back = await generateLicenceImage(22, {
        version: 10,
        jurisdiction: 'NY',
        age: 30,
        asOf: today(),
      })
      await uploadFile(mobile.page, en['capture.upload'], 'back.png', back.image)
      // The computer, untouched since, follows to the end and takes the person back to the shop.
      await desk.page.waitForURL(`${h.site.origin}/return?**`, { timeout: WAIT })
      expect(Object.fromEntries(new URL(desk.page.url()).searchParams)).toEqual({
        session_id: id,
        status: 'success',
        state: 'handoff-1',
      })
      // The phone stays on Loom and says where to go.
      await heading(mobile.page, en['outcome.approved.title'])
      expect(await mobile.page.getByText(en['handoff.phone_done']).isVisible()).toBe(true)
      expect(
        await mobile.page
          .getByRole('link', {
            name: en['outcome.continue'].replace('{tenant}', 'Northwind Cellars'),
          })
          .count(),
      ).toBe(0)
      expect(new URL(mobile.page.url()).origin).toBe(h.loom)
      await phoneSnap('return-to-computer')
      expect(await axeUnderCsp(mobile.page)).toEqual([])
      expect(mobile.problems).toEqual([])
      expect(desk.problems).toEqual([])
      await mobile.context.close()
      await desk.context.close()
    },
  )

  it(
    'after a rejection the person can fix, the computer says why and follows the phone again',
    { timeout: 300_000 },
    async () => {
      // A passport with this man's face; a selfie of someone else is refused, his own accepted.
      const portrait = await sharp(await sameMan(0))
        .resize(296, 380, { fit: 'cover' })
        .png()
        .toBuffer()
      const document = await sharp((await passport({ adult: true })).image)
        .composite([{ input: portrait, left: 50, top: 130 }])
        .png()
        .toBuffer()
      const { id, url } = await h.start({
        verification_type: 'full_verification',
        callback_url: `${h.site.origin}/return`,
        state: 'handoff-2',
      })
      const desk = await computer()
      const snap = shooter(desk.page, 'handoff-new-attempt')
      await desk.page.goto(url)
      await heading(desk.page, IDENTITY_INTRO)
      await tickConsents(desk.page)
      await desk.page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(desk.page, 'Passport')
      await desk.page.getByRole('button', { name: en['capture.handoff'] }).click()
      await heading(desk.page, en['handoff.title'])
      const link = new URL((await desk.page.locator('#handoff-url').textContent()) ?? '')

      const mobile = await phone(h.browser, h.loom)
      await mobile.page.goto(`${h.loom}${link.pathname}${link.search}`)
      await heading(mobile.page, IDENTITY_INTRO)
      await tickConsents(mobile.page)
      await mobile.page.getByRole('button', { name: en['intro.start'] }).click()
      await heading(mobile.page, en['capture.front.passport.title'])
      await uploadFile(mobile.page, en['capture.upload'], 'passport.png', document)
      await heading(mobile.page, en['capture.selfie.title'])
      await uploadFile(mobile.page, en['capture.upload'], 'someone-else.jpg', await groupFace(0))
      await expect
        .poll(() => mobile.page.getByRole('alert').textContent())
        .toContain(en['retry.face_mismatch'])

      // The computer, untouched, is back on the code and says why the phone asks again.
      await expect
        .poll(() => desk.page.getByRole('alert').textContent())
        .toContain(en['retry.face_mismatch'])
      await heading(desk.page, en['handoff.title'])
      expect(await desk.page.getByRole('img', { name: en['handoff.qr_alt'] }).isVisible()).toBe(
        true,
      )
      expect(await axeUnderCsp(desk.page)).toEqual([])
      await snap('new-attempt')

      await heading(mobile.page, en['capture.selfie.title'])
      await uploadFile(mobile.page, en['capture.upload'], 'me.jpg', await sameMan(1))
      await desk.page.waitForURL(`${h.site.origin}/return?**`, { timeout: WAIT })
      expect(Object.fromEntries(new URL(desk.page.url()).searchParams)).toEqual({
        session_id: id,
        status: 'success',
        state: 'handoff-2',
      })
      await heading(mobile.page, en['outcome.approved.title'])
      expect(await mobile.page.getByText(en['handoff.phone_done']).isVisible()).toBe(true)
      expect(mobile.problems).toEqual([])
      expect(desk.problems).toEqual([])
      await mobile.context.close()
      await desk.context.close()
    },
  )
})
