// The hosted page in a real browser: Debian's Chromium driven by playwright-core, against a
// listening Loom with its worker, and a small "tenant site" on another origin (redirect target
// and embedding page). Chromium's fake camera is fed a generated specimen passport (Y4M). Each
// step is photographed on a phone-sized screen into test-results/page/<flow>/ for people to see.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestClock, createTenant, startSession, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { licenceFront, passport, today } from './specimens.ts'
import { generateLicenceImage } from '../src/specimen/licence-image.ts'
import { detectFaces } from '../src/engine/face/index.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { RunningWorker } from '../src/jobs/worker.ts'
import { en } from '../src/web/messages/en.ts'
import { fr } from '../src/web/messages/fr.ts'

const CHROMIUM = '/usr/bin/chromium'
const require = createRequire(import.meta.url)
/** A photo of a group of people (no document): the face-api package's demo picture. */
const GROUP_PHOTO = path.join(
  path.dirname(require.resolve('@vladmandic/face-api/package.json')),
  'demo/sample6.jpg',
)
const SHOTS = path.resolve('test-results/page')
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}
const WAIT = Number(process.env.LOOM_PAGE_WAIT_MS ?? 90_000)

const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing: scripts/system-packages.sh installs Debian's chromium`)
}
if (!haveChromium) {
  console.warn(
    `hosted page browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium)`,
  )
}

/** A face from the group photo (sample1), `scale` face widths across, as a selfie. */
async function groupFace(k: number): Promise<Buffer> {
  const group = await sharp(path.join(path.dirname(GROUP_PHOTO), 'sample1.jpg'))
    .resize({ width: 1280 })
    .jpeg()
    .toBuffer()
  const found = await detectFaces(group, { role: 'document' })
  const [x, y, w, h] = found.faces.filter((f) => f.box[2] >= 60)[k]!.box
  const side = Math.round(Math.max(w, h) * 2.2)
  const left = Math.max(0, Math.round(x + w / 2 - side / 2))
  const top = Math.max(0, Math.round(y + h / 2 - side / 2))
  return sharp(group)
    .extract({ left, top, width: Math.min(side, 1280 - left), height: side })
    .resize(640, 640)
    .jpeg({ quality: 90 })
    .toBuffer()
}

/** One man in two photos (@vladmandic/human's face-match screenshot), cell k of its first row. */
function sameMan(k: number): Promise<Buffer> {
  const shot = path.join(
    require.resolve('@vladmandic/human').replace(/\/dist\/.*$/, ''),
    'assets/screenshot-facematch.jpg',
  )
  return sharp(shot)
    .extract({ left: Math.round(k * 96.3), top: 286, width: 94, height: 94 })
    .resize(400, 400)
    .jpeg({ quality: 92 })
    .toBuffer()
}

/** ITU-R BT.601 limited range, 4:2:0: what Chromium's Y4M reader expects (C420). */
function toI420(rgb: Buffer, width: number, height: number): Buffer {
  const y = Buffer.alloc(width * height)
  const u = Buffer.alloc((width / 2) * (height / 2))
  const v = Buffer.alloc((width / 2) * (height / 2))
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = (row * width + col) * 3
      const r = rgb[i]!
      const g = rgb[i + 1]!
      const b = rgb[i + 2]!
      y[row * width + col] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b)
    }
  }
  for (let row = 0; row < height; row += 2) {
    for (let col = 0; col < width; col += 2) {
      let r = 0
      let g = 0
      let b = 0
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        const i = ((row + dy) * width + col + dx) * 3
        r += rgb[i]!
        g += rgb[i + 1]!
        b += rgb[i + 2]!
      }
      r /= 4
      g /= 4
      b /= 4
      const at = (row / 2) * (width / 2) + col / 2
      u[at] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b)
      v[at] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    }
  }
  return Buffer.concat([y, u, v])
}

/** A few frames of a document lying on a dark table, as a YUV4MPEG2 file for the fake camera. */
async function writeY4m(file: string, document: Buffer, blur = 0): Promise<void> {
  const width = 1280
  const height = 960
  const doc = await sharp(document)
    .resize({ width: Math.round(width * 0.86) })
    .png()
    .toBuffer()
  // Out of focus: the whole frame is blurred, as a camera that did not focus would give it.
  const composed = await sharp({ create: { width, height, channels: 3, background: '#2e3136' } })
    .composite([{ input: doc, gravity: 'centre' }])
    .png()
    .toBuffer()
  const rgb = await (blur > 0 ? sharp(composed).blur(blur) : sharp(composed))
    .removeAlpha()
    .raw()
    .toBuffer()
  const frame = toI420(rgb, width, height)
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F15:1 Ip A1:1 C420jpeg\n`)
  const frames = [0, 1, 2].flatMap(() => [Buffer.from('FRAME\n'), frame])
  writeFileSync(file, Buffer.concat([header, ...frames]))
}

function launch(fakeVideo: string | null): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: WAIT,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
      // Camera permission comes from context.grantPermissions: --use-fake-ui-for-media-stream
      // would also dismiss every file chooser at once.
      ...(fakeVideo
        ? ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${fakeVideo}`]
        : []),
    ],
  })
}

/** The tenant's own site on another origin: a redirect target and a page that embeds the flow. */
interface TenantSite {
  origin: string
  returns: URL[]
  close(): Promise<void>
}

async function startTenantSite(loomOrigin: string): Promise<TenantSite> {
  const returns: URL[] = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site')
    req.resume()
    if (req.method === 'GET' && url.pathname === '/return') {
      returns.push(url)
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><title>Back at the shop</title><h1>Back at the shop</h1>')
      return
    }
    if (req.method === 'GET' && url.pathname === '/shop') {
      const session = JSON.stringify(url.searchParams.get('session') ?? '')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(`<!doctype html><html lang="en"><title>Shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<h1>Shop checkout</h1><button id="verify">Verify my age</button><pre id="out"></pre>
<script src="${loomOrigin}/embed.js"></script>
<script>
  window.events = []
  document.addEventListener('loom:complete', (e) => window.events.push(e.detail))
  document.getElementById('verify').addEventListener('click', async () => {
    const outcome = await Loom.open(${session})
    document.getElementById('out').textContent = JSON.stringify(outcome)
  })
</script></html>`)
      return
    }
    // Webhook deliveries to the callback URL and anything else.
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    origin: `http://127.0.0.1:${address.port}`,
    returns,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

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
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const address = t.app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    loom = `http://127.0.0.1:${address.port}`
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

  async function phone(
    browser: Browser,
    options: { locale?: string; colorScheme?: 'light' | 'dark' } = {},
  ): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({
      ...PHONE,
      locale: options.locale ?? 'en-GB',
      colorScheme: options.colorScheme ?? 'light',
    })
    context.setDefaultTimeout(WAIT)
    await context.grantPermissions(['camera'], { origin: loom })
    const page = await context.newPage()
    // Intercept file choosers from the start (enabling it lazily can race the click).
    page.on('filechooser', () => undefined)
    // Script errors and console errors (a CSP violation is one) on any page of the flow.
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${msg.text()} (${msg.location().url})`)
    })
    return { context, page, problems }
  }

  function shooter(page: Page, flow: string) {
    const dir = path.join(SHOTS, flow)
    mkdirSync(dir, { recursive: true })
    let n = 0
    return async (name: string) => {
      n += 1
      await page.screenshot({ path: path.join(dir, `${String(n).padStart(2, '0')}-${name}.png`) })
    }
  }

  /** Waits for a screen by its heading; on failure, says what the page shows instead. */
  async function heading(page: Page, text: string): Promise<void> {
    try {
      await page.getByRole('heading', { level: 1, name: text }).waitFor({ state: 'visible' })
    } catch (err) {
      mkdirSync(SHOTS, { recursive: true })
      await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => undefined)
      const shown = await page
        .locator('body')
        .innerText({ timeout: 2000 })
        .catch(() => '?')
      throw new Error(`expected the screen "${text}"; the page shows:\n${shown}`, { cause: err })
    }
  }

  async function consent(page: Page, snap?: (name: string) => Promise<void>) {
    await heading(page, en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'))
    if (snap) await snap('intro')
    await page.getByRole('checkbox').check()
    await page.getByRole('button', { name: en['intro.start'] }).click()
  }

  /** Answers "which document will you use?" with one of the buttons (by its English name). */
  async function chooseDocument(
    page: Page,
    document: string,
    snap?: (name: string) => Promise<void>,
  ) {
    await heading(page, en['choose.title'])
    if (snap) await snap('choose-document')
    await page.getByRole('button', { name: document, exact: true }).click()
    await heading(page, en['capture.document_front.title'])
  }

  async function uploadFile(page: Page, buttonName: string, name: string, buffer: Buffer) {
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: buttonName }).click(),
    ])
    await chooser.setFiles({
      name,
      mimeType: name.endsWith('.png') ? 'image/png' : 'image/jpeg',
      buffer,
    })
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
      await snap('document-front')
      await page.getByRole('button', { name: en['capture.use_camera'] }).click()
      const shoot = page.getByRole('button', { name: en['camera.shoot'] })
      await expect.poll(() => shoot.isEnabled(), { timeout: WAIT }).toBe(true)
      // The live frame guide is drawn over the running camera.
      await expect
        .poll(() => page.locator('video').evaluate((v) => (v as { videoWidth: number }).videoWidth))
        .toBe(1280)
      expect(await page.locator('.guide').isVisible()).toBe(true)
      await snap('camera')
      await shoot.click()
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
      await heading(page, en['capture.document_front.title'])
      expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1')
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
      await heading(page, en['capture.document_back.title'])
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
      await page.getByRole('button', { name: en['capture.use_camera'] }).click()
      const shoot = page.getByRole('button', { name: en['camera.shoot'] })
      await expect.poll(() => shoot.isEnabled(), { timeout: WAIT }).toBe(true)
      await snap('camera-blurry')
      await shoot.click()
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
      await page.getByRole('checkbox').check()
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
    'embedded on the tenant’s site: the outcome arrives as an event, only there',
    { timeout: 120_000 },
    async () => {
      const { id, url } = await start({ callback_url: `${site.origin}/return`, state: 'embed-1' })
      const { context, page } = await phone(plainBrowser)
      const snap = shooter(page, 'embedded')
      await page.goto(`${site.origin}/shop?session=${encodeURIComponent(url)}`)
      await page.getByRole('button', { name: 'Verify my age' }).click()
      const frame = page.frameLocator('iframe')
      await frame
        .getByRole('heading', {
          level: 1,
          name: en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'),
        })
        .waitFor()
      await snap('modal')
      await frame.getByRole('button', { name: en['page.cancel'] }).click()
      await frame.getByRole('button', { name: en['cancel.confirm'] }).click()
      await expect.poll(() => page.locator('#out').textContent(), { timeout: WAIT }).not.toBe('')
      expect(JSON.parse((await page.locator('#out').textContent()) ?? '')).toEqual({
        sessionId: id,
        status: 'abandoned',
        reason: 'user_cancelled',
        state: 'embed-1',
      })
      expect(await page.evaluate('window.events')).toHaveLength(1)
      expect(await page.locator('iframe').count()).toBe(0)
      expect(page.url().startsWith(site.origin)).toBe(true)
      await snap('after-outcome')

      // Another site cannot frame the page: Chromium refuses it (frame-ancestors).
      const other = await start({ callback_url: 'https://elsewhere.example/back' })
      const refused = new Promise<string>((resolve) =>
        page.on('console', (msg) => {
          if (msg.text().includes('frame-ancestors')) resolve(msg.text())
        }),
      )
      await page.goto(`${site.origin}/shop?session=${encodeURIComponent(other.url)}`)
      await page.getByRole('button', { name: 'Verify my age' }).click()
      expect(await refused).toContain('frame-ancestors')
      await context.close()
    },
  )
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
      expect(await page.getByText(en['feedback.accepted_anyway']).isVisible()).toBe(true)
      await snap('checked-as-it-is')
      await page.getByRole('button', { name: en['feedback.continue'] }).click()
      // Rejected as unreadable, with attempts left: the front is asked for again, saying why.
      await heading(page, en['capture.document_front.title'])
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
      await page.getByRole('checkbox').check()
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
  it(
    'serves HTML, script and style compressed, hashed files immutable; first load on Slow 4G',
    { timeout: 120_000 },
    async () => {
      const { url } = await start()
      const { context, page, problems } = await phone(plainBrowser)
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
      await heading(page, en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'))
      await page.getByRole('checkbox').check()
      const interactive = Date.now() - started
      await page.waitForLoadState('networkidle')
      console.log(
        `first load: ${(transferred / 1024).toFixed(1)} KB transferred; interactive (consent box ticked) after ${interactive} ms on Slow 4G with CPU x4`,
      )
      const html = answers.find((a) => a.url === url)
      const script = answers.find((a) => a.url.includes('/page/page.js?v='))
      const style = answers.find((a) => a.url.includes('/page/page.css?v='))
      expect(html?.encoding).toBe('br')
      expect(script).toMatchObject({ encoding: 'br', cache: 'public, max-age=31536000, immutable' })
      expect(style).toMatchObject({ encoding: 'br', cache: 'public, max-age=31536000, immutable' })
      expect(html?.cache).toBe('no-store')
      // gzip for a client without brotli; an unhashed URL is not cached for a year.
      const gz = await fetch(`${loom}/page/page.js`, { headers: { 'accept-encoding': 'gzip' } })
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
      const { url } = await start()
      const { context, page, problems } = await phone(plainBrowser)
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

      const noJs = await plainBrowser.newContext({ ...PHONE, javaScriptEnabled: false })
      const bare = await noJs.newPage()
      await bare.goto((await start()).url)
      expect(await bare.locator('main').innerText()).toContain(en['page.noscript'])
      expect(await bare.getByText(en['page.loading']).isVisible()).toBe(false)
      await bare.screenshot({ path: path.join(SHOTS, 'camera-refused', 'no-javascript.png') })
      await noJs.close()
    },
  )
})
