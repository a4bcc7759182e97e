// Removes secrets from URLs before they are logged or shown to the admin.

const SECRET_PARAM = /token|key|secret|signature|password|passwd|auth|code|session/i
// Long opaque path segments are secrets too: hosted-page links (`/s/<ver_id>.<exp>.<mac>`, with
// dots) and any other token-like segment.
const OPAQUE_SEGMENT = /^[A-Za-z0-9_.-]{32,}$/

/** The URL's path and query with secret-looking values replaced by `[redacted]`. */
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
    const shown = SECRET_PARAM.test(name) ? '[redacted]' : value
    kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(shown)}`)
  }
  return `${cleanPath}?${kept.join('&')}`.slice(0, 2048)
}
