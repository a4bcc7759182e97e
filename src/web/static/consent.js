// The hosted page's consent to the face check. A selfie compared with the document's photo, or
// used to estimate an age, is biometric data (GDPR Art. 9, BIPA): the intro asks for it apart
// from the consent to the verification, never ticked in advance, and Start has the server record
// it before any selfie is taken. page.js draws it on the intro of a session that asks for a selfie.

/**
 * The intro's second checkbox and its own error line, or null when the session asks for no
 * selfie. The tick is kept per link like the first consent (`place` reads it, `keep` saves it).
 */
export function faceConsent(app, { place, keep }) {
  const { t, h } = app
  const purpose = app.state.faceCheck
  if (!purpose) return null
  const box = h('input', {
    type: 'checkbox',
    id: 'consent-face',
    'aria-describedby': 'consent-face-error',
  })
  box.checked = place().faceConsent === true
  const label = h(
    'label',
    { class: 'consent', for: 'consent-face' },
    box,
    h('span', {}, t(`intro.face_consent.${purpose}`)),
  )
  const error = h('p', { id: 'consent-face-error', class: 'error' })
  const say = (message) => {
    label.classList.toggle('invalid', message !== '')
    if (message) box.setAttribute('aria-invalid', 'true')
    else box.removeAttribute('aria-invalid')
    error.textContent = message
  }
  box.addEventListener('change', () => {
    keep({ faceConsent: box.checked })
    if (box.checked) say('')
  })

  /** Says that this verification needs the face check, with focus on its box. */
  function refuse() {
    say(t('intro.face_consent_required'))
    box.focus()
  }

  /** True once the server holds the consent; otherwise the page says why it cannot go on. */
  async function confirm(retry) {
    if (!box.checked) {
      refuse()
      return false
    }
    if (app.state.biometricConsent) return true
    let res
    try {
      res = await fetch(`${app.base}/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ biometric: true }),
        cache: 'no-store',
      })
    } catch {
      app.showError(t('error.network'), retry)
      return false
    }
    if (res.status === 429) {
      app.showError(t('error.rate_limited'), retry)
      return false
    }
    // Expired, cancelled or decided meanwhile: show where the session is now.
    if (!res.ok) {
      await app.refresh()
      return false
    }
    app.state = await res.json()
    return true
  }

  return { label, error, confirm, refuse }
}

/** The server refused a selfie without the consent (say, it was never recorded): ask again. */
export function askFaceConsentAgain(app, keep) {
  app.state = { ...app.state, biometricConsent: false }
  keep({ faceConsent: false })
  app.showIntro()?.refuse()
}
