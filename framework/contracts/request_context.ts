/** Who is calling: set by authentication, never from request bodies or agent input. */
export interface Principal {
  readonly id: string
  readonly type: 'user' | 'api_key' | 'system'
  readonly permissions: readonly string[]
  readonly claims?: Readonly<Record<string, unknown>>
}

/**
 * Read-only facts about the request a run belongs to. It travels beside the
 * graph state (never inside it), so user input cannot forge identity.
 */
export interface RequestContext {
  readonly requestId: string
  readonly traceId: string
  readonly principal?: Principal
  readonly ip?: string
}
