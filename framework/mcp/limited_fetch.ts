import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'
import { McpMessageTooLargeError } from './guarded_transport'

const LF = 0x0a
const CR = 0x0d

/**
 * A fetch for the SDK's streamable HTTP transport that bounds each message
 * the server sends: a JSON body as a whole, an event stream event by event
 * (the bytes since the last blank line). Past the limit the body errors
 * with McpMessageTooLargeError instead of growing in memory.
 */
export function limitedFetch(maxBytes: number, base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const response = await base(url, init)
    if (!response.body) return response
    let sinceBoundary = 0
    let previous = 0
    let beforePrevious = 0
    const limiter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        let start = 0
        let index = chunk.indexOf(LF)
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
    })
    return new Response(response.body.pipeThrough(limiter), { status: response.status, statusText: response.statusText, headers: response.headers })
  }
}
