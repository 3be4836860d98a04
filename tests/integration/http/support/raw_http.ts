import { connect } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** Bytes of the status line and headers, the blank line included: where `body` starts in the raw response. */
  headBytes: number
  /** Chunks of the request body written before the response began. */
  chunksBeforeResponse: number
  chunksSent: number
  closed: boolean
}

/**
 * Speaks HTTP/1.1 over a plain socket, so a test can send what no HTTP
 * client would: lying Content-Length, endless chunked bodies, raw paths.
 * Body chunks are written one per `gapMs` until the server answers or closes.
 */
export function rawRequest(port: number, head: string, chunks: Array<string | Buffer> = [], gapMs = 10, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    let sent = 0
    let firstResponseAt: number | undefined
    let timer: NodeJS.Timeout | undefined
    const deadline = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete response within ${timeoutMs} ms`))
    }, timeoutMs)
    const finish = () => {
      clearTimeout(deadline)
      clearInterval(timer)
      const text = Buffer.concat(received).toString('latin1')
      const [headText, ...rest] = text.split('\r\n\r\n')
      const [statusLine, ...headerLines] = headText.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), headBytes: headText.length + 4, chunksBeforeResponse: firstResponseAt ?? sent, chunksSent: sent, closed: true })
    }
    socket.on('data', (data) => {
      firstResponseAt ??= sent
      received.push(data)
    })
    socket.on('error', () => undefined)
    socket.on('close', finish)
    socket.write(head)
    if (chunks.length > 0) {
      timer = setInterval(() => {
        if (sent >= chunks.length || socket.destroyed || firstResponseAt !== undefined) return clearInterval(timer)
        socket.write(chunks[sent++])
      }, gapMs)
    }
  })
}

/** One chunk of a chunked transfer encoding body. */
export function chunk(data: string | Buffer): Buffer {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data)
  return Buffer.concat([Buffer.from(`${buffer.length.toString(16)}\r\n`), buffer, Buffer.from('\r\n')])
}

export interface ParsedResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Writes `data` on a plain socket and reads every response until the server
 * closes the connection (or `timeoutMs` passes: then `closed` is false).
 * Pipelined answers come back in order, parsed by their Content-Length.
 */
export function rawExchange(port: number, data: string | Buffer, timeoutMs = 5000): Promise<{ responses: ParsedResponse[]; raw: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    const finish = (closed: boolean) => {
      clearTimeout(deadline)
      socket.destroy()
      const raw = Buffer.concat(received).toString('latin1')
      resolve({ responses: parseResponses(raw), raw, closed })
    }
    const deadline = setTimeout(() => finish(false), timeoutMs)
    socket.on('data', (chunk) => received.push(chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => finish(true))
    socket.write(data)
  })
}

function parseResponses(raw: string): ParsedResponse[] {
  const responses: ParsedResponse[] = []
  let rest = raw
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) break
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return responses
}
