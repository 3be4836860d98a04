import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: any
  /** performance.now() when the request arrived. */
  at: number
  /** Set when the client hung up before the response ended (a cancelled call). */
  closedEarly: boolean
  /** Resolves with `closedEarly` once the response has closed, whichever side ended it. */
  closed: Promise<boolean>
}

export interface SseEvent {
  event?: string
  data: unknown
}

/** What the server answers: JSON, an SSE stream, no answer at all, or a dropped connection. */
export type Scripted =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { sse: SseEvent[]; delayMs?: number }
  | { hang: true }
  | { destroy: true }

export type Responder = (request: RecordedRequest) => Scripted

/**
 * A local HTTP server speaking a model provider's wire format, so the real
 * LangChain clients (@langchain/openai, @langchain/anthropic) are tested
 * offline: every request is recorded, and answers come from per-path queues
 * or a fallback.
 *
 * @example
 * const server = await ProviderServer.start(openaiEcho)
 * server.queue('/v1/chat/completions', { status: 429, headers: { 'retry-after': '1' }, json: { error: {} } })
 */
export class ProviderServer {
  readonly requests: RecordedRequest[] = []
  private readonly queues = new Map<string, Scripted[]>()
  private readonly open = new Set<ServerResponse>()

  private constructor(
    private readonly server: Server,
    private readonly fallback: Responder,
  ) {}

  static async start(fallback: Responder): Promise<ProviderServer> {
    const holder: { instance?: ProviderServer } = {}
    const server = createServer((req, res) => holder.instance?.handle(req, res))
    const instance = new ProviderServer(server, fallback)
    holder.instance = instance
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return instance
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  queue(path: string, ...responses: Scripted[]): this {
    this.queues.set(path, [...(this.queues.get(path) ?? []), ...responses])
    return this
  }

  reset(): void {
    this.requests.length = 0
    this.queues.clear()
  }

  /** Resolves once `count` requests have arrived. */
  async waitForRequests(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${this.requests.length}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let onClose!: (closedEarly: boolean) => void
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0],
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
        at: performance.now(),
        closedEarly: false,
        closed: new Promise<boolean>((resolve) => (onClose = resolve)),
      }
      this.requests.push(recorded)
      this.open.add(res)
      res.on('close', () => {
        if (!res.writableEnded) recorded.closedEarly = true
        this.open.delete(res)
        onClose(recorded.closedEarly)
      })
      const scripted = this.queues.get(recorded.path)?.shift() ?? this.fallback(recorded)
      void this.answer(res, scripted)
    })
  }

  private async answer(res: ServerResponse, scripted: Scripted): Promise<void> {
    if ('hang' in scripted) return
    if ('destroy' in scripted) {
      res.socket?.destroy()
      return
    }
    if ('json' in scripted) {
      res.writeHead(scripted.status ?? 200, { 'content-type': 'application/json', ...scripted.headers })
      res.end(JSON.stringify(scripted.json))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    for (const item of scripted.sse) {
      if (res.destroyed) return
      const data = typeof item.data === 'string' ? item.data : JSON.stringify(item.data)
      res.write(`${item.event ? `event: ${item.event}\n` : ''}data: ${data}\n\n`)
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs))
    }
    res.end()
  }
}
