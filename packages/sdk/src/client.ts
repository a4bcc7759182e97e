// The client: one object per API key, grouping the native API's routes by what they act on.
import { randomUUID } from 'node:crypto'
import { LoomError } from './errors.ts'
import { send } from './http.ts'
import type { FetchLike, RequestOptions, TransportOptions } from './http.ts'
import { KeySetCache, verifyAgeToken } from './tokens.ts'
import type { OfflineTokenCheck, VerifyOfflineOptions } from './tokens.ts'
import { verifyWebhook } from './webhooks.ts'
import type { VerifyWebhookOptions, WebhookHeaders } from './webhooks.ts'
import type {
  CompletedVerification,
  CreateWebhookEndpointInput,
  DeletedVerification,
  DetailedResult,
  DownloadedImage,
  ImageList,
  ImageType,
  ListDeliveriesQuery,
  StartVerificationInput,
  StartedVerification,
  SubmitOutcomeInput,
  TokenRevocation,
  TokenValidation,
  UpdateWebhookEndpointInput,
  UploadedImage,
  VerificationEvents,
  VerificationStatus,
  VerificationStatusReply,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookEvent,
  WebhookSecret,
} from './types.ts'
import { VERSION } from './version.ts'

export interface LoomOptions {
  /** The tenant's API key (`loom_live_…` or `loom_test_…`). */
  apiKey?: string | undefined
  /** Where Loom answers (default `http://localhost:8080`). */
  baseUrl?: string | undefined
  /** A fetch implementation (default the global one). */
  fetch?: FetchLike
  /** Time limit of one attempt, in milliseconds (default 60 000). */
  timeoutMs?: number
  /** Retries after a 429, a 503 or a connection failure (default 2). */
  maxRetries?: number
  /** Longest Retry-After waited for before retrying (default 60 000 ms); longer ones are thrown. */
  maxRetryDelayMs?: number
}

/** The statuses after which a verification does not change on its own. */
export const DECIDED_STATUSES: readonly VerificationStatus[] = [
  'approved',
  'rejected',
  'review',
  'expired',
  'abandoned',
  'failed',
]

export interface WaitOptions {
  /** Give up after this long (default 60 000 ms). */
  timeoutMs?: number
  /** Pause between status reads (default 500 ms). */
  intervalMs?: number
}

/** An image as bytes, or as base64 (a `data:` URL is fine). */
export type ImageInput = Uint8Array | ArrayBuffer | string

function base64Of(image: ImageInput): string {
  if (typeof image === 'string') return image
  return Buffer.from(image instanceof ArrayBuffer ? new Uint8Array(image) : image).toString(
    'base64',
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A client of Loom's native API for one tenant key. */
export class Loom {
  readonly verifications: Verifications
  readonly images: Images
  readonly tokens: Tokens
  readonly webhooks: Webhooks

  constructor(options: LoomOptions = {}) {
    const { apiKey } = options
    if (typeof apiKey !== 'string' || apiKey === '') {
      throw new TypeError(
        'new Loom({ apiKey }) needs the tenant API key (loom_live_… or loom_test_…)',
      )
    }
    const fetchImpl = options.fetch ?? globalThis.fetch
    // Kept in the closure below, not on the object: logging the client does not print the key.
    const transport: TransportOptions = {
      apiKey,
      // With a trailing slash, so the API's paths resolve below a prefix (https://host/loom/…).
      baseUrl: new URL(options.baseUrl ?? 'http://localhost:8080').toString().replace(/\/?$/, '/'),
      fetch: fetchImpl,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxRetries: Math.max(0, options.maxRetries ?? 2),
      maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
      userAgent: `loom-sdk-node/${VERSION}`,
    }
    const request = <T>(req: RequestOptions) => send<T>(transport, req)
    // A key says its mode; tokens of the other mode are refused, as the server refuses them.
    const livemode = apiKey.startsWith('loom_live_')
      ? true
      : apiKey.startsWith('loom_test_')
        ? false
        : undefined
    this.verifications = new Verifications(request)
    this.images = new Images(request)
    this.tokens = new Tokens(
      request,
      new URL('.well-known/jwks.json', transport.baseUrl).toString(),
      livemode,
      new KeySetCache(options.fetch),
    )
    this.webhooks = new Webhooks(request)
  }
}

type Request = <T>(req: RequestOptions) => Promise<{ body: T; headers: Headers }>

/** Verifications: start, status, complete, submit, events, detailed result, deletion. */
export class Verifications {
  constructor(private readonly request: Request) {}

  /**
   * Starts a verification. Sent with an Idempotency-Key (yours, or a random one), so a retry
   * after a lost answer returns the same verification instead of starting a second.
   */
  async start(
    input: StartVerificationInput = {},
    options: { idempotencyKey?: string } = {},
  ): Promise<StartedVerification> {
    const { body } = await this.request<StartedVerification>({
      method: 'POST',
      path: '/verify/start',
      body: input,
      headers: { 'idempotency-key': options.idempotencyKey ?? randomUUID() },
      idempotent: true,
    })
    return body
  }

  /** Status, times, metadata and, once decided, the public result and the age token. */
  async status(verificationId: string): Promise<VerificationStatusReply> {
    const { body } = await this.request<VerificationStatusReply>({
      method: 'GET',
      path: '/verify/status',
      query: { verificationId },
      idempotent: true,
    })
    return body
  }

  /** Decides a verification whose evidence is in (test keys: its mock behaviour) at once. */
  async complete(verificationId: string): Promise<CompletedVerification> {
    const { body } = await this.request<CompletedVerification>({
      method: 'POST',
      path: '/verify/complete',
      body: { verificationId },
      idempotent: false,
    })
    return body
  }

  /** Records your own outcome (e.g. after a manual review); its token says `tenant_attested`. */
  async submit(
    verificationId: string,
    outcome: SubmitOutcomeInput,
  ): Promise<CompletedVerification> {
    const { body } = await this.request<CompletedVerification>({
      method: 'POST',
      path: '/verify/submit',
      body: { verificationId, ...outcome },
      idempotent: false,
    })
    return body
  }

  /** The verification's events, oldest first. */
  async events(verificationId: string): Promise<VerificationEvents> {
    const { body } = await this.request<VerificationEvents>({
      method: 'GET',
      path: '/verify/events',
      query: { verificationId },
      idempotent: true,
    })
    return body
  }

  /** The detailed result: decision, checks, and the person and document fields (personal data). */
  async result(verificationId: string): Promise<DetailedResult> {
    const { body } = await this.request<DetailedResult>({
      method: 'GET',
      path: '/verify/result',
      query: { verificationId },
      idempotent: true,
    })
    return body
  }

  /** Deletes the verification's personal data now (images, fields, tokens); the decision stays. */
  async delete(verificationId: string): Promise<DeletedVerification> {
    const { body } = await this.request<DeletedVerification>({
      method: 'DELETE',
      path: `/verify/${encodeURIComponent(verificationId)}`,
      idempotent: true,
    })
    return body
  }

  /** Reads the status until the verification is decided (or ended); throws after `timeoutMs`. */
  async waitForDecision(
    verificationId: string,
    options: WaitOptions = {},
  ): Promise<VerificationStatusReply> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000)
    for (;;) {
      const status = await this.status(verificationId)
      if (DECIDED_STATUSES.includes(status.status)) return status
      if (Date.now() >= deadline) {
        throw new LoomError({
          code: 'WAIT_TIMEOUT',
          message: `${verificationId} is still ${status.status} after ${options.timeoutMs ?? 60_000} ms`,
        })
      }
      await sleep(options.intervalMs ?? 500)
    }
  }
}

/** Images of a verification: upload with instant feedback, list, download. */
export class Images {
  constructor(private readonly request: Request) {}

  /**
   * Adds a document side or a selfie (JPEG, PNG, WebP or PDF; at most 10 MB) and answers with
   * the reader's feedback. Once every required image is in, the verification is decided.
   */
  async upload(verificationId: string, type: ImageType, image: ImageInput): Promise<UploadedImage> {
    const { body } = await this.request<UploadedImage>({
      method: 'POST',
      path: '/verify/images',
      body: { verificationId, type, image: base64Of(image) },
      idempotent: false,
    })
    return body
  }

  /** The images' metadata. */
  async list(verificationId: string): Promise<ImageList> {
    const { body } = await this.request<ImageList>({
      method: 'GET',
      path: '/verify/images',
      query: { verificationId },
      idempotent: true,
    })
    return body
  }

  /** One image's bytes and media type (gone after deletion or the time to live). */
  async download(verificationId: string, imageId: string): Promise<DownloadedImage> {
    const { body, headers } = await this.request<Uint8Array>({
      method: 'GET',
      path: `/verify/images/${encodeURIComponent(imageId)}`,
      query: { verificationId },
      idempotent: true,
      binary: true,
    })
    return { bytes: body, contentType: headers.get('content-type') ?? 'application/octet-stream' }
  }
}

/** Age tokens: validation by Loom, offline checks against its keys, revocation. */
export class Tokens {
  constructor(
    private readonly request: Request,
    private readonly jwksUrl: string,
    private readonly livemode: boolean | undefined,
    private readonly keySets: KeySetCache,
  ) {}

  /** Asks Loom: `valid` with the age claims, or a reason (revocations included). */
  async validate(token: string): Promise<TokenValidation> {
    const { body } = await this.request<TokenValidation>({
      method: 'POST',
      path: '/tokens/validate',
      body: { token },
      idempotent: true,
    })
    return body
  }

  /**
   * Checks a token without asking Loom: signature against the JWKS (this Loom's
   * `/.well-known/jwks.json` unless `jwksUrl` or `jwks` is given; fetched once and cached),
   * audience, expiry and claims; tokens of the other mode than this client's key are refused.
   * Cannot see revocations: use `validate` where that matters.
   */
  async verifyOffline(
    token: string,
    options: VerifyOfflineOptions = {},
  ): Promise<OfflineTokenCheck> {
    return verifyAgeToken(
      token,
      {
        ...(this.livemode !== undefined && { livemode: this.livemode }),
        ...options,
        ...(options.jwks === undefined && { jwksUrl: options.jwksUrl ?? this.jwksUrl }),
      },
      this.keySets,
    )
  }

  /** Revokes one token, or every token of a verification. */
  async revoke(target: { token: string } | { verificationId: string }): Promise<TokenRevocation> {
    const { body } = await this.request<TokenRevocation>({
      method: 'POST',
      path: '/tokens/revoke',
      body: target,
      idempotent: true,
    })
    return body
  }
}

/** Webhooks: signature checks, endpoints, the callback secret, deliveries. */
export class Webhooks {
  readonly endpoints: WebhookEndpoints
  readonly deliveries: WebhookDeliveries

  constructor(private readonly request: Request) {
    this.endpoints = new WebhookEndpoints(request)
    this.deliveries = new WebhookDeliveries(request)
  }

  /**
   * Checks a delivery's Standard Webhooks signature and timestamp (5 minutes either way) and
   * returns its event; throws WebhookVerificationError otherwise. Pass the raw body.
   */
  verify(
    payload: string | Uint8Array,
    headers: WebhookHeaders,
    secret: string,
    options?: VerifyWebhookOptions,
  ): WebhookEvent {
    return verifyWebhook(payload, headers, secret, options)
  }

  /** The secret that signs deliveries to a verification's callback URL (made on first use). */
  async secret(): Promise<WebhookSecret> {
    const { body } = await this.request<WebhookSecret>({
      method: 'GET',
      path: '/webhooks/secret',
      idempotent: true,
    })
    return body
  }

  /** A new callback secret; the old one keeps signing for the grace period. */
  async rotateSecret(): Promise<WebhookSecret> {
    const { body } = await this.request<WebhookSecret>({
      method: 'POST',
      path: '/webhooks/secret/rotate',
      idempotent: false,
    })
    return body
  }
}

/** Webhook endpoints of the tenant. */
export class WebhookEndpoints {
  constructor(private readonly request: Request) {}

  /** Adds an endpoint; the answer holds its signing secret, shown only this once. */
  async create(input: CreateWebhookEndpointInput): Promise<WebhookEndpointWithSecret> {
    const { body } = await this.request<WebhookEndpointWithSecret>({
      method: 'POST',
      path: '/webhooks/endpoints',
      body: input,
      idempotent: false,
    })
    return body
  }

  /** Every endpoint (never the secrets). */
  async list(): Promise<WebhookEndpoint[]> {
    const { body } = await this.request<{ data: WebhookEndpoint[] }>({
      method: 'GET',
      path: '/webhooks/endpoints',
      idempotent: true,
    })
    return body.data
  }

  /** One endpoint. */
  async get(id: string): Promise<WebhookEndpoint> {
    const { body } = await this.request<WebhookEndpoint>({
      method: 'GET',
      path: `/webhooks/endpoints/${encodeURIComponent(id)}`,
      idempotent: true,
    })
    return body
  }

  /** Changes url, events, enabled or description. */
  async update(id: string, input: UpdateWebhookEndpointInput): Promise<WebhookEndpoint> {
    const { body } = await this.request<WebhookEndpoint>({
      method: 'PATCH',
      path: `/webhooks/endpoints/${encodeURIComponent(id)}`,
      body: input,
      idempotent: true,
    })
    return body
  }

  /** Removes an endpoint; its pending deliveries are cancelled. */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    const { body } = await this.request<{ id: string; deleted: true }>({
      method: 'DELETE',
      path: `/webhooks/endpoints/${encodeURIComponent(id)}`,
      idempotent: true,
    })
    return body
  }

  /** A new secret; the old one keeps signing for the grace period. */
  async rotateSecret(id: string): Promise<WebhookEndpointWithSecret> {
    const { body } = await this.request<WebhookEndpointWithSecret>({
      method: 'POST',
      path: `/webhooks/endpoints/${encodeURIComponent(id)}/rotate-secret`,
      idempotent: false,
    })
    return body
  }
}

/** The delivery log. */
export class WebhookDeliveries {
  constructor(private readonly request: Request) {}

  /** Deliveries, newest first. */
  async list(query: ListDeliveriesQuery = {}): Promise<WebhookDelivery[]> {
    const { body } = await this.request<{ data: WebhookDelivery[] }>({
      method: 'GET',
      path: '/webhooks/deliveries',
      query: { ...query },
      idempotent: true,
    })
    return body.data
  }

  /** One delivery with every attempt. */
  async get(id: string): Promise<WebhookDeliveryDetail> {
    const { body } = await this.request<WebhookDeliveryDetail>({
      method: 'GET',
      path: `/webhooks/deliveries/${encodeURIComponent(id)}`,
      idempotent: true,
    })
    return body
  }

  /** Sends a delivery again now (same `webhook-id`). */
  async retry(id: string): Promise<WebhookDelivery> {
    const { body } = await this.request<WebhookDelivery>({
      method: 'POST',
      path: `/webhooks/deliveries/${encodeURIComponent(id)}/retry`,
      idempotent: false,
    })
    return body
  }
}
