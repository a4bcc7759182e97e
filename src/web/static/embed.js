// Loom embed: opens a Loom verification session in a modal (or inside an element of your page)
// and tells your page how it ended, as DOM events and a promise.
//
//   <script src="https://loom.example.com/embed.js"></script>
//   try {
//     const outcome = await Loom.open(sessionUrl, { lang: 'fr' })
//     // → { sessionId, status: 'success' | 'failed' | 'abandoned', reason, state } or null (closed)
//   } catch (err) {
//     // err.reason: 'framing_refused' (Loom's page did not load in the frame: this origin may
//     // not frame the session, or the link no longer opens) or 'timeout' (nothing loaded in time)
//   }
//   document.addEventListener('loom:complete', (e) => console.log(e.detail))
//   document.addEventListener('loom:error', (e) => console.log(e.detail.reason))
//
// The modal is a dialog: the rest of your page is inert while it is open, Tab stays inside it,
// and Escape or its close button (labelled in the page's language) closes it (`loom:close`, the
// promise resolves with null). With `container` the frame goes inside your element instead and
// follows the page's height.
//
// Only messages from Loom's origin and from the frame this script opened are accepted. The page
// in the frame posts only to the origin of the session's redirect/callback URL, which is also
// the only origin allowed to frame it: start the session with a redirect URL on your site.
;(function () {
  'use strict'

  const LABELS = {
    en: { close: 'Close', title: 'Identity verification' },
    fr: { close: 'Fermer', title: 'Vérification d’identité' },
    de: { close: 'Schließen', title: 'Identitätsprüfung' },
  }
  /** After the frame loads, how long Loom's page has to say it runs before it counts as refused. */
  const READY_GRACE_MS = 3000

  function style(el, css) {
    for (const name of Object.keys(css)) el.style.setProperty(name, css[name])
    return el
  }

  /** The labels in `lang`, else the host page's language, else English. */
  function labelsFor(lang) {
    const wanted = String(lang || document.documentElement.lang || 'en')
      .toLowerCase()
      .split('-')[0]
    return LABELS[wanted] || LABELS.en
  }

  /**
   * Opens the session. Options: `container` (an element to put the frame in, instead of a
   * modal), `lang` ('en', 'fr', 'de'; also the close button's language), `title` (the frame's
   * accessible name), `closeLabel`, `timeout` (ms before `timeout`, default 30000),
   * `autoHeight` (inline frame follows the page's height; default true), `onComplete(detail)`.
   * Resolves with the outcome, or null when the person closed the modal first; rejects with an
   * Error whose `reason` says why the page could not be shown.
   */
  function open(sessionUrl, options) {
    options = options || {}
    const labels = labelsFor(options.lang)
    const url = new URL(sessionUrl, window.location.href)
    const loomOrigin = url.origin
    url.searchParams.set('embed', '1')
    url.searchParams.set('parent', window.location.origin)
    if (options.lang) url.searchParams.set('lang', options.lang)

    const iframe = document.createElement('iframe')
    iframe.title = options.title || labels.title
    iframe.setAttribute('allow', 'camera')
    style(iframe, { border: '0', width: '100%', height: '100%', display: 'block' })

    const previousFocus = document.activeElement
    const target = options.container || document
    const autoHeight = Boolean(options.container) && options.autoHeight !== false
    let overlay = null
    /** Elements this modal made inert (restored on close; others stay as they were). */
    const madeInert = []
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
        background: 'rgba(0, 0, 0, 0.7)',
        color: '#fff',
        'font-size': '1.5rem',
        cursor: 'pointer',
      })
      close.type = 'button'
      close.textContent = '×'
      close.setAttribute('aria-label', options.closeLabel || labels.close)
      close.addEventListener('click', function () {
        done(null)
      })
      // Tab past either end comes back in: a focusable edge on each side sends it round.
      const edge = function (to) {
        const el = document.createElement('span')
        el.tabIndex = 0
        el.addEventListener('focus', function () {
          to().focus()
        })
        return el
      }
      dialog.append(
        edge(function () {
          return iframe
        }),
        close,
        iframe,
        edge(function () {
          return close
        }),
      )
      overlay.append(dialog)
      for (const el of document.body.children) {
        if (el.inert || el.tagName === 'SCRIPT') continue
        el.inert = true
        madeInert.push(el)
      }
      document.body.append(overlay)
    }
    iframe.src = url.toString()
    iframe.focus()

    let settle
    let fail
    const outcome = new Promise(function (resolve, reject) {
      settle = resolve
      fail = reject
    })
    let ready = false
    let finished = false
    let graceTimer = 0
    const timeoutTimer = window.setTimeout(function () {
      failWith('timeout')
    }, options.timeout || 30000)
    // A frame the browser refused (frame-ancestors) still fires load, but Loom's page never says
    // it runs.
    iframe.addEventListener('load', function () {
      if (ready || finished) return
      window.clearTimeout(graceTimer)
      graceTimer = window.setTimeout(function () {
        failWith('framing_refused')
      }, READY_GRACE_MS)
    })

    function onKey(event) {
      if (event.key === 'Escape' && overlay) done(null)
    }
    function onMessage(event) {
      if (event.origin !== loomOrigin || event.source !== iframe.contentWindow) return
      const data = event.data
      if (!data || typeof data.type !== 'string') return
      if (data.type === 'loom:ready') {
        ready = true
        window.clearTimeout(graceTimer)
        window.clearTimeout(timeoutTimer)
      } else if (data.type === 'loom:resize') {
        const height = Number(data.height)
        if (autoHeight && height > 0 && height < 100000) iframe.style.height = `${height}px`
      } else if (data.type === 'loom:escape') {
        onKey({ key: 'Escape' })
      } else if (data.type === 'loom:complete') {
        done({
          sessionId: String(data.sessionId),
          status: String(data.status),
          reason: data.reason == null ? null : String(data.reason),
          state: data.state == null ? null : String(data.state),
        })
      }
    }
    function cleanUp() {
      finished = true
      window.clearTimeout(graceTimer)
      window.clearTimeout(timeoutTimer)
      window.removeEventListener('message', onMessage)
      document.removeEventListener('keydown', onKey)
      for (const el of madeInert) el.inert = false
      if (overlay) overlay.remove()
      if (previousFocus && typeof previousFocus.focus === 'function') previousFocus.focus()
    }
    function done(detail) {
      if (finished) return
      cleanUp()
      const name = detail ? 'loom:complete' : 'loom:close'
      target.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }))
      if (detail && typeof options.onComplete === 'function') options.onComplete(detail)
      settle(detail)
    }
    function failWith(reason) {
      if (finished || ready) return
      cleanUp()
      if (options.container) iframe.remove()
      target.dispatchEvent(
        new CustomEvent('loom:error', { detail: { reason: reason }, bubbles: true }),
      )
      const error = new Error(`Loom could not be shown: ${reason}`)
      error.reason = reason
      fail(error)
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
    open(el.getAttribute('data-loom-session-url'), {
      lang: el.getAttribute('data-loom-lang'),
    }).catch(function (err) {
      // The loom:error event has told the page; nothing else waits on this promise.
      console.warn(err.message)
    })
  })

  window.Loom = Object.assign(window.Loom || {}, { open: open })
})()
