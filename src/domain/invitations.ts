// The words of an invitation (the sessions API): a workflow may set its own texts; placeholders are
// filled in here, escaped for HTML where the body is HTML.
import type { InvitationTexts } from './workflows.ts'

export const PLACEHOLDERS = ['link', 'first_name', 'tenant', 'expires'] as const
type Values = Record<(typeof PLACEHOLDERS)[number], string>

const DEFAULT_SUBJECT = 'Verify your identity for {{tenant}}'
const DEFAULT_EMAIL = `Hello {{first_name}},

{{tenant}} asks you to verify your identity. It takes about two minutes: have an ID document at hand (passport, ID card or driving licence).

Start here: {{link}}

This link is personal: do not share it. It works until {{expires}}.
If you did not expect this message, you can ignore it.`
const DEFAULT_SMS =
  '{{tenant}}: please verify your identity at {{link}} (link valid until {{expires}})'

export interface EmailMessage {
  subject: string
  text: string
  html: string
}

function fill(template: string, values: Values, escape: (s: string) => string): string {
  return template.replaceAll(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    name in values ? escape(values[name as keyof Values]) : whole,
  )
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/** Subject, plain text and HTML of an email invitation. */
export function emailInvitation(texts: InvitationTexts | null, values: Values): EmailMessage {
  const subjectTemplate = texts?.emailSubject ?? DEFAULT_SUBJECT
  const bodyTemplate = texts?.emailBody ?? DEFAULT_EMAIL
  // Header injection: a subject is one line whatever the tenant's name holds.
  const subject = fill(subjectTemplate, values, (s) => s).replaceAll(/[\r\n]+/g, ' ')
  const text = fill(bodyTemplate, values, (s) => s)
  const link = `<a href="${escapeHtml(values.link)}">${escapeHtml(values.link)}</a>`
  const htmlBody = escapeHtml(bodyTemplate)
    .replaceAll(/\{\{(\w+)\}\}/g, (whole, name: string) => {
      if (name === 'link') return link
      return name in values ? escapeHtml(values[name as keyof Values]) : whole
    })
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${paragraph.replaceAll('\n', '<br>')}</p>`)
    .join('\n')
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">${htmlBody}</body></html>`
  return { subject, text, html }
}

/** The text of an SMS invitation. */
export function smsInvitation(texts: InvitationTexts | null, values: Values): string {
  return fill(texts?.smsBody ?? DEFAULT_SMS, values, (s) => s)
}

/** Checks a tenant's invitation text: the link must be in it; only known placeholders. */
export function invitationTextProblem(text: string, needsLink: boolean): string | null {
  const unknown = [...text.matchAll(/\{\{(\w+)\}\}/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name))
  if (unknown.length > 0) {
    return `uses unknown placeholder {{${unknown[0]}}}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`
  }
  if (needsLink && !text.includes('{{link}}')) return 'must contain {{link}}'
  return null
}
