import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js'

/** Raised by the HTTP fetch wrapper when one message from the server passes the size limit. */
export class McpMessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`a message larger than the limit of ${limit} bytes`)
    this.name = 'McpMessageTooLargeError'
  }
}

/** Why a session was ended by Langvel: the server broke the protocol. */
export interface ProtocolFault {
  reason: string
}

type RequestId = string | number

/**
 * Sits between the SDK's Client and a transport (stdio or streamable HTTP)
 * and ends the session when the server breaks the protocol in a way the SDK
 * only reports to `onerror`: a line that is not JSON-RPC, a response to a
 * request that was never sent, or a message over the size limit. The SDK
 * would log those and leave the caller waiting for a reply that cannot come;
 * here the session is closed, so every call in flight fails at once, and the
 * fault is kept for the caller to report as E_MCP_PROTOCOL.
 *
 * Replies that arrive after their request was cancelled or timed out are
 * dropped quietly: they are late, not wrong.
 */
export class GuardedTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void
  /** Set once the session was ended for a protocol violation. */
  fault?: ProtocolFault
  /** The child's pid, for a stdio transport once started. */
  pid?: number
  private readonly pending = new Set<RequestId>()
  private readonly issued = new Set<RequestId>()

  constructor(
    readonly inner: Transport,
    private readonly maxMessageBytes: number,
    /** `cancelled`: told the id of each request the client cancels (the HTTP transport aborts its response then). */
    private readonly hooks: { cancelled?: (id: RequestId) => void } = {},
  ) {
    inner.onmessage = (message, extra) => this.receive(message, extra)
    inner.onerror = (error) => this.failed(error)
    inner.onclose = () => this.onclose?.()
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version)
  }

  async start(): Promise<void> {
    await this.inner.start()
    const pid = (this.inner as { pid?: unknown }).pid
    if (typeof pid === 'number') this.pid = pid
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message && 'id' in message) {
      this.pending.add(message.id)
      this.remember(message.id)
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      // A cancelled request expects no reply; a late one is recognised by `issued`.
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId
      if (id !== undefined) {
        this.pending.delete(id)
        this.hooks.cancelled?.(id)
      }
    }
    return this.inner.send(message, options)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  private receive(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (this.fault) return
    if (!('method' in message) && 'id' in message) {
      const id = message.id as RequestId
      if (!this.pending.delete(id)) {
        // A reply to a request that timed out or was cancelled: the caller has moved on.
        if (this.issued.has(id)) return
        this.end(`a response for request id ${JSON.stringify(id)}, which was never sent`)
        return
      }
    }
    this.onmessage?.(message, extra)
  }

  private failed(error: Error): void {
    const reason = violation(error, this.maxMessageBytes)
    if (reason) this.end(reason)
    else this.onerror?.(error)
  }

  private end(reason: string): void {
    if (this.fault) return
    this.fault = { reason }
    this.onerror?.(new Error(`protocol violation: ${reason}`))
    this.inner.close().catch(() => undefined)
  }

  /** Ids of requests sent, so a late reply is told from one to a request never made. Bounded: old ids are forgotten. */
  private remember(id: RequestId): void {
    this.issued.add(id)
    if (this.issued.size > 10_000) this.issued.delete(this.issued.values().next().value as RequestId)
  }
}

/** The protocol violation an SDK transport error stands for, or undefined for an I/O error. */
export function violation(error: unknown, maxMessageBytes: number): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof McpMessageTooLargeError) return current.message
    if (!(current instanceof Error)) break
    if (current instanceof SyntaxError) return `a message that is not JSON (${current.message})`
    if (current.name === 'ZodError' || Array.isArray((current as { issues?: unknown }).issues)) return 'a message that is not valid JSON-RPC'
    // The SDK's stdio read buffer, past the size it was given.
    if (/ReadBuffer exceeded maximum size/.test(current.message)) return `a message larger than the limit of ${maxMessageBytes} bytes`
    // The HTTP body that errored with McpMessageTooLargeError, as the SDK rewraps it.
    if (/a message larger than the limit of \d+ bytes/.test(current.message)) return `a message larger than the limit of ${maxMessageBytes} bytes`
  }
  return undefined
}
