import type { Socket } from 'node:net'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'
import { rawRequest } from './support/raw_http'

const S = defineState({ query: z.string(), seen: z.string().optional() })

/** What the server's side of the connection had written when the graph's first node ran. */
const probe: { socket?: Socket; writtenAtFirstNode?: number; corkedAtFirstNode?: number } = {}

class ProbeAgent extends Agent<typeof S> {
  state = S
  build(graph: GraphBuilder<typeof S>) {
    return graph
      .then(function first() {
        probe.writtenAtFirstNode = probe.socket?.bytesWritten
        probe.corkedAtFirstNode = probe.socket?.writableCorked
        return { seen: 'first' }
      })
      .then(function second() {
        return { seen: 'second' }
      })
  }
}

describe('a stream starts at once', () => {
  let app: Application
  let server: HttpServer
  let port: number

  beforeAll(async () => {
    app = await Application.create({
      env: { ...process.env, APP_ENV: 'test', STATE_CHECKPOINTER: 'memory' },
      loadDotenv: false,
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    }).boot()
    // Every step of this graph resolves as a promise, as on a synchronous checkpointer: no I/O turn in between.
    const runner = new AgentRunner({ routes: [{ path: '/probe', agent: ProbeAgent, middleware: [] }], resolveCheckpointer: () => undefined, logger: app.logger })
    server = createServer({ app, runner, health: { database: 'off', checkpointer: 'off' } })
    port = (await server.listen(0, '127.0.0.1')).port
    server.nodeServer?.on('connection', (socket: Socket) => {
      probe.socket = socket
    })
  })

  afterAll(async () => {
    await server.shutdown(1)
    await app.shutdown()
  })

  it('has written the metadata event to the client before the first step of the graph runs', async () => {
    const body = JSON.stringify({ input: { query: 'q' }, stream: true, stream_mode: 'updates' })
    const head = `POST /agents/probe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
    const response = await rawRequest(port, head, [body])

    expect(response.status).toBe(200)
    const events = [...response.body.matchAll(/event: (\w+)/g)].map((match) => match[1])
    expect(events).toEqual(['metadata', 'updates', 'updates', 'end'])
    // The raw response up to the end of the metadata frame (status line, headers, chunk framing, the frame)
    // had left the server when the first node ran; nothing was held back in a corked socket.
    const metadataFrameEnd = response.body.indexOf('\n\n', response.body.indexOf('event: metadata')) + 2
    expect(probe.corkedAtFirstNode).toBe(0)
    expect(probe.writtenAtFirstNode).toBeGreaterThanOrEqual(response.headBytes + metadataFrameEnd)
  })
})
