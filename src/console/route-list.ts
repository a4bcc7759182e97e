// Every console route, by method and path. The console plugin refuses to start when it
// registers a route missing here, so the test that tries each one with another tenant's ids
// (test/console.test.ts) walks all of them: a new route cannot be forgotten there.
export const CONSOLE_ROUTES = [
  'GET /console',
  'GET /console/static/console.css',
  'GET /console/sign-in',
  'POST /console/sign-in',
  'POST /console/operator/sign-in',
  'POST /console/sign-out',
  'POST /console/sign-out-everywhere',
  'GET /console/invite/:token',
  'POST /console/invite/:token',
  'GET /console/verifications',
  'GET /console/review',
  'GET /console/verifications/:id',
  'POST /console/verifications/:id/decision',
  'GET /console/verifications/:id/images/:imageId',
  'GET /console/usage',
  'GET /console/workflows',
  'GET /console/workflows/new',
  'POST /console/workflows/new',
  'GET /console/workflows/:id',
  'POST /console/workflows/:id',
  'POST /console/workflows/:id/delete',
  'GET /console/branding',
  'POST /console/branding',
  'POST /console/branding/logo',
  'GET /console/keys',
  'POST /console/keys',
  'POST /console/keys/:id/roll',
  'GET /console/keys/:id/revoke',
  'POST /console/keys/:id/revoke',
  'GET /console/webhooks',
  'GET /console/webhooks/:id',
  'POST /console/webhooks/:id/test',
  'POST /console/webhooks/deliveries/:id/resend',
  'GET /console/users',
  'POST /console/users',
  'GET /console/account',
  'POST /console/account/totp',
  'GET /console/operator/tenants',
  'GET /console/operator/logs',
] as const

export type ConsoleRoute = (typeof CONSOLE_ROUTES)[number]

/** Refuses a console route that is not in CONSOLE_ROUTES (HEAD routes follow their GET). */
export function checkListedRoute(method: string | string[], url: string): void {
  const path = url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url
  for (const m of Array.isArray(method) ? method : [method]) {
    if (m === 'HEAD') continue
    const route = `${m} ${path}`
    if (!(CONSOLE_ROUTES as readonly string[]).includes(route))
      throw new Error(`console route ${route} is not in CONSOLE_ROUTES (src/console/route-list.ts)`)
  }
}
