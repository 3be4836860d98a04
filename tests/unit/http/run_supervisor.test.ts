import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import winston from 'winston'
import type { AgentRouteInfo } from '../../../framework/contracts/agent_run'
import { ConcurrencyLimiter } from '../../../framework/http/concurrency_limiter'
import { HttpContext } from '../../../framework/http/context'
import { RunSupervisor } from '../../../framework/http/run_supervisor'
import { createLogger } from '../../../framework/logger'
import { Metrics } from '../../../framework/observability/metrics'

const logger = createLogger({ name: 'test', transports: [new winston.transports.Console({ silent: true })] })
const route = { path: '/echo', agent: 'EchoAgent', name: 'echo', middleware: [], checkpointer: 'memory', timeoutSeconds: 30 } as unknown as AgentRouteInfo

function context(): HttpContext {
  const req = new IncomingMessage(new Socket())
  req.method = 'POST'
  req.url = '/agents/echo'
  return new HttpContext(req, new ServerResponse(req), logger)
}

function supervisor(): RunSupervisor {
  return new RunSupervisor({ limiter: new ConcurrencyLimiter({ maxConcurrent: 10, maxQueue: 10 }), metrics: new Metrics(), logger })
}

describe('RunSupervisor turns', () => {
  it('starts the runs of requests that arrived in separate callbacks of one turn together, so they advance side by side', async () => {
    const runs = supervisor()
    const order: string[] = []
    // A run of a few awaited steps, as a graph run is: no I/O between them.
    const work = (name: string) => async () => {
      order.push(`${name} start`)
      for (let step = 1; step <= 2; step++) {
        await Promise.resolve()
        order.push(`${name} step ${step}`)
      }
      return name
    }
    // Each request arrives in a callback of its own (an I/O callback in the server), with its own microtask drain.
    const results = await new Promise<string[]>((resolve) => {
      const pending: Array<Promise<string>> = []
      setImmediate(() => pending.push(runs.supervise(context(), route, work('a'))))
      setImmediate(() => {
        pending.push(runs.supervise(context(), route, work('b')))
        void Promise.all(pending).then(resolve)
      })
    })
    expect(results).toEqual(['a', 'b'])
    // Run from their own callbacks, a would have finished before b started.
    expect(order).toEqual(['a start', 'b start', 'a step 1', 'b step 1', 'a step 2', 'b step 2'])
  })

  it('still starts a lone run, and hands one stopped while waiting for its turn an aborted deadline (the runner then runs nothing)', async () => {
    const runs = supervisor()
    await expect(runs.supervise(context(), route, async () => 'alone')).resolves.toBe('alone')

    let seen: boolean | undefined
    const stopped = runs.supervise(context(), route, async (deadline) => {
      seen = deadline.signal.aborted
      if (deadline.reason) throw deadline.reason
      return 'ran'
    })
    // The shutdown grace ran out before the turn ended.
    await Promise.resolve()
    await Promise.resolve()
    runs.abortAll(new Error('shutting down'))
    await expect(stopped).rejects.toThrow('shutting down')
    expect(seen).toBe(true)
    expect(runs.size).toBe(0)
  })
})

describe('RunSupervisor slots', () => {
  function withLimiter(abortGraceMs: number) {
    const warnings: string[] = []
    const capture = createLogger({ name: 'test', transports: [new winston.transports.Console({ silent: true })] })
    capture.warn = ((message: string) => {
      warnings.push(message)
      return capture
    }) as typeof capture.warn
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueue: 5 })
    return { limiter, warnings, runs: new RunSupervisor({ limiter, metrics: new Metrics(), logger: capture, abortGraceMs }) }
  }

  it('answers a stopped run at once but holds its slot until the run has really finished', async () => {
    const { limiter, warnings, runs } = withLimiter(60_000)
    let finish!: () => void
    const stopped = runs.supervise(context(), route, (deadline) => deadline.race(new Promise<string>((resolve) => (finish = () => resolve('late')))))
    await new Promise((resolve) => setImmediate(resolve))
    runs.abortAll(new Error('shutting down'))

    await expect(stopped).rejects.toThrow('shutting down')
    expect(limiter.active).toBe(1)
    const next = runs.supervise(context(), route, async () => 'next')
    finish()

    await expect(next).resolves.toBe('next')
    expect(warnings).toEqual([])
  })

  it('reclaims the slot after the grace period when the stopped run never finishes, and says so', async () => {
    const { limiter, warnings, runs } = withLimiter(30)
    const stopped = runs.supervise(context(), route, (deadline) => deadline.race(new Promise<string>(() => undefined)))
    await new Promise((resolve) => setImmediate(resolve))
    runs.abortAll(new Error('shutting down'))

    await expect(stopped).rejects.toThrow('shutting down')
    expect(limiter.active).toBe(1)
    await expect(runs.supervise(context(), route, async () => 'next')).resolves.toBe('next')
    expect(warnings).toEqual(['agent run did not stop after its abort; releasing its slot'])
  })
})
