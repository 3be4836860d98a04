import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

/** A request a receiver got: its method, path, headers and body (decompressed, as text). */
export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/** How a receiver answers: `answer` (200 `{}`), `hang` (holds the request open), or an error status. */
export type ReceiverMode = 'answer' | 'hang' | number

/**
 * A local HTTP receiver that records every request. `GET /info` (LangSmith's
 * server information) and every other request (uploads) each answer as
 * their mode says.
 */
export class Receiver {
  readonly requests: Received[] = []
  /** Requests held open, in arrival order. */
  readonly held: Array<{ request: Received; res: ServerResponse }> = []
  private server?: Server
  port = 0

  constructor(private readonly modes: { info?: ReceiverMode | (() => ReceiverMode); uploads?: ReceiverMode } = {}) {}

  /** Answers every held request, and every later one, with 200 `{}`. */
  release(): void {
    this.modes.info = 'answer'
    this.modes.uploads = 'answer'
    for (const { res } of this.held.splice(0)) if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  }

  /** True while a held request waits unanswered on an open connection. */
  static open(res: ServerResponse): boolean {
    return !res.headersSent && !res.writableEnded && res.socket !== null && !res.socket.destroyed
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        let raw = Buffer.concat(chunks)
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw)
        const path = (req.url ?? '').split('?')[0]
        const request = { method: req.method ?? '', path, headers: req.headers, body: raw.toString('utf8') }
        this.requests.push(request)
        const info = this.modes.info
        const mode = req.method === 'GET' && path === '/info' ? (typeof info === 'function' ? info() : (info ?? 'answer')) : (this.modes.uploads ?? 'answer')
        if (mode === 'hang') return void this.held.push({ request, res })
        if (typeof mode === 'number') return void res.writeHead(mode, { 'content-type': 'application/json' }).end('{"detail":"unavailable"}')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Requests other than LangSmith's server information. */
  get uploads(): Received[] {
    return this.requests.filter((request) => request.path !== '/info')
  }

  get infoRequests(): Received[] {
    return this.requests.filter((request) => request.path === '/info')
  }

  async stop(): Promise<void> {
    for (const { res } of this.held) res.destroy()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}

export interface LangSmithRun {
  id: string
  name?: string
  parent_run_id?: string
  trace_id?: string
  extra?: { metadata?: Record<string, unknown> }
}

/** The run creations and updates in LangSmith uploads: JSON batches (`{ post, patch }`), single runs, or multipart parts `post.<id>` / `patch.<id>`. */
export function langsmithRuns(uploads: Received[]): LangSmithRun[] {
  const runs: LangSmithRun[] = []
  for (const request of uploads) {
    const type = String(request.headers['content-type'] ?? '')
    const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2]
    if (boundary) {
      // Parts `post.<id>` carry a run; `post.<id>.<field>` (inputs, outputs, extra...) one of its fields.
      const byId = new Map<string, Record<string, unknown>>()
      for (const part of request.body.split(`--${boundary}`)) {
        const match = /name="(post|patch)\.([^".]+)(?:\.([^"]+))?"/.exec(part)
        if (!match) continue
        const value = JSON.parse(part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '')) as unknown
        const key = `${match[1]}.${match[2]}`
        const item = byId.get(key) ?? {}
        if (match[3]) item[match[3]] = value
        else Object.assign(item, value)
        byId.set(key, item)
      }
      runs.push(...([...byId.values()] as unknown as LangSmithRun[]))
      continue
    }
    const body = JSON.parse(request.body) as { post?: LangSmithRun[]; patch?: LangSmithRun[] } & LangSmithRun
    if (body.post || body.patch) runs.push(...(body.post ?? []), ...(body.patch ?? []))
    else runs.push(body)
  }
  return runs
}
