// The consent to the face check in Chromium: a session that asks for a selfie shows a second,
// unticked box on the intro, Start with the first box alone says the face check is required
// (axe-clean), both boxes lead on to the selfie, which is taken; an age-only session shows one
// box (an age-estimation one says its face is for the estimate); a selfie the server refuses for
// want of the consent brings the box back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { passport } from './specimens.ts'
import { en } from '../src/web/messages/en.ts'
import {
  axeViolations,
  chooseDocument,
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

const TENANT = 'Northwind Cellars'
const IDENTITY = en['intro.title.identity'].replace('{tenant}', TENANT)

describe.skipIf(!haveChromium)('hosted page: consent to the face check, in Chromium', () => {
  let h: PageHarness
  let goodPassport: Buffer

  beforeAll(async () => {
    h = await startPageHarness()
    goodPassport = (await passport({ adult: true })).image
  }, 180_000)

  afterAll(async () => {
    await h?.close()
  }, 60_000)

  /** The consent events the tenant sees for a verification. */
  async function consentEvents(id: string): Promise<unknown[]> {
    const res = await h.t.app.inject({
      method: 'GET',
      url: `/verify/events?verificationId=${id}`,
      headers: { 'x-tenant-api-key': h.key },
    })
    const { events } = res.json<{ events: { type: string; data: unknown }[] }>()
    return events.filter((e) => e.type === 'consent.biometric').map((e) => e.data)
  }

  /** Uploads the selfie and returns the server's answer to it. */
  async function sendSelfie(page: Page) {
    const answer = page.waitForResponse((res) => res.url().endsWith('/images/selfie'))
    await uploadFile(page, en['capture.upload'], 'me.jpg', await sameMan(1))
    return answer
  }

  it(
    'asks for the face check apart from the first consent, and takes the selfie once both are ticked',
    { timeout: 240_000 },
    async () => {
      const { id, url } = await h.start({ verification_type: 'full_verification' })
      const { context, page, problems } = await phone(h.browser, h.loom, { bypassCSP: true })
      const snap = shooter(page, 'consent-face')
      await page.goto(url)
      await heading(page, IDENTITY)
      const boxes = page.getByRole('checkbox')
      expect(await boxes.count()).toBe(2)
      const face = page.getByRole('checkbox', {
        name: en['intro.face_consent.face_match'].replace('{tenant}', TENANT),
      })
      expect(await face.isChecked()).toBe(false)
      expect(await page.locator('#consent').isChecked()).toBe(false)
      await snap('intro-two-boxes')
      // The first box alone: the face check's own message, focus on its box, nothing recorded.
      await page.locator('#consent').check()
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await expect
        .poll(() => page.locator('#consent-face-error').textContent())
        .toBe(en['intro.face_consent_required'])
      expect(await page.evaluate('document.activeElement?.id')).toBe('consent-face')
      expect(await face.getAttribute('aria-invalid')).toBe('true')
      expect(await page.locator('#consent-error').textContent()).toBe('')
      expect(await axeViolations(page)).toEqual([])
      await snap('face-consent-required')
      expect(await consentEvents(id)).toEqual([])
      // Both: the flow goes on to the document, then the selfie, which is taken.
      await face.check()
      expect(await page.locator('#consent-face-error').textContent()).toBe('')
      // A reload keeps both ticks, as it keeps the first (the person's place, per link).
      await page.reload()
      await heading(page, IDENTITY)
      expect(await page.locator('#consent').isChecked()).toBe(true)
      expect(await face.isChecked()).toBe(true)
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(page, 'Passport')
      expect(await consentEvents(id)).toEqual([{ purpose: 'face_match' }])
      await uploadFile(page, en['capture.upload'], 'passport.png', goodPassport)
      await heading(page, en['capture.selfie.title'])
      const selfie = await sendSelfie(page)
      expect(selfie.status()).toBe(200)
      expect((await selfie.json()).feedback).toBe('ok')
      await heading(page, en['processing.title.face'])
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it('shows one box on an age-only session, and says an age estimate is what the face is for', async () => {
    const { url } = await h.start()
    const { context, page, problems } = await phone(h.browser, h.loom)
    await page.goto(url)
    await heading(page, en['intro.title.age'].replace('{tenant}', TENANT))
    expect(await page.getByRole('checkbox').count()).toBe(1)
    expect(await page.locator('#consent-face').count()).toBe(0)
    expect(await page.getByText(en['intro.face_consent.face_match'].slice(0, 20)).count()).toBe(0)
    await page.goto((await h.start({ verification_type: 'age_estimation' })).url)
    await heading(page, en['intro.title.age'].replace('{tenant}', TENANT))
    const estimate = en['intro.face_consent.age_estimation'].replace('{tenant}', TENANT)
    expect(await page.getByRole('checkbox', { name: estimate }).isChecked()).toBe(false)
    expect(problems).toEqual([])
    await context.close()
  })

  it(
    'asks again when the server refuses a selfie for want of the consent',
    { timeout: 240_000 },
    async () => {
      const { url } = await h.start({ verification_type: 'full_verification' })
      const { context, page, problems } = await phone(h.browser, h.loom)
      await page.goto(url)
      await heading(page, IDENTITY)
      // The consent never reaches the server (the answer is made up here): the page goes on.
      await page.route(
        '**/consent',
        async (route) => {
          const state = await h.t.app.inject({
            method: 'GET',
            url: `${new URL(url).pathname}/state`,
          })
          await route.fulfill({ json: { ...state.json(), biometricConsent: true } })
        },
        { times: 1 },
      )
      await tickConsents(page)
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(page, 'Passport')
      await uploadFile(page, en['capture.upload'], 'passport.png', goodPassport)
      await heading(page, en['capture.selfie.title'])
      const refused = await sendSelfie(page)
      expect(refused.status()).toBe(409)
      // Back on the intro, the face check's box unticked and saying why.
      await heading(page, IDENTITY)
      expect(await page.locator('#consent-face').isChecked()).toBe(false)
      expect(await page.locator('#consent-face-error').textContent()).toBe(
        en['intro.face_consent_required'],
      )
      await page.locator('#consent-face').check()
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await heading(page, en['capture.selfie.title'])
      const taken = await sendSelfie(page)
      expect(taken.status()).toBe(200)
      // The refused upload is a console error of the browser's own; nothing else went wrong.
      expect(problems.filter((p) => !p.includes('409'))).toEqual([])
      await context.close()
    },
  )
})
