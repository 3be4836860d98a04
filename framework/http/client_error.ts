import { randomUUID } from 'node:crypto'
import { maxHeaderSize as DEFAULT_MAX_HEADER_SIZE, STATUS_CODES, type ServerResponse, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { E_BAD_REQUEST, E_HEADERS_TOO_LARGE, E_REQUEST_TIMEOUT, Exception } from '../errors'
import type { Logger } from '../logger'
import type { ExceptionHandler } from './exception_handler'

export interface ClientErrorOptions {
  exceptionHandler: ExceptionHandler
  logger: Logger
  /** How long a refused connection may linger, so the client reads the answer before the socket is destroyed. */
  lingerMs?: number
}

type ParserError = Error & { code?: string; reason?: string }

/** Node's parser and timeout errors as Langvel errors; undefined for socket errors (ECONNRESET, EPIPE...), which get no answer. */
function toException(error: ParserError, maxHeaderSize: number): Exception | undefined {
  const code = error.code ?? ''
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new E_REQUEST_TIMEOUT()
  if (code === 'HPE_HEADER_OVERFLOW') return new E_HEADERS_TOO_LARGE(maxHeaderSize)
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return new Exception('Chunk extensions of the request body are too large', { code: 'E_PAYLOAD_TOO_LARGE', status: 413 })
  // llhttp's reasons ("Transfer-Encoding can't be present with Content-Length") describe the request, not the server.
  if (code.startsWith('HPE_')) return new E_BAD_REQUEST(`Malformed HTTP request: ${error.reason ?? 'the parser refused it'}`)
  return undefined
}

/**
 * Answers what Node's HTTP parser refuses before a request exists (a
 * Content-Length with Transfer-Encoding, bytes past a too-small Content-Length,
 * oversized headers, the headers and request timeouts) the way every other
 * error is answered: the JSON error body with a code, an X-Request-Id equal to
 * its trace id, and the right status (400, 408, 413, 431); then closes the
 * connection, whose byte stream can no longer be trusted. Nothing is written
 * over a response already under way, and a reset connection is only destroyed.
 *
 * @example
 * answerClientErrors(nodeServer, { exceptionHandler, logger })
 */
export function answerClientErrors(server: Server, options: ClientErrorOptions): void {
  const lingerMs = options.lingerMs ?? 1000
  const answered = new WeakSet<Socket>()

  server.on('clientError', (error: ParserError, socket: Socket) => {
    if (answered.has(socket)) return
    answered.add(socket)
    // A server created without the option leaves it unset and uses Node's default (--max-http-header-size).
    const exception = toException(error, (server as { maxHeaderSize?: number }).maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE)
    // The response attached to the socket, as Node's own default handler reads it: writing an
    // answer into one that has started would corrupt it. (Read here, when a parser error happens,
    // rather than tracking every response on every request.)
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (!exception || !socket.writable || current?.headersSent) {
      socket.destroy()
      return
    }
    const requestId = randomUUID()
    const rendered = options.exceptionHandler.render(exception, requestId)
    if (options.logger.isLevelEnabled('debug')) {
      options.logger.debug('request refused by the HTTP parser', { requestId, code: error.code, reason: error.reason, remoteAddress: socket.remoteAddress })
    }
    const payload = JSON.stringify(rendered.body)
    const headers: Record<string, string | number> = {
      ...rendered.headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(payload),
      'X-Request-Id': requestId,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      Connection: 'close',
    }
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
    const destroy = setTimeout(() => socket.destroy(), lingerMs)
    destroy.unref()
    socket.once('close', () => clearTimeout(destroy))
    // Whatever the client still sends is read and dropped, so the answer is not lost to a TCP reset.
    socket.resume()
    socket.end(`HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status] ?? ''}\r\n${head}\r\n${payload}`)
  })
}
