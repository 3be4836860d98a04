import type { AgentRouteInfo, AgentRunner, RunOptions, RunResult, StreamEvent, ThreadState } from '../../../../framework/contracts/agent_run'
import { E_AGENT_NOT_FOUND } from '../../../../framework/errors'

/**
 * An AgentRunner whose agents answer with what reached them: the principal
 * of the read-only request context and the input. Enough to test what the
 * HTTP layer's auth and throttle middleware let through and with which identity.
 */
export class WhoAmIRunner implements AgentRunner {
  readonly calls: Array<{ path: string; input: unknown; options: RunOptions }> = []
  private readonly infos: AgentRouteInfo[]

  constructor(routes: Record<string, string[]>) {
    this.infos = Object.entries(routes).map(([path, middleware]) => ({
      path,
      name: path.slice(1),
      agent: 'WhoAmIAgent',
      middleware,
      checkpointer: 'memory',
      interrupts: [],
      tools: [],
    }))
  }

  routes(): AgentRouteInfo[] {
    return this.infos
  }

  route(path: string): AgentRouteInfo {
    const info = this.infos.find((route) => route.path === path)
    if (!info) throw new E_AGENT_NOT_FOUND(path)
    return info
  }

  async invoke(path: string, input: unknown, options: RunOptions = {}): Promise<RunResult> {
    this.route(path)
    this.calls.push({ path, input, options })
    return { output: { principal: options.context?.principal ?? null, input }, threadId: options.threadId ?? 'generated', interrupts: [] }
  }

  async stream(path: string, input: unknown, options: RunOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    const result = await this.invoke(path, input, options)
    return (async function* (): AsyncGenerator<StreamEvent> {
      yield { event: 'values', data: result.output }
    })()
  }

  async resume(path: string, threadId: string, value: unknown, options: RunOptions = {}): Promise<RunResult> {
    return this.invoke(path, { resumed: value }, { ...options, threadId })
  }

  async getState(path: string, threadId: string): Promise<ThreadState> {
    this.route(path)
    return { threadId, values: {}, next: [], interrupts: [] }
  }

  async getHistory(): Promise<ThreadState[]> {
    return []
  }

  async graph(): Promise<string> {
    return 'graph TD;'
  }
}
