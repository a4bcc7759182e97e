// Job type names, apart from their handlers: deps.ts reads queue lag per lane by them without
// loading the handlers (which need Deps themselves).

/** Delivers one webhook event to one endpoint (jobs/webhooks.ts). */
export const DELIVER_JOB = 'webhook.deliver'
