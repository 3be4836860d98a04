import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'
import { McpMessageTooLargeError } from './guarded_transport'

const LF = 0x0a
const CR = 0x0d

type RequestId = string | number

/**
 * The response of each request in flight, by JSON-RPC id, so a cancelled
 * request's response is closed at once rather than left open until the
 * server answers (or the session ends).
 */
export class RequestAborts {
  private readonly byId = new Map<RequestId, AbortController>()

  track(id: RequestId, controller: AbortController): void {
    this.byId.set(id, controller)
  }

  forget(id: RequestId, controller: AbortController): void {
    if (this.byId.get(id) === controller) this.byId.delete(id)
  }

  abort(id: RequestId): void {
    this.byId.get(id)?.abort()
    this.byId.delete(id)
  }

  get size(): number {
    return this.byId.size
  }
}

/** The id of the JSON-RPC request a POST body carries, if it carries one. */
function requestId(body: unknown): RequestId | undefined {
  if (typeof body !== 'string') return undefined
  try {
    const message = JSON.parse(body) as { id?: unknown; method?: unknown }
    return typeof message.method === 'string' && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : undefined
  } catch {
    return undefined
  }
}

/**
 * A fetch for the SDK's streamable HTTP transport that bounds each message
 * the server sends: an event stream event by event (the bytes since the last
 * blank line), any other body as a whole. Past the limit the body errors
 * with McpMessageTooLargeError instead of growing in memory. With `aborts`,
 * each request's response can be closed by its JSON-RPC id.
 */
export function limitedFetch(maxBytes: number, options: { aborts?: RequestAborts; base?: FetchLike } = {}): FetchLike {
  const base = options.base ?? fetch
  return async (url, init) => {
    const id = options.aborts ? requestId(init?.body) : undefined
    const own = id === undefined ? undefined : new AbortController()
    if (own && id !== undefined) {
      options.aborts?.track(id, own)
      init = { ...init, signal: init?.signal ? AbortSignal.any([init.signal, own.signal]) : own.signal }
    }
    const done = () => {
      if (own && id !== undefined) options.aborts?.forget(id, own)
    }
    let response: Response
    try {
      response = await base(url, init)
    } catch (error) {
      done()
      throw error
    }
    if (!response.body) {
      done()
      return response
    }
    const perEvent = (response.headers.get('content-type') ?? '').includes('text/event-stream')
    let sinceBoundary = 0
    let previous = 0
    let beforePrevious = 0
    const limiter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let start = 0
        let index = perEvent ? chunk.indexOf(LF) : -1
        while (index !== -1) {
          const one = index > 0 ? chunk[index - 1] : previous
          const two = index > 1 ? chunk[index - 2] : index === 1 ? previous : beforePrevious
          // "\n\n" or "\r\n\r\n" ends an event: it is measured whole, and the next one starts from zero.
          if (one === LF || (one === CR && two === LF)) {
            if (sinceBoundary + (index + 1 - start) > maxBytes) return controller.error(new McpMessageTooLargeError(maxBytes))
            sinceBoundary = 0
            start = index + 1
          }
          index = chunk.indexOf(LF, index + 1)
        }
        sinceBoundary += chunk.length - start
        beforePrevious = chunk.length > 1 ? chunk[chunk.length - 2] : previous
        previous = chunk.length > 0 ? chunk[chunk.length - 1] : previous
        if (sinceBoundary > maxBytes) return controller.error(new McpMessageTooLargeError(maxBytes))
        controller.enqueue(chunk)
      },
      flush: done,
    })
    const body = response.body.pipeThrough(limiter)
    // An aborted or broken response body ends here too.
    own?.signal.addEventListener('abort', done, { once: true })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
}
