// The console's HTML: one layout (skip link, navigation, language switch, sign-out) and small
// builders. Server-rendered, no inline script or style (the CSP forbids both); every value is
// escaped; forms carry the session's CSRF token.
import { escapeHtml } from '../web/html.ts'
import { LANGUAGE_NAMES } from '../web/i18n.ts'
import type { ConsoleLanguage } from './messages.ts'
import { CONSOLE_LANGUAGES, consoleText } from './messages.ts'
import type { ConsoleMessageKey } from './messages.ts'
import type { Permission, Principal } from './accounts.ts'
import { may } from './accounts.ts'

export { escapeHtml }
export const h = escapeHtml

export interface PageFrame {
  language: ConsoleLanguage
  principal: Principal | null
  /** Path and query without `lang`, for the language links. */
  selfPath: string
  stylesheet: string
}

export type T = (key: ConsoleMessageKey, vars?: Record<string, string | number>) => string

export function translator(language: ConsoleLanguage): T {
  return (key, vars) => consoleText(language, key, vars)
}

/** A hidden CSRF field for a form of the signed-in principal. */
export function csrfField(principal: Principal | null): string {
  return principal === null
    ? ''
    : `<input type="hidden" name="_csrf" value="${h(principal.session.csrfToken)}">`
}

function navigation(frame: PageFrame, t: T): string {
  const p = frame.principal
  if (p === null) return ''
  const link = (href: string, key: ConsoleMessageKey) => {
    const current = frame.selfPath.split('?')[0] === href ? ' aria-current="page"' : ''
    return `<li><a href="${href}"${current}>${h(t(key))}</a></li>`
  }
  const items: string[] = []
  if (p.kind === 'operator') {
    items.push(link('/console/operator/tenants', 'nav.tenants'))
    items.push(link('/console/operator/logs', 'nav.logs'))
  } else {
    const role = p.user.role
    items.push(link('/console/verifications', 'nav.verifications'))
    items.push(link('/console/review', 'nav.review'))
    items.push(link('/console/keys', 'nav.keys'))
    if (may(role, 'developers')) {
      items.push(link('/console/webhooks', 'nav.webhooks'))
      items.push(link('/console/workflows', 'nav.workflows'))
      items.push(link('/console/branding', 'nav.branding'))
    }
    items.push(link('/console/usage', 'nav.usage'))
    if (may(role, 'users')) items.push(link('/console/users', 'nav.users'))
    items.push(link('/console/account', 'nav.account'))
  }
  const signOut = `<form method="post" action="/console/sign-out" class="inline">${csrfField(p)}<button type="submit">${h(t('signout.submit'))}</button></form>`
  return `<nav aria-label="${h(t('nav.label'))}"><ul>${items.join('')}</ul>${signOut}</nav>`
}

function languageLinks(frame: PageFrame, t: T): string {
  const separator = frame.selfPath.includes('?') ? '&' : '?'
  const links = CONSOLE_LANGUAGES.map((lang) => {
    const current = lang === frame.language ? ' aria-current="true"' : ''
    return `<li><a lang="${lang}" hreflang="${lang}"${current} href="${h(`${frame.selfPath}${separator}lang=${lang}`)}">${h(LANGUAGE_NAMES[lang])}</a></li>`
  }).join('')
  return `<nav class="languages" aria-label="${h(t('nav.language'))}"><ul>${links}</ul></nav>`
}

/** A whole page. `body` is already-escaped HTML. */
export function layout(frame: PageFrame, title: string, body: string): string {
  const t = translator(frame.language)
  return `<!doctype html>
<html lang="${frame.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)} — ${h(t('app.name'))}</title>
<link rel="stylesheet" href="${h(frame.stylesheet)}">
</head>
<body>
<a class="skip" href="#main">${h(t('nav.skip'))}</a>
<header><p class="brand">${h(t('app.name'))}</p>${navigation(frame, t)}${languageLinks(frame, t)}</header>
<main id="main" tabindex="-1">
<h1>${h(title)}</h1>
${body}
</main>
</body>
</html>`
}

/** A notice (role="status") or an error (role="alert") paragraph. */
export function notice(text: string, kind: 'status' | 'alert' = 'status'): string {
  return `<p class="notice ${kind}" role="${kind}">${h(text)}</p>`
}

/** A definition list from label/value pairs (values are plain text). */
export function facts(rows: [string, string][]): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`
}

/** A table with a caption; cells are already-escaped HTML. */
export function table(caption: string, headers: string[], rows: string[][]): string {
  const head = headers.map((x) => `<th scope="col">${h(x)}</th>`).join('')
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')
  return `<div class="table"><table><caption>${h(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`
}

export function select(
  name: string,
  label: string,
  options: [string, string][],
  selected: string | undefined,
): string {
  const opts = options
    .map(
      ([value, text]) =>
        `<option value="${h(value)}"${value === (selected ?? '') ? ' selected' : ''}>${h(text)}</option>`,
    )
    .join('')
  return `<label for="f-${h(name)}">${h(label)}</label><select id="f-${h(name)}" name="${h(name)}">${opts}</select>`
}

export function input(
  name: string,
  label: string,
  attrs: {
    type?: string
    value?: string
    required?: boolean
    autocomplete?: string
    hint?: string
    /** For a file input: the media types offered. */
    accept?: string
  } = {},
): string {
  const describedBy = attrs.hint ? ` aria-describedby="f-${h(name)}-hint"` : ''
  return `<label for="f-${h(name)}">${h(label)}</label><input id="f-${h(name)}" name="${h(name)}" type="${h(attrs.type ?? 'text')}"${attrs.value !== undefined ? ` value="${h(attrs.value)}"` : ''}${attrs.required ? ' required' : ''}${attrs.autocomplete ? ` autocomplete="${h(attrs.autocomplete)}"` : ''}${attrs.accept ? ` accept="${h(attrs.accept)}"` : ''}${describedBy}>${attrs.hint ? `<p class="hint" id="f-${h(name)}-hint">${h(attrs.hint)}</p>` : ''}`
}

export function mayDo(principal: Principal, permission: Permission): boolean {
  return principal.kind === 'user' && may(principal.user.role, permission)
}
