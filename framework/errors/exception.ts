import type { ErrorCode } from './codes'

export interface ExceptionOptions {
  code: ErrorCode
  status?: number
  /** A sentence telling the user how to fix the problem. */
  help?: string
  /** Structured, client-safe details (for example the invalid fields). */
  details?: unknown
  cause?: unknown
}

/**
 * Base class of every error Langvel raises on purpose. Each carries a stable
 * `code` and the HTTP `status` it renders as; `expose` says whether the message
 * is safe to show a client (true for 4xx, false for 5xx unless debug is on).
 *
 * @example
 * throw new Exception('Agent "/x" not found', { code: 'E_AGENT_NOT_FOUND', status: 404 })
 */
export class Exception extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly help?: string
  readonly details?: unknown

  constructor(message: string, options: ExceptionOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name === 'Exception' ? options.code : new.target.name
    this.code = options.code
    this.status = options.status ?? 500
    this.help = options.help
    this.details = options.details
  }

  /** Client errors carry messages written for the client; server errors do not. */
  get expose(): boolean {
    return this.status < 500
  }
}

export function isException(error: unknown): error is Exception {
  return error instanceof Exception
}
