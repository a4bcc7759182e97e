// The console's verifications: the filtered list, the review queue (oldest first), one
// verification's detail (personal fields and images only for roles that may see them, each view
// audited), the reviewer's decision and the images. Another tenant's verification is a 404.
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { ApiError } from '../api/errors.ts'
import { DomainError } from '../domain/errors.ts'
import { STATUSES, VERIFICATION_TYPES, REASONS, methodOf } from '../domain/verification.ts'
import {
  APPROVE_REASONS,
  REJECT_REASONS,
  ReviewError,
  consoleImage,
  findVerifications,
  settleReview,
  verificationDetail,
} from '../services/review.ts'
import type { VerificationRow, VerificationSearch } from '../services/review.ts'
import type { Principal } from './accounts.ts'
import { csrfField, facts, h, input, mayDo, notice, select, table, translator } from './pages.ts'
import type { T } from './pages.ts'
import {
  ConsoleHttp,
  PAGE_SIZE,
  cursorOf,
  dayBound,
  formOf,
  isoShort,
  languageOf,
  oneOf,
  parseCursor,
} from './http.ts'
import type { ConsolePluginOptions } from './http.ts'
import { mediaTypeOf } from '../services/document-reads.ts'

export async function verificationRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console
  function listTable(t: T, caption: string, rows: VerificationRow[]): string {
    return table(
      caption,
      [
        t('list.id'),
        t('list.status'),
        t('list.mode'),
        t('list.type'),
        t('list.reason'),
        t('list.external_id'),
        t('list.created'),
      ],
      rows.map((r) => [
        `<a href="/console/verifications/${h(r.id)}">${h(r.id)}</a>`,
        `<span class="status status-${h(r.status)}">${h(r.status)}</span>`,
        h(r.mode),
        h(r.verificationType),
        h(r.reasons.join(', ') || '—'),
        h(r.externalId ?? '—'),
        `<time datetime="${h(r.createdAt)}">${h(isoShort(r.createdAt))}</time>`,
      ]),
    )
  }

  app.get('/verifications', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const q = req.query as Record<string, string | undefined>
    const search: VerificationSearch = { limit: PAGE_SIZE }
    const status = oneOf(q.status, STATUSES, 'status')
    const mode = oneOf(q.mode, ['live', 'test'], 'mode')
    const type = oneOf(q.type, VERIFICATION_TYPES, 'type')
    const reason = oneOf(q.reason, [...REASONS, ...APPROVE_REASONS], 'reason')
    if (status) search.status = status
    if (mode) search.mode = mode
    if (type) search.verificationType = type
    if (reason) search.reason = reason
    if (q.externalId) {
      if (q.externalId.length > 200)
        throw new ApiError('INVALID_PARAMETERS', 'externalId is too long')
      search.externalId = q.externalId
    }
    const from = dayBound(q.from, 'from', false)
    const to = dayBound(q.to, 'to', true)
    if (from) search.from = from
    if (to) search.to = to
    const after = parseCursor(q.after)
    if (after) search.after = after
    const rows = await findVerifications(deps, p.tenant.id, search)
    const any: [string, string] = ['', t('list.any')]
    const filters = `<form method="get" action="/console/verifications" class="filters" aria-label="${h(t('list.filters'))}">
${select('status', t('list.status'), [any, ...STATUSES.map((s): [string, string] => [s, s])], status)}
${select('mode', t('list.mode'), [any, ['live', 'live'], ['test', 'test']], mode)}
${select('type', t('list.type'), [any, ...VERIFICATION_TYPES.map((s): [string, string] => [s, s])], type)}
${select('reason', t('list.reason'), [any, ...[...REASONS, ...APPROVE_REASONS].map((s): [string, string] => [s, s])], reason)}
${input('externalId', t('list.external_id'), { value: q.externalId ?? '' })}
${input('from', t('list.from'), { type: 'date', value: q.from ?? '' })}
${input('to', t('list.to'), { type: 'date', value: q.to ?? '' })}
<button type="submit">${h(t('list.apply'))}</button> <a href="/console/verifications">${h(t('list.reset'))}</a></form>`
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(q)) if (v && k !== 'after' && k !== 'lang') params.set(k, v)
    const last = rows.at(-1)
    const pager: string[] = []
    if (after)
      pager.push(
        `<a href="/console/verifications?${h(params.toString())}">${h(t('list.first'))}</a>`,
      )
    if (last && rows.length === PAGE_SIZE) {
      params.set('after', cursorOf(last))
      pager.push(
        `<a rel="next" href="/console/verifications?${h(params.toString())}">${h(t('list.next'))}</a>`,
      )
    }
    const body = `${filters}${rows.length === 0 ? `<p>${h(t('list.none'))}</p>` : listTable(t, t('list.caption'), rows)}<p class="pager">${pager.join(' ')}</p>`
    return send(req, reply, t('list.title'), body)
  })

  app.get('/review', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const q = req.query as Record<string, string | undefined>
    const after = parseCursor(q.after)
    const rows = await findVerifications(deps, p.tenant.id, {
      status: 'review',
      oldestFirst: true,
      limit: PAGE_SIZE,
      ...(after && { after }),
    })
    const last = rows.at(-1)
    const next =
      last && rows.length === PAGE_SIZE
        ? `<p class="pager"><a rel="next" href="/console/review?after=${h(cursorOf(last))}">${h(t('list.next'))}</a></p>`
        : ''
    const body =
      rows.length === 0
        ? `<p>${h(t('review.none'))}</p>`
        : listTable(t, t('review.caption'), rows) + next
    return send(req, reply, t('review.title'), body)
  })

  app.get<{ Params: { id: string } }>('/verifications/:id', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const personal = mayDo(p, 'personalData')
    const detail = await verificationDetail(deps, p.tenant.id, req.params.id, {
      actor: p.user.id,
      personal,
    })
    if (detail === null) throw new ConsoleHttp(404, 'error.not_found')
    const v = detail.verification
    const decision = v.decision
    const q = req.query as Record<string, string | undefined>
    const sections: string[] = []
    if (q.decided) sections.push(notice(t('decide.done', { status: v.status })))
    if (
      q.problem &&
      ['not_in_review', 'reason_invalid', 'age_unknown', 'underage'].includes(q.problem)
    )
      sections.push(notice(t(`decide.${q.problem as 'underage'}`), 'alert'))
    sections.push(
      `<section aria-labelledby="s-summary"><h2 id="s-summary">${h(t('detail.summary'))}</h2>${facts(
        [
          [t('list.status'), v.status],
          [t('list.mode'), v.mode],
          [t('list.type'), v.verificationType],
          [t('detail.min_age'), String(v.minAge)],
          [t('list.external_id'), v.externalId ?? '—'],
          [t('list.created'), isoShort(v.createdAt)],
          [t('list.completed'), isoShort(v.completedAt)],
          [t('detail.expires'), isoShort(v.expiresAt)],
        ],
      )}</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-decision"><h2 id="s-decision">${h(t('detail.decision'))}</h2>${
        decision === null
          ? `<p>${h(t('detail.none'))}</p>`
          : facts([
              [t('list.status'), decision.status],
              [t('detail.reasons'), decision.reasons.join(', ') || '—'],
              [t('detail.confidence'), decision.confidence.toFixed(2)],
              [
                t('detail.verified_age'),
                decision.verifiedAge === null ? '—' : String(decision.verifiedAge),
              ],
              [t('detail.method'), methodOf(decision)],
            ])
      }</section>`,
    )
    if (v.status === 'review' && mayDo(p, 'decideReviews')) sections.push(decisionForm(p, t, v.id))
    // Checks and the face comparison hold no personal data; they are shown to every role.
    const checks = detail.checks
    const face = checks.filter((c) => c.name.includes('face'))
    sections.push(
      `<section aria-labelledby="s-checks"><h2 id="s-checks">${h(t('detail.checks'))}</h2>${
        checks.length === 0
          ? `<p>${h(t('detail.none'))}</p>`
          : table(
              t('detail.checks'),
              [t('detail.check'), t('detail.outcome'), ''],
              checks.map((c) => [
                h(c.name),
                `<span class="outcome outcome-${h(c.outcome)}">${h(c.outcome)}</span>`,
                h(c.detail ?? ''),
              ]),
            )
      }<h3>${h(t('detail.face'))}</h3>${
        face.length === 0
          ? `<p>${h(t('detail.face_none'))}</p>`
          : facts(face.map((c) => [c.name, `${c.outcome}${c.detail ? ` — ${c.detail}` : ''}`]))
      }</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-fields"><h2 id="s-fields">${h(t('detail.fields'))}</h2>${fieldsOf(t, personal, detail.extracted)}</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-images"><h2 id="s-images">${h(t('detail.images'))}</h2>${imagesOf(t, personal, v.id, detail.images)}</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-timeline"><h2 id="s-timeline">${h(t('detail.timeline'))}</h2><ol class="timeline">${detail.events
        .map(
          (e) =>
            `<li><time datetime="${h(e.createdAt)}">${h(isoShort(e.createdAt))}</time> <code>${h(e.type)}</code>${typeof e.payload.status === 'string' ? ` — ${h(e.payload.status)}` : ''}</li>`,
        )
        .join('')}</ol></section>`,
    )
    if (personal) {
      sections.push(
        `<section aria-labelledby="s-audit"><h2 id="s-audit">${h(t('detail.audit'))}</h2><p>${h(t('detail.audit_note'))}</p><ul>${detail.audit
          .map(
            (a) =>
              `<li><time datetime="${h(a.createdAt)}">${h(isoShort(a.createdAt))}</time> ${h(a.actor)} <code>${h(a.action)}</code></li>`,
          )
          .join('')}</ul></section>`,
      )
    }
    return send(req, reply, t('detail.title', { id: v.id }), sections.join('\n'))
  })

  function decisionForm(p: Principal, t: T, id: string): string {
    const reasons = [
      ...APPROVE_REASONS.map((r): [string, string] => [r, `${t('decide.approve')}: ${r}`]),
      ...REJECT_REASONS.map((r): [string, string] => [r, `${t('decide.reject')}: ${r}`]),
    ]
    return `<section aria-labelledby="s-decide"><h2 id="s-decide">${h(t('decide.title'))}</h2>
<form method="post" action="/console/verifications/${h(id)}/decision" class="stack">${csrfField(p)}
<fieldset><legend>${h(t('decide.outcome'))}</legend>
<label><input type="radio" name="status" value="approved" required> ${h(t('decide.approve'))}</label>
<label><input type="radio" name="status" value="rejected"> ${h(t('decide.reject'))}</label></fieldset>
${select('reason', t('decide.reason'), reasons, undefined)}
${input('verifiedAge', t('decide.age'), { type: 'number' })}
<label for="f-note">${h(t('decide.note'))}</label><textarea id="f-note" name="note" rows="3" maxlength="2000"></textarea>
<button type="submit">${h(t('decide.submit'))}</button></form></section>`
  }

  app.post<{ Params: { id: string } }>('/verifications/:id/decision', async (req, reply) => {
    const p = userOf(req, 'decideReviews')
    const form = formOf(req)
    const status = form.status
    if (status !== 'approved' && status !== 'rejected')
      throw new ApiError('INVALID_REQUEST_BODY', 'status must be approved or rejected')
    const ageText = form.verifiedAge ?? ''
    if (ageText !== '' && !/^\d{1,3}$/.test(ageText))
      throw new ApiError('INVALID_REQUEST_BODY', 'verifiedAge must be a whole number of years')
    const base = `/console/verifications/${encodeURIComponent(req.params.id)}`
    try {
      await settleReview(
        deps,
        p.tenant,
        req.params.id,
        { id: p.user.id, email: p.user.email },
        {
          status,
          reason: form.reason ?? '',
          note: form.note ?? '',
          verifiedAge: ageText === '' ? undefined : Number(ageText),
        },
      )
    } catch (err) {
      if (err instanceof ReviewError) {
        if (err.code === 'not_found') throw new ConsoleHttp(404, 'error.not_found')
        return reply.redirect(`${base}?problem=${err.code}`, 303)
      }
      if (err instanceof DomainError && err.code === 'VERIFICATION_ALREADY_COMPLETED')
        return reply.redirect(`${base}?problem=not_in_review`, 303)
      throw err
    }
    return reply.redirect(`${base}?decided=1`, 303)
  })

  app.get<{ Params: { id: string; imageId: string } }>(
    '/verifications/:id/images/:imageId',
    async (req, reply) => {
      const p = userOf(req, 'personalData')
      const found = await consoleImage(
        deps,
        p.tenant.id,
        req.params.id,
        req.params.imageId,
        p.user.id,
      )
      if (found === null) throw new ConsoleHttp(404, 'error.not_found')
      const shown = await viewable(found.bytes)
      return reply
        .type(shown.type)
        .header('cache-control', 'no-store')
        .header('content-disposition', 'inline')
        .send(shown.bytes)
    },
  )
}

/** Renders the personal fields read from the document, for roles that may see them. */
function fieldsOf(
  t: T,
  personal: boolean,
  extracted: {
    person: Record<string, string | null> | null
    document: Record<string, string | null> | null
    documentType: string | null
  } | null,
): string {
  if (!personal) return `<p>${h(t('detail.fields_hidden'))}</p>`
  if (extracted === null || (extracted.person === null && extracted.document === null))
    return `<p>${h(t('detail.fields_none'))}</p>`
  const rows: [string, string][] = [[t('detail.document.type'), extracted.documentType ?? '—']]
  const person = extracted.person ?? {}
  const doc = extracted.document ?? {}
  for (const k of ['lastName', 'firstName', 'dateOfBirth', 'sex', 'nationality'] as const)
    rows.push([t(`detail.person.${k}`), person[k] ?? '—'])
  for (const k of ['number', 'issuer', 'expiryDate', 'issueDate'] as const)
    rows.push([t(`detail.document.${k}`), doc[k] ?? '—'])
  return `<div class="personal">${facts(rows)}</div>`
}

function imagesOf(
  t: T,
  personal: boolean,
  verificationId: string,
  images: { id: string; kind: string; purgedAt: string | null; blobKey: string | null }[],
): string {
  if (!personal) return `<p>${h(t('detail.images_hidden'))}</p>`
  const held = images.filter((i) => i.purgedAt === null && i.blobKey !== null)
  if (held.length === 0) return `<p>${h(t('detail.images_none'))}</p>`
  return `<ul class="images">${held
    .map((i) => {
      const src = `/console/verifications/${h(verificationId)}/images/${h(i.id)}`
      return `<li><figure><a href="${src}"><img src="${src}" alt="${h(t('detail.image_alt', { kind: i.kind }))}" loading="lazy"></a><figcaption>${h(i.kind)}</figcaption></figure></li>`
    })
    .join('')}</ul>`
}

/**
 * The image as a browser shows it: as stored, except a TIFF scan (only Safari draws TIFF), which
 * is shown as a PNG of its first page. Stored TIFFs passed intake's size checks.
 */
async function viewable(bytes: Buffer): Promise<{ type: string; bytes: Buffer }> {
  const type = mediaTypeOf(bytes)
  if (type !== 'image/tiff') return { type, bytes }
  try {
    return {
      type: 'image/png',
      bytes: await sharp(bytes, { limitInputPixels: 64_000_000 }).png().toBuffer(),
    }
  } catch {
    return { type, bytes }
  }
}
