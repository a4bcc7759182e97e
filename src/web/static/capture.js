// The hosted page's capture steps: which document, each photo (camera or file), the reader's
// feedback, and the wait for the decision. page.js loads this module once the person has
// consented, and hands it what they share (`app`: the session state and the page's helpers).

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024
const POLL_MS = 2000
const SLOW_AFTER_MS = 60_000
const TWO_SIDED = ['id_card', 'drivers_license', 'residence_permit']
/** Cards whose back carries an MRZ (ICAO 9303-5 TD1); a licence's back has a PDF417 barcode. */
const MRZ_BACK = ['id_card', 'residence_permit']

/** Whether the browser lists a camera; when it cannot tell, the camera button finds out. */
async function hasCamera() {
  try {
    const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? []
    return devices.some((device) => device.kind === 'videoinput')
  } catch (err) {
    console.warn('could not list the cameras', err)
    return true
  }
}

/** Wires the capture steps to the page; resolves to what page.js calls. */
export async function install(app) {
  const { t, h, button, screen, cancelLink, spinner, announce, messages, base, main } = app
  const cameraSupported = Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)
  const cameraFound = await hasCamera()
  // A phone with a camera starts each photo in the viewfinder, as does any device once its
  // camera has worked here; after a refusal the choice screen leads again.
  const phoneWithCamera = cameraFound && window.matchMedia('(pointer: coarse)').matches
  const cameraFirst = () =>
    cameraSupported && (app.cameraWorks === true || (app.cameraWorks !== false && phoneWithCamera))
  // A computer (a fine pointer and no touch screen) is offered the move to a phone, as is a
  // browser without a camera or whose camera was refused; the phone that took over is not.
  const computer =
    window.matchMedia('(pointer: fine)').matches && !window.matchMedia('(pointer: coarse)').matches
  const offersPhone = () =>
    !app.boot.handedOff && (computer || !cameraFound || app.cameraWorks === false)

  /** The document the person said they will show (null: not asked, or not yet). */
  const declared = () => app.state.declaredDocument

  /** Why the person is asked again after a rejection they can fix, with the attempt count. */
  function retryNote() {
    const { state } = app
    if (!state.retryBecause) return null
    const { number, max } = state.attempt
    return `${t(`retry.${state.retryBecause}`)} ${t('retry.attempt', { n: number, total: max })}`
  }

  /** The next missing image, or processing once nothing is missing. */
  function next(note = null, problem = null) {
    const { state } = app
    if (problem === true) problem = retryNote()
    const kind = state.missingImages[0]
    if (kind === undefined) return showProcessing(note)
    // Which document first, when there is a choice: a passport needs only its photo page, a
    // card both sides, and a passport photo the reader cannot use must be retaken, not followed
    // by a request for a back it does not have.
    if (kind === 'document_front' && declared() === null && canChoose()) {
      return showDocumentChoice(note, problem)
    }
    return showCapture(kind, note, problem)
  }

  /** The document can be chosen (or changed) while its first photo is not in. */
  function canChoose() {
    const { state } = app
    return state.documentChoices.length > 1 && !state.doneImages.includes('document_front')
  }

  function showDocumentChoice(note = null, problem = null) {
    app.resume = () => showDocumentChoice(note, problem)
    app.enter('choose')
    const { state } = app
    screen(
      t('choose.title'),
      [
        note ? h('p', { class: 'note', role: 'status' }, note) : null,
        problem ? h('p', { class: 'feedback', role: 'alert' }, problem) : null,
        h('p', { id: 'choose-hint' }, t('choose.hint')),
        h(
          'div',
          { class: 'choices', role: 'group', 'aria-labelledby': 'choose-hint' },
          state.documentChoices.map((type) => {
            const choice = button(app.capitalized(app.documentName(type)), () => choose(type))
            if (type === declared()) choice.setAttribute('aria-current', 'true')
            return choice
          }),
        ),
        app.cancelLink(),
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
      return app.showError(t('error.network'), () => choose(type))
    }
    if (!res.ok) return app.refresh()
    app.state = await res.json()
    return next()
  }

  /** "Step n of m" over every photo this session needs, when it needs more than one. */
  function progressText() {
    const { doneImages, missingImages } = app.state
    // A card's back is asked for once its front is in: count it from the start.
    const backToCome =
      TWO_SIDED.includes(declared()) &&
      missingImages.includes('document_front') &&
      !missingImages.includes('document_back') &&
      !doneImages.includes('document_back')
    const total = doneImages.length + missingImages.length + (backToCome ? 1 : 0)
    return total > 1 ? t('step.progress', { n: doneImages.length + 1, total }) : null
  }

  /** The capture screen's title and hint: they name the chosen document and where to look. */
  function captureTitle(kind) {
    const side = kind === 'document_front' ? 'front' : 'back'
    const named = `capture.${side}.${declared()}.title`
    return kind !== 'selfie' && named in messages ? t(named) : t(`capture.${kind}.title`)
  }

  function captureHint(kind) {
    const type = declared()
    if (kind === 'document_front') {
      if (type === 'passport' || type === 'visa') return t(`capture.front.${type}.hint`)
      if (TWO_SIDED.includes(type)) return t('capture.front.card.hint')
    }
    if (kind === 'document_back' && TWO_SIDED.includes(type)) {
      return t(MRZ_BACK.includes(type) ? 'capture.back.mrz.hint' : 'capture.back.barcode.hint')
    }
    return t(`capture.${kind}.hint`)
  }

  /** "Change document", on the document's first side while it is not in. */
  function changeDocument(kind) {
    if (kind !== 'document_front' || !canChoose()) return null
    return h(
      'button',
      { type: 'button', class: 'link-button', onclick: () => showDocumentChoice() },
      t('capture.change_document'),
    )
  }

  function showCapture(kind, note = null, problem = null, { manual = false } = {}) {
    app.resume = () => showCapture(kind, null, null, { manual: true })
    app.enter(kind)
    // The viewfinder first where the camera is the way (the file stays one tap away there).
    if (!manual && problem === null && cameraFirst()) {
      return openCamera(kind, note)
    }
    // After a refused camera the upload leads, and the camera can still be tried again.
    const camera = cameraSupported && problem !== 'camera'
    // Without a camera the phone leads; otherwise it comes after this device's own ways.
    const phoneLeads = offersPhone() && !cameraFound
    const phone = offersPhone() && button(t('capture.handoff'), () => handOff(), phoneLeads)
    screen(
      captureTitle(kind),
      [
        note ? h('p', { class: 'accepted' }, note) : null,
        typeof problem === 'string' && problem !== 'camera'
          ? h('p', { class: 'feedback', role: 'alert' }, problem)
          : null,
        h('p', {}, captureHint(kind)),
        kind === 'selfie' ? null : h('p', { class: 'muted' }, t('capture.tips')),
        h(
          'div',
          { class: 'actions' },
          phoneLeads && phone,
          camera ? button(t('capture.use_camera'), () => openCamera(kind), !phoneLeads) : null,
          button(t('capture.upload'), () => pickFile(kind), !camera && !phoneLeads),
          cameraSupported && !camera
            ? button(t('capture.use_camera'), () => openCamera(kind))
            : null,
          !phoneLeads && phone,
        ),
        h('p', { class: 'muted' }, t('capture.upload_hint')),
        changeDocument(kind),
        cancelLink(),
      ],
      progressText(),
    )
    if (note) announce(note)
  }

  let camera = null
  /** camera.js (viewfinder, live checks, review), fetched as soon as capture starts. */
  function loadCamera() {
    camera ??= import(app.boot.cameraScript).then((module) =>
      module.install(app, {
        send,
        showCapture,
        pickFile,
        captureTitle,
        captureHint,
        progressText,
        declared,
      }),
    )
    return camera
  }
  if (cameraSupported) loadCamera().catch(() => (camera = null))

  async function openCamera(kind, note = null) {
    try {
      return (await loadCamera()).open(kind, note)
    } catch {
      camera = null
      return app.showError(t('error.network'), () => openCamera(kind, note))
    }
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
      return app.showError(t('error.network'), () => send(kind, blob, source))
    }
    if (!res.ok) return failed(res, kind, source, () => send(kind, blob, source))
    const reply = await res.json()
    app.state = {
      ...app.state,
      status: reply.status,
      missingImages: reply.missingImages,
      doneImages: reply.doneImages,
    }
    if (reply.feedback === 'ok')
      return reply.complete ? showProcessing(t('feedback.ok')) : next(t('feedback.ok'))
    const said = messages[`feedback.${reply.feedback}`]
      ? t(`feedback.${reply.feedback}`)
      : reply.message
    if (app.state.missingImages.includes(kind)) return showRetake(kind, said, source, preview())
    // Counted after several tries: the decision will say what it could read.
    app.resume = () => next()
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
    app.resume = () => showRetake(kind, said, source, null)
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
        h('p', { class: 'muted' }, captureHint(kind)),
        h('div', { class: 'actions' }, retake, other),
        changeDocument(kind),
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
    if (res.status === 429) return app.showError(t('error.rate_limited'), retry)
    if (code === 'BIOMETRIC_CONSENT_REQUIRED') return app.askFaceConsent()
    if (res.status >= 500) return app.showError(t('error.unexpected'), retry)
    // Processing, decided, expired or cancelled meanwhile: show where the session is now.
    return app.refresh()
  }

  /** What is being checked: after a selfie, the face (against the document, if there is one). */
  function processingTitle() {
    const { doneImages, verificationType } = app.state
    if (!doneImages.includes('selfie')) return t('processing.title')
    if (verificationType !== 'age_estimation') return t('processing.title.face')
    return doneImages.includes('document_front')
      ? t('processing.title')
      : t('processing.title.selfie')
  }

  function showProcessing(note = null) {
    app.resume = () => showProcessing()
    const title = processingTitle()
    const body = h('p', {}, t('processing.body'))
    screen(title, [note ? h('p', { class: 'accepted' }, note) : null, spinner(), body])
    main.setAttribute('aria-busy', 'true')
    announce(note ? `${note} ${title}` : title)
    const started = Date.now()
    let slow = false
    const poll = async () => {
      const fresh = await app.loadState()
      if (fresh !== null) {
        app.state = fresh
        if (fresh.finish) return app.finish(true)
        // A new attempt after a rejection the person can fix: say why, ask again (on the phone,
        // when the person moved there: this page goes on following it).
        if (fresh.status !== 'processing' && fresh.missingImages.length > 0) {
          return app.handingOff ? handOff() : next(null, retryNote())
        }
      }
      if (!slow && Date.now() - started > SLOW_AFTER_MS) {
        slow = true
        body.textContent = t('processing.slow')
        announce(t('processing.slow'))
      }
      app.pollTimer = window.setTimeout(poll, POLL_MS)
    }
    app.pollTimer = window.setTimeout(poll, POLL_MS)
  }

  let handoff = null
  /** The code and link for a phone, in handoff.js (fetched the first time it is chosen). */
  async function handOff() {
    let module
    try {
      module = await (handoff ??= import(app.boot.handoffScript))
    } catch (err) {
      handoff = null
      console.warn('could not load the phone handoff', err)
      return app.showError(t('error.network'), handOff)
    }
    module.showHandoff(app, { next, showProcessing, progressText, retryNote })
  }

  /** A step reached by Back, Forward or a reload, as far as the session still allows it. */
  function goTo(step) {
    const { state } = app
    if (state.status === 'processing' || state.missingImages.length === 0) {
      return showProcessing()
    }
    if (step === 'intro') return state.doneImages.length > 0 ? showDone(step) : app.showIntro()
    if (step === 'choose') return canChoose() ? showDocumentChoice() : showDone(step)
    if (!state.missingImages.includes(step)) return showDone(step)
    // The photos were being taken on a phone: back to following it.
    return app.place().handoff === true ? handOff() : next()
  }

  /** A step already done: it says so and leads on to what is missing. */
  function showDone(step) {
    const title =
      step === 'intro'
        ? app.introTitle()
        : step === 'choose'
          ? t('choose.title')
          : captureTitle(step)
    app.resume = () => showDone(step)
    app.enter(step)
    screen(title, [
      h('p', { class: 'accepted' }, t('flow.step_done')),
      h(
        'div',
        { class: 'actions' },
        button(t('feedback.continue'), () => next(), true),
      ),
      cancelLink(),
    ])
  }

  return { next, showDocumentChoice, showProcessing, goTo }
}
