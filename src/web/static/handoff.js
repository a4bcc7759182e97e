// The move from a computer to a phone: a code and a link that open this session on the phone
// (made by Loom's server, so the link passes through no third party), and this page following
// the phone's photos until it goes on by itself, to the wait for the decision or to the end,
// exactly as it would after taking the photos here. capture.js loads this module when the person
// chooses "Continue on your phone"; the phone's own page knows it took over (`boot.handedOff`).

const POLL_MS = 2000
const KINDS = ['document_front', 'document_back', 'selfie']

/**
 * Shows the code and the link for the phone, and follows the session: which photos are in, and
 * once nothing is missing the capture steps' own wait, or the end. `capture` is what capture.js
 * shares: `next` (back to the photos here), `showProcessing`, `progressText` and `retryNote`.
 */
export function showHandoff(app, capture) {
  const { t, h, button, announce, main, boot } = app
  app.resume = () => showHandoff(app, capture)
  app.handingOff = true
  // A reload of this screen comes back to it (the phone may be half way through).
  app.keep({ handoff: true })
  // The full link until the short one (typed more easily on a phone) arrives.
  let url = boot.handoffUrl
  const code = h('img', {
    class: 'handoff-code',
    src: `${app.base}/handoff.svg`,
    alt: t('handoff.qr_alt'),
    width: '240',
    height: '240',
  })
  const link = h('span', { class: 'handoff-url', id: 'handoff-url' }, url)
  const copied = h('p', { class: 'muted handoff-copied' })
  const received = h('ul', { class: 'received', hidden: true })
  // Why the phone asks again, after a rejection the person can fix (the phone says it too).
  const retry = capture.retryNote()

  async function copy() {
    try {
      await navigator.clipboard.writeText(url)
      copied.textContent = t('handoff.copied')
    } catch (err) {
      // No clipboard here (an insecure origin, a refused permission): the link is selected
      // instead, for the person to copy.
      console.warn('could not copy the link', err)
      window.getSelection()?.selectAllChildren(link)
      copied.textContent = t('handoff.copy_failed')
    }
    announce(copied.textContent)
  }

  app.screen(
    t('handoff.title'),
    [
      retry ? h('p', { class: 'feedback', role: 'alert' }, retry) : null,
      h('p', {}, t('handoff.scan')),
      code,
      h(
        'p',
        { class: 'handoff-link' },
        h('span', { class: 'muted' }, t('handoff.link_label')),
        h('br'),
        link,
      ),
      h('div', { class: 'actions' }, button(t('handoff.copy'), copy)),
      copied,
      received,
      h('p', { class: 'muted' }, t('handoff.waiting')),
      h(
        'div',
        { class: 'actions' },
        button(t('handoff.use_this_device'), () => capture.next()),
      ),
      app.cancelLink(),
    ],
    capture.progressText(),
  )

  void fetch(`${app.base}/handoff`, { method: 'POST', cache: 'no-store' })
    .then((res) => (res.ok ? res.json() : null))
    .then((short) => {
      if (short === null || !main.contains(link)) return
      url = short.shortUrl
      link.textContent = url
    })
    .catch((err) => console.warn('no short link; the full one stays', err))

  /** The photos in when last drawn (null: not drawn yet, nothing to announce). */
  let drawn = null
  /** The photos the phone has sent so far, and the step it is at; says what is new. */
  function drawReceived() {
    const done = app.state.doneImages.filter((kind) => KINDS.includes(kind))
    const added = drawn === null ? [] : done.filter((kind) => !drawn.includes(kind))
    if (drawn !== null && added.length === 0 && done.length === drawn.length) return
    drawn = done
    received.replaceChildren(...done.map((kind) => h('li', {}, t(`handoff.received.${kind}`))))
    received.hidden = done.length === 0
    const step = main.querySelector('h1 .progress')
    if (step !== null && step.firstChild !== null) {
      step.firstChild.textContent = capture.progressText() ?? ''
    }
    if (added.length > 0) announce(added.map((kind) => t(`handoff.received.${kind}`)).join(' '))
  }

  const follow = async () => {
    const fresh = await app.loadState()
    // The person left this screen meanwhile ("Use this device instead", Cancel): stop here.
    if (!main.contains(code)) return
    if (fresh !== null) {
      app.state = fresh
      if (fresh.finish) return app.finish(true)
      if (fresh.status === 'processing' || fresh.missingImages.length === 0) {
        return capture.showProcessing()
      }
      // A new attempt began between two looks: the screen says why, as after the wait.
      if (capture.retryNote() !== retry) return showHandoff(app, capture)
      drawReceived()
    }
    app.pollTimer = window.setTimeout(follow, POLL_MS)
  }
  drawReceived()
  app.pollTimer = window.setTimeout(follow, POLL_MS)
}
