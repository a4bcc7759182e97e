// What the hosted page's browser tests share: Debian's Chromium driven by playwright-core, a
// phone-sized context, the tenant's own site on another origin (redirect target and embedding
// page), the fake camera's Y4M files, photos of faces, axe-core, and steps of the flow.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import http from 'node:http'
import path from 'node:path'
import sharp from 'sharp'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core'
import { expect } from 'vitest'
import { detectFaces } from '../src/engine/face/index.ts'
import { en } from '../src/web/messages/en.ts'
import { startWorker } from '../src/jobs/worker.ts'
import { createTenant, startSession, startTestApp, listenLocally } from './helpers.ts'
import { passport } from './specimens.ts'
import type { TestApp } from './helpers.ts'

export const CHROMIUM = '/usr/bin/chromium'
const require = createRequire(import.meta.url)
/** A photo of a group of people (no document): the face-api package's demo picture. */
export const GROUP_PHOTO = path.join(
  path.dirname(require.resolve('@vladmandic/face-api/package.json')),
  'demo/sample6.jpg',
)
export const SHOTS = path.resolve('test-results/page')
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}
export const WAIT = Number(process.env.LOOM_PAGE_WAIT_MS ?? 90_000)

export const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing: scripts/system-packages.sh installs Debian's chromium`)
}
if (!haveChromium) {
  console.warn(
    `hosted page browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium)`,
  )
}

/** A face from the group photo (sample1), `scale` face widths across, as a selfie. */
export async function groupFace(k: number): Promise<Buffer> {
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
export function sameMan(k: number): Promise<Buffer> {
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

/**
 * A few frames of a document lying on a dark table, as a YUV4MPEG2 file for the fake camera;
 * `share` is how much of the frame's width the document spans (0.86 fills the outline).
 */
export async function writeY4m(file: string, document: Buffer, blur = 0, share = 0.86) {
  const width = 1280
  const height = 960
  const doc = await sharp(document)
    .resize({ width: Math.round(width * share) })
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

export function launch(fakeVideo: string | null): Promise<Browser> {
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
export interface TenantSite {
  origin: string
  returns: URL[]
  close(): Promise<void>
}

export async function startTenantSite(loomOrigin: string): Promise<TenantSite> {
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
      // ?session= the page's URL; &lang= the embed's language; &inline=1 a frame in the page
      // instead of the modal; &timeout= the embed's timeout in ms.
      const options = {
        lang: url.searchParams.get('lang') ?? undefined,
        timeout: Number(url.searchParams.get('timeout') ?? 0) || undefined,
      }
      const inline = url.searchParams.get('inline') === '1'
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(`<!doctype html><html lang="${options.lang ?? 'en'}"><title>Shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<main><h1>Shop checkout</h1><p><a href="#terms">Terms of sale</a></p>
<button id="verify">Verify my age</button><div id="slot"></div><pre id="out"></pre></main>
<script src="${loomOrigin}/embed.js"></script>
<script>
  window.events = []
  for (const name of ['loom:complete', 'loom:close', 'loom:error']) {
    document.addEventListener(name, (e) => window.events.push({ type: name, detail: e.detail }))
  }
  const options = ${JSON.stringify(options)}
  if (${inline}) options.container = document.getElementById('slot')
  document.getElementById('verify').addEventListener('click', async () => {
    const out = document.getElementById('out')
    try {
      out.textContent = JSON.stringify(await Loom.open(${JSON.stringify(url.searchParams.get('session') ?? '')}, options))
    } catch (err) {
      out.textContent = 'error: ' + err.reason
    }
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

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

/**
 * axe-core's violations on a page or frame, as "rule: target" lines. The page's CSP forbids
 * injected script, so contexts that run this are opened with bypassCSP. Frames inside are
 * checked on their own (axe cannot reach into a cross-origin frame).
 */
export async function axeViolations(where: Page | Frame): Promise<string[]> {
  await where.addScriptTag({ content: axeSource })
  return where.evaluate<string[]>(AXE_RUN)
}

const AXE_RUN = `window.axe.run(document, { iframes: false }).then((result) =>
  result.violations.flatMap((v) => v.nodes.map((n) => v.id + ': ' + n.target.join(' '))))`

/**
 * The same on a page whose CSP is enforced: axe is evaluated through the DevTools protocol,
 * which the page's CSP does not govern (axeViolations adds a script tag, which it does).
 */
export async function axeUnderCsp(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource)
  return page.evaluate<string[]>(AXE_RUN)
}

export interface PhoneOptions {
  locale?: string
  colorScheme?: 'light' | 'dark'
  /** Lets a test inject axe-core; the page's own CSP is then not enforced. */
  bypassCSP?: boolean
}

/** A phone-sized browser context that may use the camera on Loom's origin. */
export async function phone(
  browser: Browser,
  loom: string,
  options: PhoneOptions = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    ...PHONE,
    bypassCSP: options.bypassCSP ?? false,
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

export function shooter(page: Page, flow: string) {
  const dir = path.join(SHOTS, flow)
  mkdirSync(dir, { recursive: true })
  let n = 0
  return async (name: string) => {
    n += 1
    await page.screenshot({ path: path.join(dir, `${String(n).padStart(2, '0')}-${name}.png`) })
  }
}

/** Waits for a screen by its heading; on failure, says what the page shows instead. */
export async function heading(page: Page, text: string): Promise<void> {
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

/** Ticks the intro's consent, and the consent to the face check when the session asks for it. */
export async function tickConsents(page: Page | Frame) {
  await page.locator('#consent').check()
  const face = page.locator('#consent-face')
  if ((await face.count()) > 0) await face.check()
}

export async function consent(page: Page, snap?: (name: string) => Promise<void>) {
  await heading(page, en['intro.title.age'].replace('{tenant}', 'Northwind Cellars'))
  if (snap) await snap('intro')
  await tickConsents(page)
  await page.getByRole('button', { name: en['intro.start'] }).click()
}

/** Answers "which document will you use?" with one of the buttons (by its English name). */
export async function chooseDocument(
  page: Page,
  document: string,
  snap?: (name: string) => Promise<void>,
) {
  await heading(page, en['choose.title'])
  if (snap) await snap('choose-document')
  await page.getByRole('button', { name: document, exact: true }).click()
  const type = { Passport: 'passport', 'ID card': 'id_card', 'Driving licence': 'drivers_license' }[
    document
  ]
  await heading(page, en[`capture.front.${type ?? 'unknown'}.title` as keyof typeof en])
}

export async function uploadFile(page: Page, buttonName: string, name: string, buffer: Buffer) {
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

/** A listening Loom with its worker, the tenant's site, one tenant and a browser without camera. */
export interface PageHarness {
  t: TestApp
  loom: string
  site: TenantSite
  key: string
  browser: Browser
  /** Starts a verification; returns its id and the page URL on this server. */
  start(body?: Record<string, unknown>): Promise<{ id: string; url: string }>
  close(): Promise<void>
}

export async function startPageHarness(): Promise<PageHarness> {
  // A person waits up to WAIT for a screen here; the engine gets as long per image, so a read
  // slowed by a busy machine is not shown as a photo to retake.
  const t = await startTestApp('sqlite', { env: { LOOM_ENGINE_BUDGET_MS: String(WAIT) } })
  const loom = await listenLocally(t.app)
  const worker = startWorker(t.deps, { maintenance: false })
  const site = await startTenantSite(loom)
  const { key } = await createTenant(t.app, { name: 'Northwind Cellars', brandColor: '#7a1f3d' })
  const browser = await launch(null)
  // The engine loads its models on first use: one document and one face read before the tests,
  // so that a cold start on a busy machine does not eat the first test's time budget.
  const warm = await startSession(t.app, key, { verification_type: 'full_verification' })
  const consented = await t.app.inject({
    method: 'POST',
    url: `${warm.path}/consent`,
    payload: { biometric: true },
  })
  expect(consented.statusCode).toBe(200)
  const upload = (kind: string, payload: Buffer) =>
    t.app.inject({
      method: 'POST',
      url: `${warm.path}/images/${kind}`,
      headers: { 'content-type': 'application/octet-stream' },
      payload,
    })
  expect((await upload('document_front', (await passport({ adult: true })).image)).statusCode).toBe(
    200,
  )
  expect((await upload('selfie', await sameMan(1))).statusCode).toBe(200)
  return {
    t,
    loom,
    site,
    key,
    browser,
    start: async (body = {}) => {
      const { id, path: at } = await startSession(t.app, key, body)
      return { id, url: `${loom}${at}` }
    },
    close: async () => {
      await browser.close()
      await worker.stop()
      await site.close()
      await t.close()
    },
  }
}
