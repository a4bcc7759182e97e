// The hosted page in a real browser: Debian's Chromium driven by playwright-core, against a
// listening Loom with its worker, and a small "tenant site" on another origin (redirect target
// and embedding page). Chromium's fake camera is fed a generated specimen passport (Y4M). Each
// step is photographed on a phone-sized screen into test-results/page/<flow>/ for people to see.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestClock, createTenant, startSession, startTestApp, listenLocally } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { licenceFront, passport, today } from './specimens.ts'
import { generateLicenceImage } from '../src/specimen/licence-image.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'
import { en } from '../src/web/messages/en.ts'
import { fr } from '../src/web/messages/fr.ts'
import {
  GROUP_PHOTO,
  WAIT,
  chooseDocument,
  consent,
  tickConsents,
  groupFace,
  haveChromium,
  heading,
  launch,
  phone as openPhone,
  sameMan,
  shooter,
  startTenantSite,
  uploadFile,
  writeY4m,
} from './hosted-page-browser.ts'
import type { PhoneOptions, TenantSite } from './hosted-page-browser.ts'

describe.skipIf(!haveChromium)('hosted page in Chromium', () => {
  let t: TestApp
  let worker: RunningWorker
  let loom: string
  let site: TenantSite
  let key: string
  const clock = new TestClock()
  const browsers: Browser[] = []
  let cameraBrowser: Browser
  let blurryCameraBrowser: Browser
  let plainBrowser: Browser
  const files = path.join(os.tmpdir(), `loom-page-${process.pid}`)
  let goodPassport: Buffer

  beforeAll(async () => {
    mkdirSync(files, { recursive: true })
    t = await startTestApp('sqlite', { clock })
    loom = await listenLocally(t.app)
    worker = startWorker(t.deps, { maintenance: false })
    site = await startTenantSite(loom)
    key = (await createTenant(t.app, { name: 'Northwind Cellars', brandColor: '#7a1f3d' })).key
    goodPassport = (await passport({ adult: true })).image
    writeFileSync(path.join(files, 'passport.png'), goodPassport)
    await writeY4m(path.join(files, 'passport.y4m'), goodPassport)
    await writeY4m(path.join(files, 'blurry.y4m'), goodPassport, 14)
    cameraBrowser = await launch(path.join(files, 'passport.y4m'))
    blurryCameraBrowser = await launch(path.join(files, 'blurry.y4m'))
    plainBrowser = await launch(null)
    browsers.push(cameraBrowser, blurryCameraBrowser, plainBrowser)
  }, 180_000)

  afterAll(async () => {
    for (const browser of browsers) await browser.close()
    await worker?.stop()
    await site?.close()
    await t?.close()
  }, 60_000)

  /** Starts a verification; returns its id and the page URL on this server. */
  async function start(body: Record<string, unknown> = {}) {
    const { id, path } = await startSession(t.app, key, body)
    return { id, url: `${loom}${path}` }
  }

  function phone(browser: Browser, options: PhoneOptions = {}) {
    return openPhone(browser, loom, options)
  }

  it(
    'passport through the camera, then back to the tenant with the outcome',
    { timeout: 240_000 },
    async () => {
      const { id, url } = await start({ callback_url: `${site.origin}/return`, state: 'order-77' })
      const { context, page, problems } = await phone(cameraBrowser)
      const snap = shooter(page, 'passport-camera')
      await page.goto(url)
      // Start without consent: the page says why and moves focus to the box.
      await heading(page, en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'))
      await snap('intro')
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await expect
        .poll(() => page.locator('#consent-error').textContent())
        .toBe(en['intro.consent_required'])
      expect(await page.evaluate('document.activeElement?.id')).toBe('consent')
      await snap('consent-required')
      await page.getByRole('checkbox').check()
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(page, 'Passport', snap)
      // A phone with a camera opens the viewfinder at once, outlined as a passport's photo page
      // (ICAO 9303 TD3, 125 × 88 mm); the live checks take the photo when the frame is good.
      await expect
        .poll(() => page.locator('video').evaluate((v) => (v as { videoWidth: number }).videoWidth))
        .toBe(1280)
      const outline = await page.locator('.guide').boundingBox()
      expect((outline?.width ?? 0) / (outline?.height ?? 1)).toBeCloseTo(125 / 88, 1)
      await snap('camera')
      // Nothing pressed: the photo is taken by itself and shown before it is sent.
      await heading(page, en['review.title'])
      expect(await page.getByRole('img', { name: en['review.alt'] }).isVisible()).toBe(true)
      await snap('review')
      await page.getByRole('button', { name: en['review.use'] }).click()
      await heading(page, en['processing.title'])
      await snap('processing')
      await page.waitForURL(`${site.origin}/return?**`, { timeout: WAIT })
      const back = new URL(page.url())
      expect(Object.fromEntries(back.searchParams)).toEqual({
        session_id: id,
        status: 'success',
        state: 'order-77',
      })
      const status = await t.app.inject({
        method: 'GET',
        url: `/verify/status?verificationId=${id}`,
        headers: { 'x-tenant-api-key': key },
      })
      expect(status.json().status).toBe('approved')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'licence front and back by file upload, keyboard only, with a clear end page',
    { timeout: 240_000 },
    async () => {
      const licence = await generateLicenceImage(21, {
        version: 10,
        jurisdiction: 'NY',
        age: 30,
        asOf: today(),
      })
      const { url } = await start()
      const { context, page, problems } = await phone(plainBrowser)
      const snap = shooter(page, 'licence-upload')
      await page.goto(url)
      await heading(page, en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'))
      // Focus order: the heading, the consent box, Start, then Cancel.
      const focused = () =>
        page.evaluate(
          `(() => {
            const el = document.activeElement
            return el?.id || el?.textContent?.trim() || el?.tagName || ''
          })()`,
        )
      await page.keyboard.press('Tab')
      expect(await focused()).toBe('consent')
      await page.keyboard.press('Space')
      await page.keyboard.press('Tab')
      expect(await focused()).toBe(en['intro.start'])
      await page.keyboard.press('Tab')
      expect(await focused()).toBe(en['page.cancel'])
      await page.keyboard.press('Shift+Tab')
      await page.keyboard.press('Enter')
      // Which document: the choices in order, then Cancel; Enter picks the focused one.
      await heading(page, en['choose.title'])
      expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1')
      for (const choice of ['Passport', 'ID card', 'Driving licence']) {
        await page.keyboard.press('Tab')
        expect(await focused()).toBe(choice)
      }
      await snap('choose-document')
      await page.keyboard.press('Enter')
      await heading(page, en['capture.front.drivers_license.title'])
      expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1')
      // This browser lists no camera: going on on a phone comes first.
      await page.keyboard.press('Tab')
      expect(await focused()).toBe(en['capture.handoff'])
      await page.keyboard.press('Tab')
      expect(await focused()).toBe(en['capture.use_camera'])
      await page.keyboard.press('Tab')
      expect(await focused()).toBe(en['capture.upload'])
      const [front] = await Promise.all([
        page.waitForEvent('filechooser'),
        page.keyboard.press('Enter'),
      ])
      await front.setFiles({
        name: 'front.jpg',
        mimeType: 'image/jpeg',
        buffer: await licenceFront(),
      })
      await heading(page, en['capture.back.drivers_license.title'])
      expect(await page.getByText(en['feedback.ok']).first().isVisible()).toBe(true)
      expect(await page.getByText('Step 2 of 2').isVisible()).toBe(true)
      await snap('document-back')
      await uploadFile(page, en['capture.upload'], 'back.png', licence.image)
      await heading(page, en['outcome.approved.title'])
      expect(await page.getByText(en['outcome.close']).isVisible()).toBe(true)
      await snap('outcome-approved')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'a blurry capture gets plain-words feedback and a retake before moving on',
    { timeout: 240_000 },
    async () => {
      const { url } = await start()
      const { context, page, problems } = await phone(blurryCameraBrowser, { colorScheme: 'dark' })
      const snap = shooter(page, 'blurry-retake')
      await page.goto(url)
      await consent(page)
      await chooseDocument(page, 'Passport')
      // The live checks see the blur and say so; they never take this photo by themselves.
      await expect
        .poll(() => page.getByRole('status').filter({ hasText: en['guide.blurry'] }).count(), {
          timeout: WAIT,
        })
        .toBe(1)
      await snap('camera-blurry')
      // Taken anyway: the server's reading stays the authority.
      await page.getByRole('button', { name: en['camera.shoot'] }).click()
      await heading(page, en['review.title'])
      await page.getByRole('button', { name: en['review.use'] }).click()
      await heading(page, en['feedback.title'])
      const alert = page.getByRole('alert')
      expect(await alert.textContent()).toBe(en['feedback.blurry'])
      expect(await page.getByRole('button', { name: en['feedback.retake'] }).isVisible()).toBe(true)
      await snap('feedback-blurry')
      // Still on the front: the person fixes it (here by uploading a sharp photo) and goes on.
      await uploadFile(page, en['feedback.upload_instead'], 'passport.png', goodPassport)
      await heading(page, en['outcome.approved.title'])
      await snap('outcome-approved-dark')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'full verification asks for a selfie after the document, with face feedback',
    { timeout: 240_000 },
    async () => {
      const { url } = await start({ verification_type: 'full_verification' })
      const { context, page, problems } = await phone(plainBrowser)
      const snap = shooter(page, 'selfie')
      await page.goto(url)
      await heading(page, en['intro.title.identity'].replace('{tenant}', 'Northwind Cellars'))
      expect(await page.getByText(en['intro.step.selfie']).isVisible()).toBe(true)
      await snap('intro-identity')
      await tickConsents(page)
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(page, 'Passport')
      await uploadFile(page, en['capture.upload'], 'passport.png', goodPassport)
      await heading(page, en['capture.selfie.title'])
      expect(await page.getByText('Step 2 of 2').isVisible()).toBe(true)
      await snap('selfie')
      const blank = await sharp({
        create: { width: 640, height: 640, channels: 3, background: '#8a8f96' },
      })
        .jpeg()
        .toBuffer()
      await uploadFile(page, en['capture.upload'], 'selfie.jpg', blank)
      await heading(page, en['feedback.title'])
      expect(await page.getByRole('alert').textContent()).toBe(en['feedback.no_face'])
      await snap('feedback-no-face')
      await page.getByRole('button', { name: en['page.cancel'] }).click()
      await page.getByRole('button', { name: en['cancel.confirm'] }).click()
      await heading(page, en['outcome.abandoned.title'])
      await snap('cancelled-end-page')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'cancel sends the person back with status abandoned and reason user_cancelled',
    { timeout: 120_000 },
    async () => {
      // A workflow that takes passports only: the intro names that document (in French here).
      const workflow = await t.app.inject({
        method: 'POST',
        url: '/v1/workflows',
        headers: { 'x-api-key': key },
        payload: { name: 'Passeports', accepted_document_types: ['passport'] },
      })
      const { id, url } = await start({
        callback_url: `${site.origin}/return`,
        state: 'cart-9',
        workflow_id: workflow.json().id,
      })
      const { context, page, problems } = await phone(plainBrowser, { locale: 'fr-FR' })
      const snap = shooter(page, 'cancel')
      await page.goto(url)
      await heading(page, fr['intro.title.age'].replace('{tenant}', 'Northwind Cellars'))
      expect(await page.locator('ol.steps li').allTextContents()).toEqual([
        'Une photo de votre passeport',
      ])
      await snap('intro-fr')
      await page.getByRole('button', { name: fr['page.cancel'] }).click()
      await heading(page, fr['cancel.title'])
      await snap('confirm-cancel-fr')
      await page.getByRole('button', { name: fr['cancel.confirm'] }).click()
      await page.waitForURL(`${site.origin}/return?**`, { timeout: WAIT })
      expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
        session_id: id,
        status: 'abandoned',
        reason: 'user_cancelled',
        state: 'cart-9',
      })
      // Opening the used link again shows the end, not an error.
      await page.goto(url)
      await heading(page, fr['outcome.abandoned.title'])
      await snap('used-link-fr')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it('an expired link shows a friendly page', { timeout: 120_000 }, async () => {
    const { url } = await start({ callback_url: `${site.origin}/return`, state: 'late' })
    const { context, page } = await phone(plainBrowser)
    const snap = shooter(page, 'expired')
    clock.advance(25 * 3600_000)
    try {
      const res = await page.goto(url)
      expect(res?.status()).toBe(410)
      await heading(page, en['outcome.expired.title'])
      expect(await page.getByText('Northwind Cellars').first().isVisible()).toBe(true)
      const back = page.getByRole('link', { name: 'Continue to Northwind Cellars' })
      const href = new URL((await back.getAttribute('href')) ?? '')
      expect(href.searchParams.get('reason')).toBe('session_expired')
      await snap('expired')
      const bad = await page.goto(`${loom}/s/ver_nope.abc.def`)
      expect(bad?.status()).toBe(404)
      await heading(page, en['link.invalid.title'])
      await snap('invalid')
    } finally {
      clock.advance(-25 * 3600_000)
    }
    await context.close()
  })

  it(
    'feedback follows what the reader found: no document in a group photo, blur on a soft passport',
    { timeout: 240_000 },
    async () => {
      const { url } = await start()
      const { context, page, problems } = await phone(plainBrowser)
      const snap = shooter(page, 'feedback-classes')
      await page.goto(url)
      await consent(page)
      await chooseDocument(page, 'Passport')
      await uploadFile(page, en['capture.upload'], 'group.jpg', readFileSync(GROUP_PHOTO))
      await heading(page, en['feedback.title'])
      expect(await page.getByRole('alert').textContent()).toBe(en['feedback.no_document'])
      await snap('group-photo')
      const soft = await sharp(goodPassport).blur(5).jpeg({ quality: 90 }).toBuffer()
      await uploadFile(page, en['feedback.retake'], 'soft.jpg', soft)
      await heading(page, en['feedback.title'])
      await expect.poll(() => page.getByRole('alert').textContent()).toBe(en['feedback.blurry'])
      await snap('soft-passport')
      expect(problems).toEqual([])
      await context.close()
    },
  )
  it(
    'the third unusable photo is checked as it is, and a rejection for it allows a new attempt',
    { timeout: 240_000 },
    async () => {
      const { url } = await start()
      const { context, page, problems } = await phone(plainBrowser)
      const snap = shooter(page, 'new-attempt-unreadable')
      await page.goto(url)
      await consent(page)
      await chooseDocument(page, 'Passport')
      const group = readFileSync(GROUP_PHOTO)
      await uploadFile(page, en['capture.upload'], 'group.jpg', group)
      await heading(page, en['feedback.title'])
      await uploadFile(page, en['feedback.retake'], 'group.jpg', group)
      await heading(page, en['feedback.title'])
      await uploadFile(page, en['feedback.retake'], 'group.jpg', group)
      // The third try counts: the page says so instead of "let's try that again".
      await heading(page, en['feedback.accepted_title'])
      expect(
        await page.locator('#main').getByText(en['feedback.accepted_anyway']).isVisible(),
      ).toBe(true)
      await snap('checked-as-it-is')
      await page.getByRole('button', { name: en['feedback.continue'] }).click()
      // Rejected as unreadable, with attempts left: the front is asked for again, saying why.
      await heading(page, en['capture.front.passport.title'])
      const alert = page.getByRole('alert')
      expect(await alert.textContent()).toBe(
        `${en['retry.document_unreadable']} ${en['retry.attempt'].replace('{n}', '2').replace('{total}', '3')}`,
      )
      await snap('new-attempt')
      await uploadFile(page, en['capture.upload'], 'passport.png', goodPassport)
      await heading(page, en['outcome.approved.title'])
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'a selfie that does not match may be retaken; an expired document asks for another one',
    { timeout: 300_000 },
    async () => {
      const man = await sameMan(0)
      const portrait = await sharp(man).resize(296, 380, { fit: 'cover' }).png().toBuffer()
      const document = await sharp(goodPassport)
        .composite([{ input: portrait, left: 50, top: 130 }])
        .png()
        .toBuffer()
      const { url } = await start({ verification_type: 'full_verification' })
      const { context, page, problems } = await phone(plainBrowser)
      const snap = shooter(page, 'new-attempt-face')
      await page.goto(url)
      await tickConsents(page)
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await chooseDocument(page, 'Passport')
      await uploadFile(page, en['capture.upload'], 'passport.png', document)
      await heading(page, en['capture.selfie.title'])
      await uploadFile(page, en['capture.upload'], 'someone-else.jpg', await groupFace(0))
      await heading(page, en['capture.selfie.title'])
      expect(await page.getByRole('alert').textContent()).toContain(en['retry.face_mismatch'])
      await snap('selfie-again')
      await uploadFile(page, en['capture.upload'], 'me.jpg', await sameMan(1))
      await heading(page, en['outcome.approved.title'])
      await context.close()

      // An expired passport: the person is asked which document they will use instead; when
      // the workflow's attempts run out, the redirect carries its reason and the page is clear.
      const workflow = await t.app.inject({
        method: 'POST',
        url: '/v1/workflows',
        headers: { 'x-api-key': key },
        payload: {
          name: 'Two attempts',
          retry_policy: { max_attempts: 2, exhausted_reason: 'document_unreadable' },
        },
      })
      expect(workflow.statusCode).toBe(201)
      expect(workflow.json().retry_policy).toEqual({
        max_attempts: 2,
        retry_on: ['document_unreadable', 'face_mismatch', 'document_expired'],
        exhausted_reason: 'document_unreadable',
      })
      const expired = (await passport({ adult: true, expired: true })).image
      const run = await start({
        workflow_id: workflow.json().id,
        callback_url: `${site.origin}/return`,
      })
      const second = await phone(plainBrowser)
      const snap2 = shooter(second.page, 'new-attempt-expired')
      await second.page.goto(run.url)
      await consent(second.page)
      await chooseDocument(second.page, 'Passport')
      await uploadFile(second.page, en['capture.upload'], 'expired.png', expired)
      await heading(second.page, en['choose.title'])
      expect(await second.page.getByRole('alert').textContent()).toBe(
        `${en['retry.document_expired']} ${en['retry.attempt'].replace('{n}', '2').replace('{total}', '2')}`,
      )
      await snap2('choose-another')
      await chooseDocument(second.page, 'Passport')
      await uploadFile(second.page, en['capture.upload'], 'expired.png', expired)
      await second.page.waitForURL(`${site.origin}/return?**`, { timeout: WAIT })
      const back = new URL(second.page.url())
      expect(back.searchParams.get('status')).toBe('failed')
      expect(back.searchParams.get('reason')).toBe('document_unreadable')
      // The used link then says plainly why.
      await second.page.goto(run.url)
      await heading(second.page, en['outcome.rejected.title'])
      expect(
        await second.page
          .getByText(
            en['outcome.rejected.document_expired'].replace('{tenant}', 'Northwind Cellars'),
          )
          .isVisible(),
      ).toBe(true)
      expect(await second.page.getByText('You have used all 2 attempts.').isVisible()).toBe(true)
      await snap2('expired-end')
      expect([...problems, ...second.problems]).toEqual([])
      await second.context.close()
    },
  )
})
