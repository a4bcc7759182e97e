// Loom's hosted page: the steps of one verification session, in plain JavaScript served by Loom
// itself (no CDN, no bundler; the CSP allows this file and nothing inline). The server holds the
// state: after every action the page asks it, and follows what it says is still missing.

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024
const POLL_MS = 2000
const SLOW_AFTER_MS = 60_000

const boot = JSON.parse(document.getElementById('loom-boot').textContent)
const messages = boot.messages
const base = boot.base
/** The parent origin the server verified against the session; null when not embedded. */
const embedOrigin = boot.embedOrigin
const embedded = embedOrigin !== null && window.parent !== window
let state = boot.state

const main = document.getElementById('main')
const live = document.getElementById('live')
const cameraSupported = Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)
let stream = null
let pollTimer = 0
/** Redraws the screen the person was on (the Cancel dialog's "No, continue"). */
let resume = () => route(false)

/** A message in the page's language, with {tenant} and other {names} filled in. */
function t(key, vars = {}) {
  const text = messages[key] ?? key
  const all = { tenant: state.tenant.name, ...vars }
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
  window.clearTimeout(pollTimer)
  main.removeAttribute('aria-busy')
  main.className = ''
  const heading = h(
    'h1',
    { tabindex: '-1' },
    progress ? h('span', { class: 'progress' }, progress, h('br')) : null,
    title,
  )
  main.replaceChildren(heading, ...parts.filter(Boolean))
  document.title = `${title} – ${state.tenant.name}`
  heading.focus()
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

// ---- steps ---------------------------------------------------------------------------------

function showIntro() {
  resume = showIntro
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
  const label = h(
    'label',
    { class: 'consent', for: 'consent' },
    box,
    h('span', {}, t(identity ? 'intro.consent.identity' : 'intro.consent.age')),
  )
  const error = h('p', { id: 'consent-error', class: 'error' })
  box.addEventListener('change', () => {
    if (!box.checked) return
    label.classList.remove('invalid')
    box.removeAttribute('aria-invalid')
    error.textContent = ''
  })
  const start = () => {
    if (!box.checked) {
      label.classList.add('invalid')
      box.setAttribute('aria-invalid', 'true')
      error.textContent = t('intro.consent_required')
      box.focus()
      return
    }
    next()
  }
  screen(t(identity ? 'intro.title.identity' : 'intro.title.age'), [
    h('p', {}, t('intro.lead')),
    h(
      'ol',
      { class: 'steps' },
      steps.filter(Boolean).map((s) => h('li', {}, s)),
    ),
    h('p', { class: 'muted' }, t('intro.no_camera')),
    h('p', { class: 'muted' }, t('intro.privacy')),
    label,
    error,
    h('div', { class: 'actions' }, button(t('intro.start'), start, true)),
    cancelLink(),
  ])
}

const TWO_SIDED = ['id_card', 'drivers_license', 'residence_permit']

/** What the intro says about the document: the workflow's accepted types, when it names them. */
function documentSteps(accepted) {
  if (!Array.isArray(accepted) || accepted.length === 0) {
    return [t('intro.step.document'), t('intro.step.document_back')]
  }
  const names = accepted.map((type) => messages[`document.${type}`] ?? type)
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

/** Why the person is asked again after a rejection they can fix, with the attempt count. */
function retryNote() {
  if (!state.retryBecause) return null
  const { number, max } = state.attempt
  return `${t(`retry.${state.retryBecause}`)} ${t('retry.attempt', { n: number, total: max })}`
}

/** The next missing image, or processing once nothing is missing. */
function next(note = null, problem = null) {
  const kind = state.missingImages[0]
  if (kind === undefined) return showProcessing(note)
  // Which document first, when there is a choice: a passport needs only its photo page, a card
  // both sides, and a passport photo the reader cannot use must be retaken, not followed by a
  // request for a back it does not have.
  if (
    kind === 'document_front' &&
    state.declaredDocument === null &&
    state.documentChoices.length > 1 &&
    !state.doneImages.includes('document_front')
  ) {
    return showDocumentChoice(note, problem)
  }
  return showCapture(kind, note, problem)
}

function showDocumentChoice(note = null, problem = null) {
  resume = () => showDocumentChoice(note, problem)
  screen(
    t('choose.title'),
    [
      note ? h('p', { class: 'note', role: 'status' }, note) : null,
      problem ? h('p', { class: 'feedback', role: 'alert' }, problem) : null,
      h('p', { id: 'choose-hint' }, t('choose.hint')),
      h(
        'div',
        { class: 'choices', role: 'group', 'aria-labelledby': 'choose-hint' },
        state.documentChoices.map((type) =>
          button(capitalized(messages[`document.${type}`] ?? type), () => choose(type)),
        ),
      ),
      cancelLink(),
    ],
    progressText(),
  )
}

async function choose(type) {
  let res
  try {
    res = await fetch(`${base}/document`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type }),
      cache: 'no-store',
    })
  } catch {
    return showError(t('error.network'), () => choose(type))
  }
  if (!res.ok) return refresh()
  state = await res.json()
  return next()
}

function capitalized(text) {
  return text.charAt(0).toLocaleUpperCase(boot.language) + text.slice(1)
}

function progressText() {
  const total = state.doneImages.length + state.missingImages.length
  return total > 1 ? t('step.progress', { n: state.doneImages.length + 1, total }) : null
}

function showCapture(kind, note = null, problem = null) {
  resume = () => showCapture(kind)
  // After a refused camera the upload leads, and the camera can still be tried again.
  const camera = cameraSupported && problem !== 'camera'
  screen(
    t(`capture.${kind}.title`),
    [
      note ? h('p', { class: 'accepted' }, note) : null,
      typeof problem === 'string' && problem !== 'camera'
        ? h('p', { class: 'feedback', role: 'alert' }, problem)
        : null,
      h('p', {}, t(`capture.${kind}.hint`)),
      kind === 'selfie' ? null : h('p', { class: 'muted' }, t('capture.tips')),
      h(
        'div',
        { class: 'actions' },
        camera ? button(t('capture.use_camera'), () => openCamera(kind), true) : null,
        button(t('capture.upload'), () => pickFile(kind), !camera),
        cameraSupported && !camera ? button(t('capture.use_camera'), () => openCamera(kind)) : null,
      ),
      h('p', { class: 'muted' }, t('capture.upload_hint')),
      cancelLink(),
    ],
    progressText(),
  )
  if (note) announce(note)
}

async function openCamera(kind) {
  const selfie = kind === 'selfie'
  const video = h('video', {
    playsinline: true,
    muted: true,
    autoplay: true,
    'aria-label': t('camera.video_label'),
  })
  const status = h('p', { class: 'muted' }, t('camera.starting'))
  const shoot = h(
    'button',
    { type: 'button', class: 'button primary', disabled: true, 'aria-describedby': 'camera-hint' },
    t('camera.shoot'),
  )
  screen(
    t(selfie ? 'camera.title.selfie' : 'camera.title.document'),
    [
      h(
        'div',
        { class: selfie ? 'viewfinder selfie' : 'viewfinder' },
        video,
        h('div', { class: 'guide', 'aria-hidden': 'true' }),
      ),
      status,
      h('p', { class: 'visually-hidden', id: 'camera-hint' }, t(`capture.${kind}.hint`)),
      h(
        'div',
        { class: 'actions' },
        shoot,
        button(t('camera.back'), () => showCapture(kind)),
      ),
    ],
    progressText(),
  )
  let opened
  try {
    opened = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        facingMode: { ideal: selfie ? 'user' : 'environment' },
        width: { ideal: 1920 },
        height: { ideal: 1440 },
      },
    })
  } catch (err) {
    const denied = err && (err.name === 'NotAllowedError' || err.name === 'SecurityError')
    showCapture(kind, null, 'camera')
    const message = t(denied ? 'camera.denied' : 'camera.unavailable')
    main.querySelector('h1').after(h('p', { class: 'feedback', role: 'alert' }, message))
    return
  }
  if (!main.contains(video)) {
    for (const track of opened.getTracks()) track.stop()
    return
  }
  stream = opened
  video.srcObject = stream
  await video.play().catch(() => undefined)
  if (video.videoWidth === 0) {
    await new Promise((resolve) =>
      video.addEventListener('loadedmetadata', resolve, { once: true }),
    )
  }
  // The viewfinder shows the whole frame that will be sent, so the guide means what it says.
  const viewfinder = video.parentElement
  const ratio = video.videoWidth / video.videoHeight
  viewfinder.style.setProperty('aspect-ratio', `${video.videoWidth} / ${video.videoHeight}`)
  viewfinder.style.setProperty('max-width', `calc(62vh * ${ratio.toFixed(4)})`)
  shoot.disabled = false
  status.textContent = t('camera.ready')
  announce(t('camera.ready'))
  shoot.addEventListener('click', async () => {
    shoot.disabled = true
    const blob = await grab(video)
    stopCamera()
    if (blob) await send(kind, blob, 'camera')
  })
}

function stopCamera() {
  if (stream === null) return
  for (const track of stream.getTracks()) track.stop()
  stream = null
}

/** The current video frame as a JPEG, at the camera's full resolution. */
function grab(video) {
  const canvas = document.createElement('canvas')
  canvas.width = video.videoWidth
  canvas.height = video.videoHeight
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height)
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92))
}

function pickFile(kind) {
  const input = h('input', {
    type: 'file',
    accept: 'image/*,application/pdf',
    class: 'visually-hidden',
    tabindex: '-1',
    'aria-hidden': 'true',
  })
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0]
    input.remove()
    if (file) await send(kind, await fitForUpload(file), 'file')
  })
  input.addEventListener('cancel', () => input.remove())
  document.body.append(input)
  input.click()
}

/** A photo over the upload limit is scaled down here when the browser can decode it. */
async function fitForUpload(file) {
  if (file.size <= MAX_UPLOAD_BYTES || !file.type.startsWith('image/')) return file
  try {
    const bitmap = await createImageBitmap(file)
    const scale = Math.min(1, 3000 / Math.max(bitmap.width, bitmap.height))
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(bitmap.width * scale)
    canvas.height = Math.round(bitmap.height * scale)
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    const smaller = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9))
    return smaller ?? file
  } catch (err) {
    // Not decodable here (the server says what is wrong with it).
    console.warn('could not scale the photo down', err)
    return file
  }
}

/** Uploads one photo at once and shows what the reader said about it. */
async function send(kind, blob, source) {
  const previewUrl = URL.createObjectURL(blob)
  const preview = () => {
    const img = h('img', { class: 'preview', src: previewUrl, alt: t('check.preview_alt') })
    img.addEventListener('error', () => img.remove())
    return img
  }
  screen(t('check.title'), [preview(), spinner()], progressText())
  main.setAttribute('aria-busy', 'true')
  announce(t('check.title'))
  let res
  try {
    res = await fetch(`${base}/images/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob,
      cache: 'no-store',
    })
  } catch {
    return showError(t('error.network'), () => send(kind, blob, source))
  }
  if (!res.ok) return failed(res, kind, source, () => send(kind, blob, source))
  const reply = await res.json()
  state = {
    ...state,
    status: reply.status,
    missingImages: reply.missingImages,
    doneImages: reply.doneImages,
  }
  if (reply.feedback === 'ok')
    return reply.complete ? showProcessing(t('feedback.ok')) : next(t('feedback.ok'))
  const said = messages[`feedback.${reply.feedback}`]
    ? t(`feedback.${reply.feedback}`)
    : reply.message
  if (state.missingImages.includes(kind)) return showRetake(kind, said, source, preview())
  // Counted after several tries: the decision will say what it could read.
  resume = () => next()
  screen(t('feedback.accepted_title'), [
    preview(),
    h('p', { class: 'feedback', role: 'alert' }, said),
    h('p', {}, t('feedback.accepted_anyway')),
    h(
      'div',
      { class: 'actions' },
      button(t('feedback.continue'), () => next(), true),
    ),
  ])
}

/** Feedback on a photo, a Retake button (same way as before) and the other way. */
function showRetake(kind, said, source, preview = null) {
  resume = () => showRetake(kind, said, source, null)
  const viaCamera = cameraSupported && source === 'camera'
  const retake = button(
    t('feedback.retake'),
    () => (viaCamera ? openCamera(kind) : pickFile(kind)),
    true,
  )
  const other = viaCamera
    ? button(t('feedback.upload_instead'), () => pickFile(kind))
    : cameraSupported
      ? button(t('feedback.take_instead'), () => openCamera(kind))
      : null
  screen(
    t('feedback.title'),
    [
      preview,
      h('p', { class: 'feedback', role: 'alert' }, said),
      h('p', { class: 'muted' }, t(`capture.${kind}.hint`)),
      h('div', { class: 'actions' }, retake, other),
      cancelLink(),
    ],
    progressText(),
  )
}

/** An upload the server refused: say why in plain words, or follow the session if it moved on. */
async function failed(res, kind, source, retry) {
  const body = await res.json().catch(() => ({}))
  const code = (body && body.error && body.error.code) || ''
  if (res.status === 413 || code === 'DOCUMENT_TOO_LARGE') {
    return showRetake(kind, t('error.too_large'), source)
  }
  if (code === 'DOCUMENT_INVALID_FORMAT' || code === 'INVALID_REQUEST_BODY') {
    return showRetake(kind, t('error.invalid_file'), source)
  }
  if (res.status === 429) return showError(t('error.rate_limited'), retry)
  if (res.status >= 500) return showError(t('error.unexpected'), retry)
  // Processing, decided, expired or cancelled meanwhile: show where the session is now.
  return refresh()
}

function showError(text, retry) {
  resume = () => showError(text, retry)
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
  state = fresh
  return route(true)
}

function route(fresh) {
  if (state.finish) return finish(fresh)
  if (state.status === 'processing' || state.missingImages.length === 0) return showProcessing()
  return next()
}

function showProcessing(note = null) {
  resume = () => showProcessing()
  const body = h('p', {}, t('processing.body'))
  screen(t('processing.title'), [
    note ? h('p', { class: 'accepted' }, note) : null,
    spinner(),
    body,
  ])
  main.setAttribute('aria-busy', 'true')
  announce(note ? `${note} ${t('processing.title')}` : t('processing.title'))
  const started = Date.now()
  let slow = false
  const poll = async () => {
    const fresh = await loadState()
    if (fresh !== null) {
      state = fresh
      if (state.finish) return finish(true)
      // A new attempt after a rejection the person can fix: say why, ask again.
      if (state.status !== 'processing' && state.missingImages.length > 0) {
        return next(null, retryNote())
      }
    }
    if (!slow && Date.now() - started > SLOW_AFTER_MS) {
      slow = true
      body.textContent = t('processing.slow')
      announce(t('processing.slow'))
    }
    pollTimer = window.setTimeout(poll, POLL_MS)
  }
  pollTimer = window.setTimeout(poll, POLL_MS)
}

function confirmCancel() {
  const back = resume
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
  state = await res.json()
  return finish(true)
}

/**
 * The session has ended: an embedding page is told (only at the origin the server verified);
 * a fresh end sends the person to the tenant's redirect URL, if it gave one.
 */
function finish(fresh) {
  const end = state.finish
  if (embedded) {
    window.parent.postMessage(
      {
        type: 'loom:complete',
        sessionId: end.sessionId,
        status: end.status,
        reason: end.reason,
        state: end.state,
      },
      embedOrigin,
    )
  }
  if (!embedded && fresh && end.redirectUrl) {
    screen(t('outcome.redirecting'), [
      spinner(),
      h('p', {}, h('a', { href: end.redirectUrl }, t('outcome.continue'))),
    ])
    window.location.assign(end.redirectUrl)
    return
  }
  showOutcome()
}

const OUTCOME_ICONS = {
  approved: '✓',
  review: '✓',
  rejected: '!',
  abandoned: '×',
  expired: '!',
  failed: '!',
}

function showOutcome() {
  const status = state.status in OUTCOME_ICONS ? state.status : 'failed'
  const good = status === 'approved' || status === 'review'
  const body =
    status === 'rejected' && state.rejectedBecause
      ? t(`outcome.rejected.${state.rejectedBecause}`)
      : t(`outcome.${status}.body`)
  const end = state.finish
  const usedAll =
    status === 'rejected' && state.rejectedBecause && state.attempt && state.attempt.max > 1
  screen(t(`outcome.${status}.title`), [
    h('p', { class: 'muted' }, body),
    usedAll
      ? h('p', { class: 'muted' }, t('outcome.attempts_used', { max: state.attempt.max }))
      : null,
    !embedded && end && end.redirectUrl
      ? h(
          'p',
          {},
          h('a', { class: 'button primary', href: end.redirectUrl }, t('outcome.continue')),
        )
      : h('p', { class: 'muted' }, t('outcome.close')),
  ])
  main.classList.add('outcome', good ? 'outcome-ok' : 'outcome-problem')
  main.prepend(h('div', { class: 'outcome-icon', 'aria-hidden': 'true' }, OUTCOME_ICONS[status]))
}

// ---- start ---------------------------------------------------------------------------------

if (state.finish) {
  finish(false)
} else {
  // Tell the server the person is here (pending → in_progress), and start from where they are.
  void loadState().then((fresh) => {
    if (fresh !== null) state = fresh
    if (state.finish) finish(false)
    else if (state.status === 'processing') showProcessing()
    else if (state.doneImages.length > 0 || state.retryBecause) next(null, retryNote())
    else showIntro()
  })
}
