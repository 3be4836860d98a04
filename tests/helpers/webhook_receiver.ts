import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhookSignature } from '../../framework/webhooks/signature'

export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/** How the receiver answers one request: a status, or a function that takes the response over. */
export type Answer = number | ((res: ServerResponse) => void)

/**
 * A local HTTP server standing in for a webhook receiver: it records every
 * request (raw body included) and answers from a script, then 200.
 */
export class Receiver {
  readonly received: Received[] = []
  readonly script: Answer[] = []
  /** Requests in progress now, and the most ever at once. */
  open = 0
  mostOpen = 0
  private server?: Server
  private readonly held = new Set<ServerResponse>()

  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        this.open += 1
        this.mostOpen = Math.max(this.mostOpen, this.open)
        res.on('close', () => {
          this.open -= 1
          this.held.delete(res)
        })
        this.held.add(res)
        const answer = this.script.shift() ?? 200
        if (typeof answer === 'number') res.writeHead(answer).end()
        else answer(res)
      })
    })
    await new Promise<void>((resolve) => this.server?.listen(0, host, resolve))
    return this
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port
  }

  url(host = '127.0.0.1', path = '/hook'): string {
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}${path}`
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy()
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

/** True when the request carries a valid Langvel webhook signature of its body with `secret`, as a receiver in production checks it. */
export function signedWith(received: Received, secret: string): boolean {
  const header = (name: string) => received.headers[name] as string | undefined
  return verifyWebhookSignature({ secret, body: received.body, timestamp: header('x-langvel-timestamp'), deliveryId: header('x-langvel-delivery'), signature: header('x-langvel-signature') })
}
