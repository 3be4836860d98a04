import type { Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { E_ABORTED, E_BAD_REQUEST, E_PAYLOAD_TOO_LARGE, E_UNSUPPORTED_MEDIA_TYPE } from '../../errors'
import type { HttpMiddleware } from '../compose'
import type { HttpContext } from '../context'

export interface JsonBodyOptions {
  /** MAX_REQUEST_BODY_BYTES: applies to the bytes received and, separately, to the bytes decoded. */
  limit: number
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH'])
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
}

/** The codings a client may send, as RFC 7694 asks a 415 for an unknown one to list in Accept-Encoding. */
const SUPPORTED_ENCODINGS = ['gzip', 'deflate', 'br']

/** 415 for a Content-Encoding that cannot be decoded: names it and what can be sent instead. */
class UnsupportedEncodingError extends E_UNSUPPORTED_MEDIA_TYPE {
  readonly headers = { 'Accept-Encoding': SUPPORTED_ENCODINGS.join(', ') }

  constructor(encoding: string) {
    super(encoding)
    this.message = `Unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 100))}; send the body uncompressed (identity) or as ${SUPPORTED_ENCODINGS.join(', ')}`
  }
}

/**
 * Reads a JSON request body into `ctx.body` without trusting the client about
 * its size. The limit is checked against the declared Content-Length (a large
 * one is refused before a byte is read), against the bytes actually received
 * (a missing, false or chunked length changes nothing) and against the bytes
 * after decompression (a gzip bomb stops at the limit). Refusal happens while
 * the body streams in: the rest is discarded, never buffered, and the
 * connection is closed after the 413.
 *
 * @example
 * kernel.route('POST', '/echo', (ctx) => ctx.json(200, ctx.body), [jsonBody({ limit: 1_048_576 })])
 */
export function jsonBody(options: JsonBodyOptions): HttpMiddleware {
  return {
    name: 'json_body',
    async handle(ctx, next) {
      if (METHODS_WITH_BODY.has(ctx.method)) ctx.body = await readJsonBody(ctx, options.limit)
      return next()
    },
  }
}

/** Reads and parses the body; throws typed errors (400, 413, 415) for the exception handler. */
export async function readJsonBody(ctx: HttpContext, limit: number): Promise<unknown> {
  const headers = ctx.req.headers
  const contentType = headers['content-type']
  const declared = headers['content-length']
  const hasBody = headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0')

  if (contentType !== undefined) checkContentType(contentType)
  if (!hasBody) throw new E_BAD_REQUEST('Request body is required: send a JSON object')
  if (contentType === undefined) throw new E_UNSUPPORTED_MEDIA_TYPE('(none)')
  if (declared !== undefined && Number(declared) > limit) {
    refuseRestOfBody(ctx)
    throw new E_PAYLOAD_TOO_LARGE(limit)
  }

  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  // Own keys only: `constructor` or `__proto__` must not find Object's.
  const decoder = encoding === 'identity' || !Object.hasOwn(DECODERS, encoding) ? undefined : DECODERS[encoding]()
  if (encoding !== 'identity' && !decoder) throw new UnsupportedEncodingError(encoding)

  const raw = await collect(ctx, limit, decoder)
  return parseJson(raw)
}

function checkContentType(header: string): void {
  const [type, ...params] = header.split(';')
  if (!JSON_TYPE.test(type.trim().toLowerCase())) throw new E_UNSUPPORTED_MEDIA_TYPE(type.trim())
  for (const param of params) {
    const [key, value = ''] = param.split('=')
    if (key.trim().toLowerCase() === 'charset' && !/^"?utf-?8"?$/i.test(value.trim())) {
      throw new E_UNSUPPORTED_MEDIA_TYPE(header.trim())
    }
  }
}

function collect(ctx: HttpContext, limit: number, decoder?: Transform): Promise<Buffer> {
  const req = ctx.req
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    let decoded = 0
    let settled = false
    const source = decoder ?? req

    const settle = (error?: unknown): void => {
      if (settled) return
      settled = true
      req.off('data', onRaw)
      req.off('close', onClose)
      source.off('data', onData)
      source.off('end', onEnd)
      source.off('error', onError)
      if (error === undefined) return resolve(Buffer.concat(chunks, decoded))
      chunks.length = 0
      if (decoder) {
        req.unpipe(decoder)
        decoder.destroy()
      }
      if (error instanceof E_PAYLOAD_TOO_LARGE) refuseRestOfBody(ctx)
      reject(error)
    }
    // Bytes as received: a compressed body is limited before decompression too.
    const onRaw = (chunk: Buffer): void => {
      received += chunk.length
      if (received > limit) settle(new E_PAYLOAD_TOO_LARGE(limit))
    }
    const onData = (chunk: Buffer): void => {
      decoded += chunk.length
      if (decoded > limit) return settle(new E_PAYLOAD_TOO_LARGE(limit))
      chunks.push(chunk)
    }
    const onEnd = (): void => settle()
    const onError = (): void => settle(new E_BAD_REQUEST('Request body could not be decoded (check Content-Encoding)'))
    const onClose = (): void => {
      if (!req.complete) settle(new E_ABORTED('client disconnected while sending the body'))
    }

    req.on('close', onClose)
    if (decoder) {
      req.on('data', onRaw)
      req.pipe(decoder)
    }
    source.on('data', onData)
    source.on('end', onEnd)
    source.on('error', onError)
  })
}

/**
 * After a 413 the rest of the body is read and dropped (so the response is not
 * lost to a TCP reset) and the connection closes once the answer is out.
 */
function refuseRestOfBody(ctx: HttpContext): void {
  const { req, res } = ctx
  res.setHeader('Connection', 'close')
  req.resume()
  res.once('finish', () => {
    // A client that keeps sending after the answer loses the connection soon after.
    setTimeout(() => req.socket.destroy(), 1000).unref()
  })
}

/**
 * Strict UTF-8: a body with invalid byte sequences is refused rather than run
 * with U+FFFD in place of what the client sent. One leading byte order mark is
 * dropped (RFC 8259 lets a parser ignore it); the decoder does that itself.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true })

function parseJson(raw: Buffer): unknown {
  let text: string
  try {
    text = UTF8.decode(raw)
  } catch {
    throw new E_BAD_REQUEST('Request body is not valid UTF-8')
  }
  if (text.trim() === '') throw new E_BAD_REQUEST('Request body is empty: send a JSON object')
  try {
    // Own "__proto__" keys are dropped so no later merge can change a prototype.
    return text.includes('"__proto__"') ? JSON.parse(text, dropProtoKeys) : JSON.parse(text)
  } catch (error) {
    throw new E_BAD_REQUEST(`Malformed JSON in request body: ${(error as Error).message}`)
  }
}

function dropProtoKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value
}
