// The hosted page keeps the person's place, in a real browser (see hosted-page-browser.ts): a
// reload, a language switch, Back and Forward return to the same step with the same document
// and consent; the capture text follows the chosen document; each new screen is axe-clean. Also
// the first load's size on Slow 4G, and a refused camera or no JavaScript.
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { licenceFront, passport, today } from './specimens.ts'
import { generateLicenceImage } from '../src/specimen/licence-image.ts'
import { en } from '../src/web/messages/en.ts'
import { de } from '../src/web/messages/de.ts'
import {
  PHONE,
  SHOTS,
  axeViolations,
  chooseDocument,
  consent,
  tickConsents,
  haveChromium,
  heading,
  phone,
  sameMan,
  shooter,
  startPageHarness,
  uploadFile,
} from './hosted-page-browser.ts'
import type { PageHarness } from './hosted-page-browser.ts'

const INTRO = en['intro.title.age'].replace('{tenant}', 'Northwind Cellars')

describe.skipIf(!haveChromium)('hosted page keeps the person’s place, in Chromium', () => {
  let h: PageHarness
  let goodPassport: Buffer

  beforeAll(async () => {
    h = await startPageHarness()
    goodPassport = (await passport({ adult: true })).image
  }, 180_000)

  afterAll(async () => {
    await h?.close()
  }, 60_000)

  const progress = (page: Page) => page.locator('h1 .progress').allTextContents()

  it(
    'a reload, Back and Forward, and a language switch keep the step, the document and the consent',
    { timeout: 240_000 },
    async () => {
      const { url } = await h.start()
      const { context, page, problems } = await phone(h.browser, h.loom, { bypassCSP: true })
      const snap = shooter(page, 'flow-place')
      await page.goto(url)
      await consent(page)
      await heading(page, en['choose.title'])
      await page.getByRole('button', { name: 'ID card', exact: true }).click()
      await heading(page, en['capture.front.id_card.title'])
      expect(await progress(page)).toEqual(['Step 1 of 2'])
      expect(await page.getByText(en['capture.front.card.hint']).isVisible()).toBe(true)
      expect(await axeViolations(page)).toEqual([])
      await snap('id-card-front')
      await page.reload()
      await heading(page, en['capture.front.id_card.title'])
      // Back goes to the previous step inside the flow, consent still ticked; Forward returns.
      await page.goBack()
      await heading(page, en['choose.title'])
      expect(
        await page
          .getByRole('button', { name: 'ID card', exact: true })
          .getAttribute('aria-current'),
      ).toBe('true')
      await page.goBack()
      await heading(page, INTRO)
      expect(await page.getByRole('checkbox').isChecked()).toBe(true)
      await snap('back-to-intro')
      await page.goForward()
      await heading(page, en['choose.title'])
      await page.goForward()
      await heading(page, en['capture.front.id_card.title'])
      // Another language: the same step, in German; the switch adds no step to Back.
      await page.getByRole('link', { name: 'Deutsch' }).click()
      await heading(page, de['capture.front.id_card.title'])
      expect(await progress(page)).toEqual(['Schritt 1 von 2'])
      expect(await axeViolations(page)).toEqual([])
      await snap('id-card-front-de')
      // The document can be changed before its photo is in.
      await page.getByRole('button', { name: de['capture.change_document'] }).click()
      await heading(page, de['choose.title'])
      await page.getByRole('button', { name: 'Reisepass', exact: true }).click()
      await heading(page, de['capture.front.passport.title'])
      expect(await progress(page)).toEqual([])
      expect(await page.getByText(de['capture.front.passport.hint']).isVisible()).toBe(true)
      expect(await axeViolations(page)).toEqual([])
      await snap('passport-front-de')
      await uploadFile(page, de['capture.upload'], 'passport.png', goodPassport)
      await heading(page, de['outcome.approved.title'])
      // The end forgets the place: the link now opens on its outcome.
      expect(await page.evaluate('sessionStorage.length')).toBe(0)
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'a licence’s two sides are counted and named, Back to a done side, then the face is checked',
    { timeout: 240_000 },
    async () => {
      const { url } = await h.start({ verification_type: 'full_verification' })
      const { context, page, problems } = await phone(h.browser, h.loom, { bypassCSP: true })
      const snap = shooter(page, 'flow-licence-selfie')
      await page.goto(url)
      await heading(page, en['intro.title.identity'].replace('{tenant}', 'Northwind Cellars'))
      await tickConsents(page)
      await page.getByRole('button', { name: en['intro.start'] }).click()
      await heading(page, en['choose.title'])
      await page.getByRole('button', { name: 'Driving licence', exact: true }).click()
      await heading(page, en['capture.front.drivers_license.title'])
      expect(await progress(page)).toEqual(['Step 1 of 3'])
      await uploadFile(page, en['capture.upload'], 'front.jpg', await licenceFront())
      await heading(page, en['capture.back.drivers_license.title'])
      expect(await progress(page)).toEqual(['Step 2 of 3'])
      expect(await page.getByText(en['capture.back.barcode.hint']).isVisible()).toBe(true)
      // A photo already in is not asked again: no Change document once the front is in.
      expect(await page.getByRole('button', { name: en['capture.change_document'] }).count()).toBe(
        0,
      )
      expect(await axeViolations(page)).toEqual([])
      await snap('licence-back')
      await page.goBack()
      await heading(page, en['capture.front.drivers_license.title'])
      expect(await page.getByText(en['flow.step_done']).isVisible()).toBe(true)
      expect(await page.getByRole('button', { name: en['capture.upload'] }).count()).toBe(0)
      expect(await axeViolations(page)).toEqual([])
      await snap('front-done')
      await page.getByRole('button', { name: en['feedback.continue'] }).click()
      await heading(page, en['capture.back.drivers_license.title'])
      const licence = await generateLicenceImage(21, {
        version: 10,
        jurisdiction: 'NY',
        age: 30,
        asOf: today(),
      })
      await uploadFile(page, en['capture.upload'], 'back.png', licence.image)
      await heading(page, en['capture.selfie.title'])
      expect(await progress(page)).toEqual(['Step 3 of 3'])
      await uploadFile(page, en['capture.upload'], 'me.jpg', await sameMan(1))
      await heading(page, en['processing.title.face'])
      expect(await page.getByRole('heading', { name: en['processing.title'] }).count()).toBe(0)
      await snap('checking-face')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'serves HTML, script and style compressed, hashed files immutable; first load on Slow 4G',
    { timeout: 120_000 },
    async () => {
      const { url } = await h.start()
      const { context, page, problems } = await phone(h.browser, h.loom)
      const cdp = await context.newCDPSession(page)
      await cdp.send('Network.enable')
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
      // Lighthouse's "Slow 4G" phone: 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU ×4.
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 150,
        downloadThroughput: (1.6 * 1024 * 1024) / 8,
        uploadThroughput: (750 * 1024) / 8,
      })
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
      let transferred = 0
      cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
        transferred += e.encodedDataLength
      })
      const answers: { url: string; encoding: string | null; cache: string | null }[] = []
      page.on('response', (res) => {
        answers.push({
          url: res.url(),
          encoding: res.headers()['content-encoding'] ?? null,
          cache: res.headers()['cache-control'] ?? null,
        })
      })
      const started = Date.now()
      await page.goto(url)
      await heading(page, INTRO)
      const shown = Date.now() - started
      await page.waitForLoadState('networkidle')
      const firstLoad = transferred
      // The capture steps are not part of the first load: they come once consent is ticked.
      expect(answers.some((a) => a.url.includes('/page/capture.js'))).toBe(false)
      const captureLoaded = page.waitForResponse((res) => res.url().includes('/page/capture.js?v='))
      await page.getByRole('checkbox').check()
      const interactive = Date.now() - started
      await (await captureLoaded).finished()
      await expect.poll(() => transferred).toBeGreaterThan(firstLoad)
      console.log(
        `first load: ${(firstLoad / 1024).toFixed(1)} KB transferred (intro shown after ${shown} ms); capture steps fetched on consent: ${((transferred - firstLoad) / 1024).toFixed(1)} KB more; interactive (consent box ticked) after ${interactive} ms on Slow 4G with CPU x4`,
      )
      const html = answers.find((a) => a.url === url)
      const script = answers.find((a) => a.url.includes('/page/page.js?v='))
      const style = answers.find((a) => a.url.includes('/page/page.css?v='))
      const capture = answers.find((a) => a.url.includes('/page/capture.js?v='))
      expect(capture).toMatchObject({
        encoding: 'br',
        cache: 'public, max-age=31536000, immutable',
      })
      expect(html?.encoding).toBe('br')
      expect(script).toMatchObject({ encoding: 'br', cache: 'public, max-age=31536000, immutable' })
      expect(style).toMatchObject({ encoding: 'br', cache: 'public, max-age=31536000, immutable' })
      expect(html?.cache).toBe('no-store')
      // gzip for a client without brotli; an unhashed URL is not cached for a year.
      const gz = await fetch(`${h.loom}/page/page.js`, { headers: { 'accept-encoding': 'gzip' } })
      expect(gz.headers.get('content-encoding')).toBe('gzip')
      expect(gz.headers.get('cache-control')).toBe('public, max-age=300')
      expect(gz.headers.get('vary')).toBe('accept-encoding')
      expect(transferred).toBeGreaterThan(0)
      expect(problems).toEqual([])
      await context.close()
    },
  )

  it(
    'a refused camera leaves the upload and another try; without JavaScript a clear message',
    { timeout: 120_000 },
    async () => {
      const { url } = await h.start()
      const { context, page, problems } = await phone(h.browser, h.loom)
      const snap = shooter(page, 'camera-refused')
      // The person says no to the camera prompt.
      await page.addInitScript({
        content: `navigator.mediaDevices.getUserMedia = () =>
          Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))`,
      })
      await page.goto(url)
      await consent(page)
      await chooseDocument(page, 'Passport')
      await page.getByRole('button', { name: en['capture.use_camera'] }).click()
      await expect.poll(() => page.getByRole('alert').textContent()).toBe(en['camera.denied'])
      expect(await page.getByRole('button', { name: en['capture.upload'] }).isVisible()).toBe(true)
      expect(await page.getByRole('button', { name: en['capture.use_camera'] }).isVisible()).toBe(
        true,
      )
      await snap('camera-denied')
      await uploadFile(page, en['capture.upload'], 'passport.png', goodPassport)
      await heading(page, en['outcome.approved.title'])
      expect(problems).toEqual([])
      await context.close()

      const noJs = await h.browser.newContext({ ...PHONE, javaScriptEnabled: false })
      const bare = await noJs.newPage()
      await bare.goto((await h.start()).url)
      expect(await bare.locator('main').innerText()).toContain(en['page.noscript'])
      expect(await bare.getByText(en['page.loading']).isVisible()).toBe(false)
      await bare.screenshot({ path: path.join(SHOTS, 'camera-refused', 'no-javascript.png') })
      await noJs.close()
    },
  )
})
