// Loom's hosted page: the steps of one verification session, in plain JavaScript served by Loom
// itself (no CDN, no bundler; the CSP allows this file and nothing inline). The server holds the
// state: after every action the page asks it, and follows what it says is still missing.
//
// This module draws what a person sees first (the intro, the end, Cancel) and keeps their place:
// each step is a history entry (Back and Forward move between steps, not out of the flow) and
// the step and consent are kept per link in sessionStorage (a reload or a language switch comes
// back to the same step). The capture steps live in capture.js, fetched once consent is given;
// the consent to the face check is in consent.js.

import { askFaceConsentAgain, faceConsent } from './consent.js'
import { showOutcome } from './outcome.js'

const boot = JSON.parse(document.getElementById('loom-boot').textContent)
const messages = boot.messages
const base = boot.base
/** The parent origin the server verified against the session; null when not embedded. */
const embedOrigin = boot.embedOrigin
const embedded = embedOrigin !== null && window.parent !== window
const main = document.getElementById('main')
const live = document.getElementById('live')

/** What capture.js and handoff.js share with this module: the session, the helpers, the screen. */
const app = {
  boot,
  messages,
  base,
  embedded,
  main,
  state: boot.state,
  /** The camera stream while the viewfinder is open. */
  stream: null,
  pollTimer: 0,
  /** The person chose to take the photos on a phone: this page follows it (handoff.js). */
  handingOff: false,
  /** Redraws the screen the person was on (the Cancel dialog's "No, continue"). */
  resume: () => route(false),
  t,
  h,
  button,
  announce,
  screen,
  cancelLink,
  spinner,
  enter,
  showError,
  showIntro,
  askFaceConsent: () => askFaceConsentAgain(app, keep),
  introTitle,
  refresh,
  loadState,
  finish,
  stopCamera,
  capitalized,
  documentName,
  /** This link's saved place (step, consent, a handoff to a phone), kept across a reload. */
  place: () => place(),
  keep: (patch) => keep(patch),
}

/** A message in the page's language, with {tenant} and other {names} filled in. */
function t(key, vars = {}) {
  const text = messages[key] ?? key
  const all = { tenant: app.state.tenant.name, ...vars }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in all ? String(all[name]) : whole))
}

/** Builds an element: attributes (`on…` are listeners, `text` is the text) and children. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child)
  }
  return el
}

function button(label, onclick, primary = false) {
  return h(
    'button',
    { type: 'button', class: primary ? 'button primary' : 'button', onclick },
    label,
  )
}

/** Says something to screen readers without moving focus. */
function announce(text) {
  live.textContent = ''
  window.setTimeout(() => {
    live.textContent = text
  }, 80)
}

/** Replaces the screen: stops the camera and polling, sets the title, focuses the heading. */
function screen(title, parts, progress = null) {
  stopCamera()
  window.clearTimeout(app.pollTimer)
  main.removeAttribute('aria-busy')
  main.className = ''
  const heading = h(
    'h1',
    { tabindex: '-1' },
    progress ? h('span', { class: 'progress' }, progress, h('br')) : null,
    title,
  )
  main.replaceChildren(heading, ...parts.filter(Boolean))
  document.title = `${title} – ${app.state.tenant.name}`
  heading.focus()
}

function stopCamera() {
  if (app.stream === null) return
  for (const track of app.stream.getTracks()) track.stop()
  app.stream = null
}

function cancelLink() {
  return h(
    'button',
    { type: 'button', class: 'link-button', onclick: confirmCancel },
    t('page.cancel'),
  )
}

function spinner() {
  return h('div', { class: 'spinner', 'aria-hidden': 'true' })
}

function capitalized(text) {
  return text.charAt(0).toLocaleUpperCase(boot.language) + text.slice(1)
}

function documentName(type) {
  return messages[`document.${type}`] ?? type
}

// ---- where the person is -------------------------------------------------------------------

/** This link's saved place; the key is the link, so two sessions in one tab do not mix. */
const placeKey = `loom:${base}`
const storage = (() => {
  // Storage may be refused (blocked cookies, some private modes): the flow still works, it
  // only starts again at the intro after a reload.
  try {
    return window.sessionStorage
  } catch (err) {
    console.warn('sessionStorage is not available', err)
    return null
  }
})()

function place() {
  const text = storage?.getItem(placeKey)
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch (err) {
    console.warn('ignoring a damaged saved place', err)
    return {}
  }
}

function keep(patch) {
  storage?.setItem(placeKey, JSON.stringify({ ...place(), ...patch }))
}

/** True while a history move redraws a step: it replaces the entry instead of adding one. */
let travelling = false

/**
 * The person is at `step` ('intro', 'choose', or an image kind): saved for a reload, and a
 * history entry of its own so that Back returns to the step before.
 */
function enter(step) {
  // A step drawn here means the person takes the photos on this device again.
  app.handingOff = false
  keep({ step, handoff: false })
  const entry = { loom: step }
  const current = window.history.state
  if (current && current.loom === step) return
  if (travelling || !current || !current.loom) window.history.replaceState(entry, '')
  else window.history.pushState(entry, '')
}

/** Whether an image of this attempt is already in (steps before it cannot be redone). */
function started() {
  return app.state.doneImages.length > 0
}

/** Draws a step from history or the saved place (capture.js knows what is still allowed). */
async function goTo(step) {
  if (app.state.finish) return finish(false)
  if (step === 'intro' && !started()) return showIntro()
  const capture = await loadCapture()
  travelling = true
  try {
    capture.goTo(step)
  } finally {
    travelling = false
  }
}

window.addEventListener('popstate', (event) => {
  const step = event.state && event.state.loom
  if (typeof step === 'string') void goTo(step)
})

// A language link replaces this page (the saved place brings the person back to the same step)
// rather than adding a page that Back would have to step through.
for (const link of document.querySelectorAll('.languages a[href]')) {
  link.addEventListener('click', (event) => {
    event.preventDefault()
    window.location.replace(link.href)
  })
}

let capturing = null
/** capture.js, fetched once (as soon as consent is ticked, so Start does not wait for it). */
function loadCapture() {
  capturing ??= import(boot.captureScript).then((module) => module.install(app))
  return capturing
}

// ---- intro ---------------------------------------------------------------------------------

function introTitle() {
  const identity = app.state.verificationType === 'full_verification'
  return t(identity ? 'intro.title.identity' : 'intro.title.age')
}

function showIntro() {
  const { state } = app
  app.resume = showIntro
  enter('intro')
  const identity = state.verificationType === 'full_verification'
  const steps =
    state.verificationType === 'age_estimation'
      ? [t('intro.step.selfie_estimate')]
      : [
          ...documentSteps(state.acceptedDocumentTypes),
          state.requireSelfie ? t('intro.step.selfie') : null,
        ]
  const box = h('input', {
    type: 'checkbox',
    id: 'consent',
    'aria-describedby': 'consent-error',
  })
  box.checked = place().consent === true
  const label = h(
    'label',
    { class: 'consent', for: 'consent' },
    box,
    h('span', {}, t(identity ? 'intro.consent.identity' : 'intro.consent.age')),
  )
  const error = h('p', { id: 'consent-error', class: 'error' })
  const face = faceConsent(app, { place, keep })
  box.addEventListener('change', () => {
    keep({ consent: box.checked })
    if (!box.checked) return
    void loadCapture()
    label.classList.remove('invalid')
    box.removeAttribute('aria-invalid')
    error.textContent = ''
  })
  const start = async () => {
    if (!box.checked) {
      label.classList.add('invalid')
      box.setAttribute('aria-invalid', 'true')
      error.textContent = t('intro.consent_required')
      box.focus()
      return
    }
    if (face && !(await face.confirm(start))) return
    let capture
    try {
      capture = await loadCapture()
    } catch (err) {
      capturing = null
      console.warn('could not load the capture steps', err)
      return showError(t('error.network'), start)
    }
    capture.next()
  }
  screen(introTitle(), [
    h('p', {}, t('intro.lead')),
    h(
      'ol',
      { class: 'steps' },
      steps.filter(Boolean).map((s) => h('li', {}, s)),
    ),
    h('p', { class: 'muted' }, t('intro.no_camera')),
    h('p', { class: 'muted' }, t('intro.privacy')),
    privacyNotice(),
    label,
    error,
    face?.label,
    face?.error,
    h('div', { class: 'actions' }, button(t('intro.start'), start, true)),
    cancelLink(),
  ])
  if (box.checked) void loadCapture()
  return face
}

/** Who is responsible for the person's data, linked to how to reach them and their notice. */
function privacyNotice() {
  const { name, controllerName, controllerContactUrl, privacyNoticeUrl } = app.state.tenant
  const link = (href, text) =>
    h(
      'a',
      { href, target: '_blank', rel: 'noopener noreferrer' },
      text,
      h('span', { class: 'visually-hidden' }, ` ${t('intro.new_tab')}`),
    )
  const controller = controllerName || name
  const [before, after = ''] = t('intro.controller').split('{controller}')
  return h(
    'p',
    { class: 'muted privacy-notice' },
    before,
    controllerContactUrl ? link(controllerContactUrl, controller) : controller,
    after,
    privacyNoticeUrl ? [' ', link(privacyNoticeUrl, t('intro.privacy_notice'))] : null,
  )
}

const TWO_SIDED = ['id_card', 'drivers_license', 'residence_permit']

/** What the intro says about the document: the workflow's accepted types, when it names them. */
function documentSteps(accepted) {
  if (!Array.isArray(accepted) || accepted.length === 0) {
    return [t('intro.step.document'), t('intro.step.document_back')]
  }
  const names = accepted.map(documentName)
  const first =
    names.length === 1
      ? t('intro.step.document_one', { document: names[0] })
      : t('intro.step.document_any', { documents: listOf(names) })
  const back = accepted.some((type) => TWO_SIDED.includes(type))
  return [first, back ? t('intro.step.document_back') : null]
}

/** "a, b or c" in the page's language. */
function listOf(items) {
  if (typeof Intl === 'object' && 'ListFormat' in Intl) {
    return new Intl.ListFormat(boot.language, { type: 'disjunction' }).format(items)
  }
  return items.join(', ')
}

// ---- errors, state, cancel, end ------------------------------------------------------------

function showError(text, retry) {
  app.resume = () => showError(text, retry)
  screen(t('feedback.title'), [
    h('p', { class: 'feedback', role: 'alert' }, text),
    h('div', { class: 'actions' }, button(t('error.try_again'), retry, true)),
    cancelLink(),
  ])
}

/** Reads the session again and shows it; null after showing a problem. */
async function loadState() {
  let res
  try {
    res = await fetch(`${base}/state`, { cache: 'no-store' })
  } catch {
    return null
  }
  // An expired or withdrawn link: the server's own page explains it.
  if (res.status === 410 || res.status === 404) {
    window.location.reload()
    return null
  }
  if (!res.ok) return null
  return res.json()
}

async function refresh() {
  const fresh = await loadState()
  if (fresh === null) return showError(t('error.network'), refresh)
  app.state = fresh
  return route(true)
}

async function route(fresh) {
  if (app.state.finish) return finish(fresh)
  const capture = await loadCapture()
  const { state } = app
  if (state.status === 'processing' || state.missingImages.length === 0) {
    return capture.showProcessing()
  }
  return capture.next()
}

function confirmCancel() {
  const back = app.resume
  screen(t('cancel.title'), [
    h('p', {}, t('cancel.body')),
    h(
      'div',
      { class: 'actions' },
      button(t('cancel.confirm'), cancel, true),
      button(t('cancel.keep'), () => back()),
    ),
  ])
}

async function cancel() {
  let res
  try {
    res = await fetch(`${base}/cancel`, { method: 'POST', cache: 'no-store' })
  } catch {
    return showError(t('error.network'), cancel)
  }
  if (!res.ok) return refresh()
  app.state = await res.json()
  return finish(true)
}

/** Posts to the embedding page, only at the origin the server verified. */
function tellParent(message) {
  if (embedded) window.parent.postMessage(message, embedOrigin)
}

/**
 * The session has ended: an embedding page is told (only at the origin the server verified);
 * a fresh end sends the person to the tenant's redirect URL, if it gave one.
 */
function finish(fresh) {
  const end = app.state.finish
  storage?.removeItem(placeKey)
  tellParent({
    type: 'loom:complete',
    sessionId: end.sessionId,
    status: end.status,
    reason: end.reason,
    state: end.state,
  })
  // A phone that took over from a computer stays: the computer goes back to the tenant.
  if (!embedded && !boot.handedOff && fresh && end.redirectUrl) {
    screen(t('outcome.redirecting'), [
      spinner(),
      h('p', {}, h('a', { href: end.redirectUrl }, t('outcome.continue'))),
    ])
    window.location.assign(end.redirectUrl)
    return
  }
  showOutcome(app)
}

// ---- start ---------------------------------------------------------------------------------

if (embedded) {
  // The embedding script learns that the page runs (so it can tell a refused frame from a slow
  // one) and, for an inline frame, how tall the page is.
  tellParent({ type: 'loom:ready' })
  // Keys go to the frame that has focus: the embedding modal closes on Escape only if told.
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') tellParent({ type: 'loom:escape' })
  })
  // Embedded, the page is as tall as its content (page.css), which is the height it reports.
  document.documentElement.classList.add('embedded')
  let height = 0
  new window.ResizeObserver(() => {
    const now = Math.ceil(document.body.getBoundingClientRect().height)
    if (now === height) return
    height = now
    tellParent({ type: 'loom:resize', height })
  }).observe(document.body)
}

if (app.state.finish) {
  finish(false)
} else {
  // Tell the server the person is here (pending → in_progress), and start from where they are.
  void loadState().then(async (fresh) => {
    if (fresh !== null) app.state = fresh
    const { state } = app
    const step = (window.history.state && window.history.state.loom) || place().step
    if (state.finish) finish(false)
    else if (state.status === 'processing') (await loadCapture()).showProcessing()
    else if (state.retryBecause && !started()) (await loadCapture()).next(null, true)
    else if (typeof step === 'string') await goTo(step)
    else if (started()) (await loadCapture()).next()
    else showIntro()
  })
}
