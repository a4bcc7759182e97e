// The hosted page's last screen: how the session ended, and where the person goes from here
// (back to the tenant, back to the computer that handed the photos over, or nowhere: close).
// page.js imports it by its hashed URL and the shell preloads it with page.js.

const OUTCOME_ICONS = {
  approved: '✓',
  review: '✓',
  rejected: '!',
  abandoned: '×',
  expired: '!',
  failed: '!',
}

export function showOutcome(app) {
  const { state, t, h, screen, main, boot, embedded } = app
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
    boot.handedOff
      ? h('p', { class: 'handoff-done' }, t('handoff.phone_done'))
      : !embedded && end && end.redirectUrl
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
