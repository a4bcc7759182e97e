// Removes secrets and a person's data from URLs before they are logged or shown to the admin.

// Long opaque path segments are secrets: hosted-page links (`/s/<ver_id>.<exp>.<mac>`, with
// dots) and any other token-like segment.
const OPAQUE_SEGMENT = /^[A-Za-z0-9_.-]{32,}$/
/** Query values shown as they are: Loom's own ids, and the closed vocabularies of a few filters. */
const LOOM_ID = /^[a-z]{2,4}_[A-Za-z0-9]{6,40}$/
const PLAIN_PARAMS = new Set(['limit', 'status', 'type', 'lang', 'month', 'detailed'])
const PLAIN_VALUE = /^[A-Za-z0-9_.-]{1,40}$/

/**
 * The URL's path and query with secrets and free text replaced by `[redacted]`. A query value is
 * kept only when it is one of Loom's ids or a filter's word (status, limit, …): anything else —
 * `external_id`, `state`, a token — may be a person's data or a credential.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?')
  const path = queryAt === -1 ? url : url.slice(0, queryAt)
  const cleanPath = path
    .split('/')
    .map((segment) => (OPAQUE_SEGMENT.test(segment) ? '[redacted]' : segment))
    .join('/')
  if (queryAt === -1) return cleanPath.slice(0, 2048)
  const params = new URLSearchParams(url.slice(queryAt + 1))
  const kept: string[] = []
  for (const [name, value] of params) {
    const plain = LOOM_ID.test(value) || (PLAIN_PARAMS.has(name) && PLAIN_VALUE.test(value))
    kept.push(`${encodeURIComponent(name)}=${plain ? encodeURIComponent(value) : '[redacted]'}`)
  }
  return `${cleanPath}?${kept.join('&')}`.slice(0, 2048)
}
