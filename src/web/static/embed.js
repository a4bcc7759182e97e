// Loom embed: opens a Loom verification session in a modal (or inside an element of your page)
// and tells your page how it ended, as a `loom:complete` DOM event and a promise.
//
//   <script src="https://loom.example.com/embed.js"></script>
//   const outcome = await Loom.open(sessionUrl, { lang: 'fr' })
//   // → { sessionId, status: 'success' | 'failed' | 'abandoned', reason, state } or null (closed)
//   document.addEventListener('loom:complete', (e) => console.log(e.detail))
//
// Only messages from Loom's origin and from the frame this script opened are accepted. The page
// in the frame posts only to the origin of the session's redirect/callback URL, which is also
// the only origin allowed to frame it: start the session with a redirect URL on your site.
;(function () {
  'use strict'

  function style(el, css) {
    for (const name of Object.keys(css)) el.style.setProperty(name, css[name])
    return el
  }

  /**
   * Opens the session. Options: `container` (an element to put the frame in, instead of a
   * modal), `lang` ('en', 'fr', …), `title` (the frame's accessible name), `onComplete(detail)`.
   * Resolves with the outcome, or null when the person closed the modal first.
   */
  function open(sessionUrl, options) {
    options = options || {}
    const url = new URL(sessionUrl, window.location.href)
    const loomOrigin = url.origin
    url.searchParams.set('embed', '1')
    url.searchParams.set('parent', window.location.origin)
    if (options.lang) url.searchParams.set('lang', options.lang)

    const iframe = document.createElement('iframe')
    iframe.src = url.toString()
    iframe.title = options.title || 'Identity verification'
    iframe.setAttribute('allow', 'camera')
    style(iframe, { border: '0', width: '100%', height: '100%', display: 'block' })

    const previousFocus = document.activeElement
    const target = options.container || document
    let overlay = null
    if (options.container) {
      options.container.replaceChildren(iframe)
    } else {
      overlay = style(document.createElement('div'), {
        position: 'fixed',
        inset: '0',
        'z-index': '2147483000',
        background: 'rgba(0, 0, 0, 0.6)',
        display: 'flex',
        'align-items': 'center',
        'justify-content': 'center',
      })
      const dialog = style(document.createElement('div'), {
        position: 'relative',
        width: '100%',
        'max-width': '30rem',
        height: '100%',
        'max-height': '48rem',
        background: '#fff',
        'border-radius': '12px',
        overflow: 'hidden',
      })
      dialog.setAttribute('role', 'dialog')
      dialog.setAttribute('aria-modal', 'true')
      dialog.setAttribute('aria-label', iframe.title)
      const close = style(document.createElement('button'), {
        position: 'absolute',
        top: '0.25rem',
        right: '0.25rem',
        width: '2.75rem',
        height: '2.75rem',
        border: '0',
        'border-radius': '50%',
        background: 'rgba(0, 0, 0, 0.55)',
        color: '#fff',
        'font-size': '1.5rem',
        cursor: 'pointer',
      })
      close.type = 'button'
      close.textContent = '×'
      close.setAttribute('aria-label', options.closeLabel || 'Close')
      close.addEventListener('click', function () {
        done(null)
      })
      dialog.append(iframe, close)
      overlay.append(dialog)
      document.body.append(overlay)
    }
    iframe.focus()

    let settle
    const outcome = new Promise(function (resolve) {
      settle = resolve
    })
    function onKey(event) {
      if (event.key === 'Escape' && overlay) done(null)
    }
    function onMessage(event) {
      if (event.origin !== loomOrigin || event.source !== iframe.contentWindow) return
      const data = event.data
      if (!data || data.type !== 'loom:complete') return
      done({
        sessionId: String(data.sessionId),
        status: String(data.status),
        reason: data.reason == null ? null : String(data.reason),
        state: data.state == null ? null : String(data.state),
      })
    }
    function done(detail) {
      window.removeEventListener('message', onMessage)
      document.removeEventListener('keydown', onKey)
      if (overlay) overlay.remove()
      if (previousFocus && typeof previousFocus.focus === 'function') previousFocus.focus()
      const name = detail ? 'loom:complete' : 'loom:close'
      target.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }))
      if (detail && typeof options.onComplete === 'function') options.onComplete(detail)
      settle(detail)
    }
    window.addEventListener('message', onMessage)
    document.addEventListener('keydown', onKey)
    return outcome
  }

  // <button data-loom-session-url="https://…/s/…">Verify</button> opens the modal on click.
  document.addEventListener('click', function (event) {
    const el = event.target instanceof Element && event.target.closest('[data-loom-session-url]')
    if (!el) return
    event.preventDefault()
    void open(el.getAttribute('data-loom-session-url'), { lang: el.getAttribute('data-loom-lang') })
  })

  window.Loom = Object.assign(window.Loom || {}, { open: open })
})()
