// The workflows pages: list, create, edit and delete a tenant's reusable verification settings,
// through the same service as the sessions API's /v1/workflows. A session keeps the settings it
// was created with, so an edit or a deletion here never changes one already sent to someone.
// The invitation texts are edited through the API; the form leaves them as they are.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { VERIFICATION_TYPES, parseTimeToLive } from '../domain/verification.ts'
import type { VerificationType } from '../domain/verification.ts'
import { DEFAULT_AGE_BUFFER, DOCUMENT_TYPES, MAX_AGE_BUFFER } from '../domain/workflows.ts'
import type { Workflow } from '../domain/workflows.ts'
import { DEFAULT_RETRY_POLICY, MAX_ATTEMPTS_LIMIT, RETRYABLE_REASONS } from '../domain/retry.ts'
import { DomainError } from '../domain/errors.ts'
import { isMrzCountryCode } from '../engine/mrz/countries.ts'
import {
  changeWorkflow,
  createWorkflow,
  markDefault,
  removeWorkflow,
  workflowOf,
  workflowsOf,
} from '../services/workflows.ts'
import type { WorkflowFields } from '../services/workflows.ts'
import { csrfField, h, input, notice, select, table, translator } from './pages.ts'
import type { T } from './pages.ts'
import type { ConsoleMessageKey } from './messages.ts'
import { formOf, languageOf } from './http.ts'
import type { ConsolePluginOptions, Form, UserPrincipal } from './http.ts'

const MIN_AGE = 13
const MAX_AGE = 25

/** What a new workflow's form starts with: the defaults of /v1/workflows. */
function createWorkflowDefaults(): WorkflowFields {
  return {
    name: '',
    verificationType: 'age_only',
    minAge: 18,
    ageBuffer: DEFAULT_AGE_BUFFER,
    acceptedDocumentTypes: null,
    acceptedCountries: null,
    requireSelfie: false,
    timeToLive: null,
    invitation: { emailSubject: null, emailBody: null, smsBody: null },
    retryPolicy: DEFAULT_RETRY_POLICY,
  }
}

/** The form read into workflow fields, or the message key of the first field that is wrong. */
type Parsed =
  | { ok: true; name: string; fields: Partial<WorkflowFields>; isDefault: boolean }
  | { ok: false; problem: ConsoleMessageKey }

function integerIn(text: string | undefined, min: number, max: number): number | null {
  if (text === undefined || !/^\d{1,3}$/.test(text.trim())) return null
  const n = Number(text.trim())
  return n >= min && n <= max ? n : null
}

export function parseWorkflowForm(form: Form): Parsed {
  const name = (form.name ?? '').trim()
  if (name.length === 0 || name.length > 200) return { ok: false, problem: 'workflows.bad_name' }
  const type = form.verification_type ?? ''
  if (!(VERIFICATION_TYPES as readonly string[]).includes(type))
    return { ok: false, problem: 'workflows.bad_type' }
  const minAge = integerIn(form.min_age, MIN_AGE, MAX_AGE)
  if (minAge === null) return { ok: false, problem: 'workflows.bad_min_age' }
  const ageBuffer = integerIn(form.age_buffer, 0, MAX_AGE_BUFFER)
  if (ageBuffer === null) return { ok: false, problem: 'workflows.bad_age_buffer' }
  const documents = DOCUMENT_TYPES.filter((d) => form[`doc_${d}`] === 'on')
  const countryText = (form.countries ?? '').toUpperCase().trim()
  const countries = countryText === '' ? [] : [...new Set(countryText.split(/[\s,;]+/))]
  if (countries.length > 300 || countries.some((c) => !isMrzCountryCode(c)))
    return { ok: false, problem: 'workflows.bad_countries' }
  const ttlText = (form.time_to_live ?? '').trim()
  if (ttlText !== '' && parseTimeToLive(ttlText) === null)
    return { ok: false, problem: 'workflows.bad_time_to_live' }
  const maxAttempts = integerIn(form.max_attempts, 1, MAX_ATTEMPTS_LIMIT)
  if (maxAttempts === null) return { ok: false, problem: 'workflows.bad_attempts' }
  return {
    ok: true,
    name,
    isDefault: form.is_default === 'on',
    fields: {
      name,
      verificationType: type as VerificationType,
      minAge,
      ageBuffer,
      // None ticked: every type Loom reads, as an absent list in the API.
      acceptedDocumentTypes: documents.length === 0 ? null : documents,
      acceptedCountries: countries.length === 0 ? null : countries,
      requireSelfie: type === 'full_verification' || form.require_selfie === 'on',
      timeToLive: ttlText === '' ? null : ttlText,
      retryPolicy: {
        maxAttempts,
        retryOn: RETRYABLE_REASONS.filter((r) => form[`retry_${r}`] === 'on'),
        exhaustedReason: null,
      },
    },
  }
}

function checkbox(name: string, label: string, checked: boolean): string {
  return `<label class="check"><input type="checkbox" name="${h(name)}"${checked ? ' checked' : ''}> ${h(label)}</label>`
}

/** The form, filled with `w` (a workflow, or what was sent back with a problem). */
function workflowForm(
  t: T,
  p: UserPrincipal,
  action: string,
  w: WorkflowFields,
  isDefault: boolean,
) {
  const docs = DOCUMENT_TYPES.map((d) =>
    checkbox(`doc_${d}`, t(`doc.${d}`), w.acceptedDocumentTypes?.includes(d) ?? false),
  ).join('')
  const retry = RETRYABLE_REASONS.map((r) =>
    checkbox(`retry_${r}`, t(`workflows.retry_${r}`), w.retryPolicy.retryOn.includes(r)),
  ).join('')
  return `<form method="post" action="${h(action)}" class="stack">${csrfField(p)}
${input('name', t('workflows.name'), { value: w.name, required: true })}
${select(
  'verification_type',
  t('list.type'),
  VERIFICATION_TYPES.map((v) => [v, t(`type.${v}`)]),
  w.verificationType,
)}
${input('min_age', t('detail.min_age'), { type: 'number', value: String(w.minAge), required: true, hint: t('workflows.min_age_hint', { min: MIN_AGE, max: MAX_AGE }) })}
${input('age_buffer', t('workflows.age_buffer'), { type: 'number', value: String(w.ageBuffer), required: true, hint: t('workflows.age_buffer_hint', { max: MAX_AGE_BUFFER }) })}
${checkbox('require_selfie', t('workflows.require_selfie'), w.requireSelfie)}
<fieldset><legend>${h(t('workflows.documents'))}</legend><p class="hint">${h(t('workflows.documents_hint'))}</p>${docs}</fieldset>
${input('countries', t('workflows.countries'), { value: (w.acceptedCountries ?? []).join(' '), hint: t('workflows.countries_hint') })}
${input('time_to_live', t('workflows.time_to_live'), { value: w.timeToLive ?? '', hint: t('workflows.time_to_live_hint') })}
${input('max_attempts', t('workflows.max_attempts'), { type: 'number', value: String(w.retryPolicy.maxAttempts), required: true, hint: t('workflows.max_attempts_hint', { max: MAX_ATTEMPTS_LIMIT }) })}
<fieldset><legend>${h(t('workflows.retry_on'))}</legend>${retry}</fieldset>
${checkbox('is_default', t('workflows.is_default'), isDefault)}
<button type="submit">${h(t('workflows.save'))}</button></form>`
}

export async function workflowRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console

  async function listPage(req: FastifyRequest, reply: FastifyReply, message = '', status = 200) {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const { workflows, defaultId } = await workflowsOf(deps, p.tenant.id)
    const list =
      workflows.length === 0
        ? `<p>${h(t('workflows.none'))}</p>`
        : table(
            t('workflows.title'),
            [
              t('workflows.name'),
              t('list.type'),
              t('detail.min_age'),
              t('workflows.default'),
              t('list.id'),
            ],
            workflows.map((w) => [
              `<a href="/console/workflows/${h(w.id)}">${h(w.name)}</a>`,
              h(t(`type.${w.verificationType}`)),
              h(String(w.minAge)),
              h(w.id === defaultId ? t('yes') : t('no')),
              `<code>${h(w.id)}</code>`,
            ]),
          )
    const body = `${message}${list}<p><a href="/console/workflows/new">${h(t('workflows.new'))}</a></p>`
    return send(req, reply, t('workflows.title'), body, status)
  }

  /** The edit (or new) page; `problem` re-shows what was sent with the wrong field named. */
  function editPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: UserPrincipal,
    target: Workflow | null,
    shown: WorkflowFields,
    isDefault: boolean,
    message = '',
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const action = target === null ? '/console/workflows/new' : `/console/workflows/${target.id}`
    const remove =
      target === null
        ? ''
        : `<h2>${h(t('workflows.delete'))}</h2><p>${h(t('workflows.delete_hint'))}</p><form method="post" action="/console/workflows/${h(target.id)}/delete">${csrfField(p)}<button type="submit">${h(t('workflows.delete'))}</button></form>`
    const title = target === null ? t('workflows.new') : target.name
    return send(
      req,
      reply,
      title,
      `${message}${workflowForm(t, p, action, shown, isDefault)}${remove}`,
      status,
    )
  }

  /** What the form sent, for showing it again next to the problem. */
  function sentBack(form: Form, base: WorkflowFields): WorkflowFields {
    const parsed = parseWorkflowForm({ ...form, name: form.name || base.name })
    return parsed.ok ? { ...base, ...parsed.fields } : base
  }

  app.get('/workflows', async (req, reply) => listPage(req, reply))

  app.get('/workflows/new', async (req, reply) => {
    const p = userOf(req, 'developers')
    return editPage(req, reply, p, null, createWorkflowDefaults(), false)
  })

  app.post('/workflows/new', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const parsed = parseWorkflowForm(formOf(req))
    if (!parsed.ok) {
      const shown = sentBack(formOf(req), createWorkflowDefaults())
      const message = notice(t(parsed.problem), 'alert')
      return editPage(req, reply, p, null, shown, false, message, 400)
    }
    const created = await createWorkflow(deps, p.tenant.id, parsed.name, parsed.fields)
    if (parsed.isDefault) await markDefault(deps, p.tenant.id, created.id, true)
    return listPage(req, reply, notice(t('workflows.created', { name: created.name })), 201)
  })

  app.get<{ Params: { id: string } }>('/workflows/:id', async (req, reply) => {
    const p = userOf(req, 'developers')
    const w = await found(p, req.params.id)
    if (w === null) return notFound(req, reply)
    const { defaultId } = await workflowsOf(deps, p.tenant.id)
    return editPage(req, reply, p, w, w, w.id === defaultId)
  })

  app.post<{ Params: { id: string } }>('/workflows/:id', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const w = await found(p, req.params.id)
    if (w === null) return notFound(req, reply)
    const parsed = parseWorkflowForm(formOf(req))
    if (!parsed.ok) {
      const message = notice(t(parsed.problem), 'alert')
      const { defaultId } = await workflowsOf(deps, p.tenant.id)
      return editPage(req, reply, p, w, sentBack(formOf(req), w), w.id === defaultId, message, 400)
    }
    const changed = await changeWorkflow(deps, p.tenant.id, w, parsed.fields)
    await markDefault(deps, p.tenant.id, w.id, parsed.isDefault)
    return editPage(req, reply, p, changed, changed, parsed.isDefault, notice(t('workflows.saved')))
  })

  app.post<{ Params: { id: string } }>('/workflows/:id/delete', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const w = await found(p, req.params.id)
    if (w === null) return notFound(req, reply)
    await removeWorkflow(deps, p.tenant.id, w.id)
    return listPage(req, reply, notice(t('workflows.deleted', { name: w.name })))
  })

  /** The tenant's workflow, or null for an unknown id and for another tenant's. */
  async function found(p: UserPrincipal, id: string): Promise<Workflow | null> {
    try {
      return await workflowOf(deps, p.tenant.id, id)
    } catch (err) {
      if (err instanceof DomainError && err.code === 'WORKFLOW_NOT_FOUND') return null
      throw err
    }
  }

  function notFound(req: FastifyRequest, reply: FastifyReply) {
    const t = translator(languageOf(req))
    return send(req, reply, t('workflows.title'), notice(t('workflows.not_found'), 'alert'), 404)
  }
}
