// The camera step of the hosted page: a viewfinder with the chosen document's outline (or an oval
// for a selfie), live checks on the frames (is a document filling the outline, sharp, free of
// glare, lit well enough?), the photo taken by itself when the frame is good, and a look at the
// photo before it is sent. The checks run on the device, a small canvas a few times a second;
// they only guide: the server's reading of the photo stays the authority on whether it is usable.
// capture.js loads this module; the frame checks are plain functions, tested outside a browser.

/** Width over height of each document's outline: ICAO 9303 TD3 page, MRV-A visa, ID-1 card. */
const OUTLINE_RATIO = {
  passport: 125 / 88,
  visa: 120 / 80,
  id_card: 85.6 / 53.98,
  residence_permit: 85.6 / 53.98,
  drivers_license: 85.6 / 53.98,
}

export function outlineRatio(type) {
  return OUTLINE_RATIO[type] ?? OUTLINE_RATIO.id_card
}

/** The frame is sampled this wide (enough to see blur on a document that fills the outline). */
const SAMPLE_WIDTH = 640
const EVERY_MS = 200
/** Consecutive good frames before the photo is taken (about half a second of holding still). */
const GOOD_FRAMES = 3

/** A grey level step this large between neighbours of neighbours is a real edge, not noise. */
const EDGE_STEP = 24
/** Share of an outline side along which an edge must run to count as the document's border. */
const BORDER_SHARE = 0.55
/** The document's borders span less than this share of the outline: it is too far away. */
const TOO_FAR = 0.8
/** A border found this far outside the outline (share of its size): the document is too close. */
const TOO_CLOSE = 0.07
/** Share of saturated pixels inside the outline that is reported as glare. */
const GLARE_SHARE = 0.015
const DARK_MEAN = 45
/** Mean steepness of the document's strong edges below which the frame is called blurry. */
const SHARP_ENOUGH = 0.62

/**
 * What is wrong with a frame, or `good`: `dark`, `edges` (no document borders in the outline),
 * `too_far`, `too_close`, `glare` or `blurry`. `grey` is width×height luminance (0–255);
 * `outline` is the outline's box in those pixels ({ x0, y0, x1, y1 }).
 */
export function assessFrame(grey, width, height, outline) {
  const box = clampBox(outline, width, height)
  const inside = statsInside(grey, width, box)
  if (inside.mean < DARK_MEAN) return { verdict: 'dark' }
  const borders = findBorders(grey, width, height, box)
  const found = [borders.left, borders.right, borders.top, borders.bottom].filter((b) => b !== null)
  if (found.length < 3) return { verdict: 'edges', borders }
  const w = box.x1 - box.x0
  const h = box.y1 - box.y0
  const spanX = (borders.right ?? box.x1) - (borders.left ?? box.x0)
  const spanY = (borders.bottom ?? box.y1) - (borders.top ?? box.y0)
  if (spanX < TOO_FAR * w && spanY < TOO_FAR * h) return { verdict: 'too_far', borders }
  const outside = Math.max(
    borders.left === null ? 0 : (box.x0 - borders.left) / w,
    borders.right === null ? 0 : (borders.right - box.x1) / w,
    borders.top === null ? 0 : (box.y0 - borders.top) / h,
    borders.bottom === null ? 0 : (borders.bottom - box.y1) / h,
  )
  if (outside > TOO_CLOSE) return { verdict: 'too_close', borders }
  if (inside.saturated > GLARE_SHARE) return { verdict: 'glare', borders }
  const sharpness = steepness(grey, width, box)
  // No strong step at all inside a document's borders: its print is blurred away.
  if (sharpness === null || sharpness < SHARP_ENOUGH) {
    return { verdict: 'blurry', borders, sharpness }
  }
  return { verdict: 'good', borders, sharpness }
}

function clampBox({ x0, y0, x1, y1 }, width, height) {
  return {
    x0: Math.max(2, Math.round(x0)),
    y0: Math.max(2, Math.round(y0)),
    x1: Math.min(width - 3, Math.round(x1)),
    y1: Math.min(height - 3, Math.round(y1)),
  }
}

function statsInside(grey, width, box) {
  let sum = 0
  let saturated = 0
  let n = 0
  for (let y = box.y0; y < box.y1; y += 2) {
    for (let x = box.x0; x < box.x1; x += 2) {
      const v = grey[y * width + x]
      sum += v
      if (v >= 250) saturated++
      n++
    }
  }
  return { mean: sum / Math.max(1, n), saturated: saturated / Math.max(1, n) }
}

/**
 * The document's four borders near the outline's sides: for each column (row) near a side, the
 * share of the outline's height (width) along which a strong step runs within a few pixels of
 * it, so that a slightly turned document still counts. Text makes short steps; a border runs
 * along most of the side. The outermost qualifying line wins (the page's edge, not its print).
 */
function findBorders(grey, width, height, box) {
  const w = box.x1 - box.x0
  const h = box.y1 - box.y0
  const slack = Math.max(2, Math.round(Math.min(w, h) * 0.025))
  const rows = [Math.round(box.y0 + 0.1 * h), Math.round(box.y1 - 0.1 * h)]
  const cols = [Math.round(box.x0 + 0.1 * w), Math.round(box.x1 - 0.1 * w)]
  const vertical = (x, y) => Math.abs(grey[y * width + x + 2] - grey[y * width + x - 2])
  const horizontal = (x, y) => Math.abs(grey[(y + 2) * width + x] - grey[(y - 2) * width + x])
  const colShare = lineShares(width, 2, width - 3, rows, slack, (x, y) => vertical(x, y))
  const rowShare = lineShares(height, 2, height - 3, cols, slack, (y, x) => horizontal(x, y))
  const reach = (size) => Math.round(size * 0.15)
  const inward = (size) => Math.round(size * 0.32)
  return {
    left: outermost(colShare, box.x0 - reach(w), box.x0 + inward(w), -1, slack),
    right: outermost(colShare, box.x1 - inward(w), box.x1 + reach(w), 1, slack),
    top: outermost(rowShare, box.y0 - reach(h), box.y0 + inward(h), -1, slack),
    bottom: outermost(rowShare, box.y1 - inward(h), box.y1 + reach(h), 1, slack),
  }
}

/**
 * For each line position p in [from, to], the share of cross positions in `span` where a step
 * (step(p, q) ≥ EDGE_STEP) lies within `slack` of p.
 */
function lineShares(size, from, to, span, slack, step) {
  const shares = new Float32Array(size)
  const [q0, q1] = span
  const hits = new Uint8Array(size)
  const near = new Uint16Array(size)
  for (let q = q0; q < q1; q += 2) {
    hits.fill(0)
    for (let p = from; p <= to; p++) hits[p] = step(p, q) >= EDGE_STEP ? 1 : 0
    // A hit within `slack` of p, by a running window.
    let inWindow = 0
    for (let p = from; p <= Math.min(to, from + slack); p++) inWindow += hits[p]
    for (let p = from; p <= to; p++) {
      if (inWindow > 0) near[p]++
      const enter = p + slack + 1
      const leave = p - slack
      if (enter <= to) inWindow += hits[enter]
      if (leave >= from) inWindow -= hits[leave]
    }
  }
  const count = Math.ceil((q1 - q0) / 2)
  for (let p = 0; p < size; p++) shares[p] = near[p] / Math.max(1, count)
  return shares
}

/** The qualifying line farthest in `direction` (−1 towards 0, +1 away) within [from, to]. */
function outermost(shares, from, to, direction, slack) {
  const lo = Math.max(0, from)
  const hi = Math.min(shares.length - 1, to)
  // The first qualifying line is `slack` short of the step it sees: its window just reaches it.
  if (direction < 0) {
    for (let p = lo; p <= hi; p++) if (shares[p] >= BORDER_SHARE) return p + slack
  } else {
    for (let p = hi; p >= lo; p--) if (shares[p] >= BORDER_SHARE) return p - slack
  }
  return null
}

/**
 * How steep the document's strong edges are, whatever their contrast: at each strong step
 * across four pixels, the share of it taken within the middle two. About 1 for print in focus,
 * about 0.5 when blur spreads each edge over several pixels. Null when no print has a strong
 * step.
 */
function steepness(grey, width, box) {
  let total = 0
  let n = 0
  for (let y = box.y0; y < box.y1; y += 2) {
    const row = y * width
    for (let x = box.x0 + 2; x < box.x1 - 2; x++) {
      const wide = grey[row + x + 2] - grey[row + x - 2]
      if (Math.abs(wide) < 48) continue
      const narrow = grey[row + x + 1] - grey[row + x - 1]
      // Only at the steepest point of the edge (the local maximum of the narrow step).
      const before = grey[row + x] - grey[row + x - 2]
      const after = grey[row + x + 2] - grey[row + x]
      if (Math.abs(narrow) < Math.abs(before) || Math.abs(narrow) < Math.abs(after)) continue
      total += Math.min(1, Math.abs(narrow) / Math.abs(wide))
      n++
    }
  }
  return n < 40 ? null : total / n
}

/**
 * Watches `video` every EVERY_MS: `onVerdict(verdict)` on each change, `onGood()` once after
 * GOOD_FRAMES good frames in a row. `outline` is the outline element drawn over the video.
 */
export function watch(video, outline, { onVerdict, onGood }) {
  const canvas = document.createElement('canvas')
  const context = canvas.getContext('2d', { willReadFrequently: true })
  let timer = null
  let good = 0
  let previous = null
  let shown = null
  let stopped = false
  const tick = () => {
    if (stopped || !outline.isConnected) return
    const verdict = sample(video, outline, canvas, context)
    if (verdict !== null) {
      // Said once it holds for two frames, so the status (read out) does not flicker.
      if (verdict === previous && verdict !== shown) {
        shown = verdict
        onVerdict(verdict)
      }
      previous = verdict
      good = verdict === 'good' ? good + 1 : 0
      if (good >= GOOD_FRAMES) {
        stopped = true
        onGood()
        return
      }
    }
    timer = window.setTimeout(tick, EVERY_MS)
  }
  timer = window.setTimeout(tick, EVERY_MS)
  return {
    stop() {
      stopped = true
      window.clearTimeout(timer)
    },
  }
}

function sample(video, outline, canvas, context) {
  if (!video.videoWidth || !outline.isConnected) return null
  const scale = Math.min(1, SAMPLE_WIDTH / video.videoWidth)
  canvas.width = Math.round(video.videoWidth * scale)
  canvas.height = Math.round(video.videoHeight * scale)
  context.drawImage(video, 0, 0, canvas.width, canvas.height)
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height)
  const grey = new Uint8ClampedArray(canvas.width * canvas.height)
  for (let i = 0, j = 0; j < grey.length; i += 4, j++) {
    grey[j] = (data[i] * 77 + data[i + 1] * 150 + data[i + 2] * 29) >> 8
  }
  // The viewfinder has the video's aspect ratio, so the outline maps onto the frame linearly.
  const frame = video.getBoundingClientRect()
  const box = outline.getBoundingClientRect()
  if (frame.width === 0 || frame.height === 0) return null
  const sx = canvas.width / frame.width
  const sy = canvas.height / frame.height
  return assessFrame(grey, canvas.width, canvas.height, {
    x0: (box.left - frame.left) * sx,
    y0: (box.top - frame.top) * sy,
    x1: (box.right - frame.left) * sx,
    y1: (box.bottom - frame.top) * sy,
  }).verdict
}

/**
 * Wires the camera to the page. `steps` are capture.js's: send(kind, blob, source),
 * showCapture(kind, note, problem, { manual }), pickFile(kind), captureTitle(kind),
 * captureHint(kind), progressText(), declared().
 */
export function install(app, steps) {
  const { t, h, button, screen, announce, main } = app

  async function open(kind, note = null) {
    const selfie = kind === 'selfie'
    const video = h('video', {
      playsinline: true,
      muted: true,
      autoplay: true,
      'aria-label': t('camera.video_label'),
    })
    const outline = h('div', { class: 'guide', 'aria-hidden': 'true' })
    if (!selfie)
      outline.style.setProperty('aspect-ratio', outlineRatio(steps.declared()).toFixed(4))
    const status = h('p', { class: 'camera-status', role: 'status' }, t('camera.starting'))
    const shoot = h(
      'button',
      {
        type: 'button',
        class: 'button primary',
        disabled: true,
        'aria-describedby': 'camera-hint',
      },
      t('camera.shoot'),
    )
    // Titled as the capture step it belongs to: which document and side, or the selfie.
    screen(
      steps.captureTitle(kind),
      [
        note ? h('p', { class: 'accepted' }, note) : null,
        h('div', { class: selfie ? 'viewfinder selfie' : 'viewfinder' }, video, outline),
        status,
        h('p', { class: 'visually-hidden', id: 'camera-hint' }, steps.captureHint(kind)),
        h(
          'div',
          { class: 'actions' },
          shoot,
          button(t('feedback.upload_instead'), () => {
            app.stopCamera()
            steps.pickFile(kind)
          }),
          button(t('camera.back'), () => steps.showCapture(kind, null, null, { manual: true })),
        ),
      ],
      steps.progressText(),
    )
    if (note) announce(note)
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
      app.cameraWorks = false
      steps.showCapture(kind, null, 'camera')
      const message = t(denied ? 'camera.denied' : 'camera.unavailable')
      main.querySelector('h1').after(h('p', { class: 'feedback', role: 'alert' }, message))
      return
    }
    if (!main.contains(video)) {
      for (const track of opened.getTracks()) track.stop()
      return
    }
    app.stream = opened
    app.cameraWorks = true
    video.srcObject = opened
    await video.play().catch(() => undefined)
    if (video.videoWidth === 0) {
      await new Promise((resolve) =>
        video.addEventListener('loadedmetadata', resolve, { once: true }),
      )
    }
    // The viewfinder shows the whole frame that will be sent, so the outline means what it says.
    const viewfinder = video.parentElement
    const ratio = video.videoWidth / video.videoHeight
    viewfinder.style.setProperty('aspect-ratio', `${video.videoWidth} / ${video.videoHeight}`)
    viewfinder.style.setProperty('max-width', `calc(62vh * ${ratio.toFixed(4)})`)
    shoot.disabled = false
    let watching = null
    const take = async () => {
      watching?.stop()
      shoot.disabled = true
      const blob = await grab(video)
      app.stopCamera()
      if (blob) review(kind, blob)
    }
    shoot.addEventListener('click', take)
    if (selfie) {
      status.textContent = `${t('camera.title.selfie')}. ${t('camera.ready')}`
      announce(t('camera.ready'))
      return
    }
    // A document: say what to fix until the frame is good, then take the photo.
    status.textContent = t('camera.title.document')
    watching = watch(video, outline, {
      onVerdict(verdict) {
        outline.classList.toggle('good', verdict === 'good')
        status.textContent = t(`guide.${verdict}`)
      },
      onGood: take,
    })
  }

  /** The photo before it is sent: use it, or take another. */
  function review(kind, blob) {
    const url = URL.createObjectURL(blob)
    app.resume = () => steps.showCapture(kind)
    screen(
      t('review.title'),
      [
        h('img', { class: 'preview', src: url, alt: t('review.alt') }),
        h('p', {}, t(kind === 'selfie' ? 'review.selfie' : 'review.document')),
        h(
          'div',
          { class: 'actions' },
          button(
            t('review.use'),
            () => {
              URL.revokeObjectURL(url)
              steps.send(kind, blob, 'camera')
            },
            true,
          ),
          button(t('review.retake'), () => {
            URL.revokeObjectURL(url)
            open(kind)
          }),
        ),
      ],
      steps.progressText(),
    )
    announce(t('review.title'))
  }

  return { open }
}

/** The current video frame as a JPEG, at the camera's full resolution. */
function grab(video) {
  const canvas = document.createElement('canvas')
  canvas.width = video.videoWidth
  canvas.height = video.videoHeight
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height)
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92))
}
