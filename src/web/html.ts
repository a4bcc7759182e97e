// The hosted page's HTML: the shell the page script draws into, and the pages that need no
// script (a link that does not work, has expired, or is refused for too many attempts). Every
// value is escaped; the page's data travels as a JSON data block, which CSP does not execute.
import type { Language, MessageKey } from './i18n.ts'
import { LANGUAGES, LANGUAGE_NAMES, translate } from './i18n.ts'
import { CATALOGUES } from './i18n.ts'
import { brandPalette } from './brand-colours.ts'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text safe inside HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** JSON safe inside a <script type="application/json"> block (no `</script>`, no `<!--`). */
function jsonBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

export interface Assets {
  /** URLs of the page's script and stylesheet (with a content hash for caching). */
  script: string
  style: string
  /** Modules the script imports, fetched alongside it rather than after it. */
  modules?: string[]
}

const HEX_COLOUR = /^#[0-9a-f]{6}$/i

/**
 * The tenant's colour as CSS custom properties: the colour, black or white text on it, and an
 * accent for borders, the focus ring and the spinner that stands out from the page in the light
 * and the dark scheme (brand-colours.ts). Empty for a missing or malformed colour.
 */
export function brandCss(colour: string | null): string {
  if (colour === null || !HEX_COLOUR.test(colour)) return ''
  const p = brandPalette(colour)
  return (
    `:root{--brand:${p.brand};--on-brand:${p.onBrand};--brand-accent:${p.accentLight}}\n` +
    `@media (prefers-color-scheme: dark){:root{--brand-accent:${p.accentDark}}}\n`
  )
}

/** The stylesheet URL that sets a tenant's colour (CSP allows no inline style). */
export function themeUrl(colour: string | null): string | null {
  return colour !== null && HEX_COLOUR.test(colour)
    ? `/page/theme.css?brand=${colour.slice(1).toLowerCase()}`
    : null
}

interface Frame {
  language: Language
  title: string
  tenantName: string | null
  brandColor: string | null
  /** The tenant's logo (same origin, so the page's CSP allows it); null: its initial and name. */
  logoUrl: string | null
  assets: Assets
  /** The current page path and query without `lang`, for the language links. */
  selfPath: string
}

function languageLinks(frame: Frame): string {
  const t = (key: MessageKey) => escapeHtml(translate(frame.language, key))
  const separator = frame.selfPath.includes('?') ? '&' : '?'
  const links = LANGUAGES.map((lang) =>
    lang === frame.language
      ? `<li><a aria-current="true" lang="${lang}" href="${escapeHtml(`${frame.selfPath}${separator}lang=${lang}`)}">${escapeHtml(LANGUAGE_NAMES[lang])}</a></li>`
      : `<li><a lang="${lang}" hreflang="${lang}" href="${escapeHtml(`${frame.selfPath}${separator}lang=${lang}`)}">${escapeHtml(LANGUAGE_NAMES[lang])}</a></li>`,
  ).join('')
  return `<nav class="languages" aria-label="${t('page.language')}"><ul>${links}</ul></nav>`
}

function frame(inner: Frame, main: string, tail = ''): string {
  const t = (key: MessageKey) => escapeHtml(translate(inner.language, key))
  const theme = themeUrl(inner.brandColor)
  return `<!doctype html>
<html lang="${inner.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>${escapeHtml(inner.title)}</title>
<link rel="stylesheet" href="${escapeHtml(inner.assets.style)}">
<noscript><link rel="stylesheet" href="/page/noscript.css"></noscript>
${theme === null ? '' : `<link rel="stylesheet" href="${escapeHtml(theme)}">\n`}</head>
<body>
<header class="top">
${tenantHeader(inner)}
</header>
<main id="main" tabindex="-1">
${main}
</main>
<div id="live" class="visually-hidden" role="status" aria-live="polite"></div>
<footer class="bottom">
${languageLinks(inner)}
<p class="secured">${t('page.secured_by')}</p>
</footer>
${tail}
</body>
</html>
`
}

/** The tenant's logo (its name as the alternative text), else its initial and name. */
function tenantHeader(inner: Frame): string {
  if (inner.tenantName === null) return ''
  const name = escapeHtml(inner.tenantName)
  if (inner.logoUrl !== null) {
    return `<p class="tenant"><img class="tenant-logo" src="${escapeHtml(inner.logoUrl)}" alt="${name}"></p>`
  }
  const mark = escapeHtml(initialOf(inner.tenantName))
  return `<p class="tenant"><span class="tenant-mark" aria-hidden="true">${mark}</span><span class="tenant-name">${name}</span></p>`
}

function initialOf(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? ''
}

export interface ShellInput {
  language: Language
  tenantName: string
  brandColor: string | null
  logoUrl: string | null
  assets: Assets
  selfPath: string
  /** Everything the script needs: state, messages, base path, embed origin. */
  boot: Record<string, unknown>
}

/** The page the script runs in. */
export function renderShell(input: ShellInput): string {
  const t = (key: MessageKey) => escapeHtml(translate(input.language, key))
  const title = translate(input.language, 'page.title', { tenant: input.tenantName })
  const main = `<p class="loading">${t('page.loading')}</p>
<noscript><p class="notice">${t('page.noscript')}</p></noscript>`
  // Fetched with the script, not after it has been read (they are its static imports).
  const preloads = (input.assets.modules ?? [])
    .map((url) => `<link rel="modulepreload" href="${escapeHtml(url)}">\n`)
    .join('')
  const tail = `<script type="application/json" id="loom-boot">${jsonBlock({
    ...input.boot,
    language: input.language,
    messages: CATALOGUES[input.language],
  })}</script>
${preloads}<script type="module" src="${escapeHtml(input.assets.script)}"></script>`
  return frame(
    {
      language: input.language,
      title,
      tenantName: input.tenantName,
      brandColor: input.brandColor,
      logoUrl: input.logoUrl,
      assets: input.assets,
      selfPath: input.selfPath,
    },
    main,
    tail,
  )
}

export interface ProblemInput {
  language: Language
  problem: 'invalid' | 'expired' | 'busy'
  tenantName: string | null
  brandColor: string | null
  logoUrl: string | null
  /** The tenant's redirect URL with the outcome, when the session had one. */
  returnUrl: string | null
  assets: Assets
  selfPath: string
}

/** A friendly page for a link that cannot be used (no script needed). */
export function renderProblem(input: ProblemInput): string {
  const vars = {
    tenant: input.tenantName ?? translate(input.language, 'link.someone'),
  }
  const key = input.problem === 'expired' ? 'outcome.expired' : `link.${input.problem}`
  const title = translate(input.language, `${key}.title` as MessageKey, vars)
  const body = translate(input.language, `${key}.body` as MessageKey, vars)
  const back =
    input.returnUrl !== null && input.tenantName !== null
      ? `<p><a class="button primary" href="${escapeHtml(input.returnUrl)}">${escapeHtml(
          translate(input.language, 'outcome.continue', vars),
        )}</a></p>`
      : ''
  const main = `<div class="screen outcome outcome-problem">
<div class="outcome-icon" aria-hidden="true">!</div>
<h1 tabindex="-1">${escapeHtml(title)}</h1>
<p>${escapeHtml(body)}</p>
${back}
</div>`
  return frame(
    {
      language: input.language,
      title,
      tenantName: input.tenantName,
      brandColor: input.brandColor,
      logoUrl: input.logoUrl,
      assets: input.assets,
      selfPath: input.selfPath,
    },
    main,
  )
}
