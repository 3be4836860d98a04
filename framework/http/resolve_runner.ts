import type { AgentRouteInfo, AgentRunner, RunResult, StreamEvent, ThreadState } from '../contracts/agent_run'
import { E_AGENT_NOT_FOUND } from '../errors'
import type { Application } from '../foundation/application'

/**
 * The AgentRunner `langvel serve` serves.
 *
 * TODO(lead): wire to the real runner once framework/agents is settled, e.g.
 *   new AgentRunner({ router: loadRoutes(app.codePathFor('routes', 'agents')),
 *     resolveCheckpointer: (name) => app.make('checkpointer').use(name),
 *     logger: app.logger, defaultTimeoutSeconds: app.config.get('server').agentTimeoutSeconds })
 * Until then the server starts with no agent routes (health, metrics and
 * /agents answer; every agent path is 404).
 *
 * @example
 * const runner = await resolveRunner(app)
 */
export async function resolveRunner(_app: Application): Promise<AgentRunner> {
  return new NoAgentsRunner()
}

class NoAgentsRunner implements AgentRunner {
  routes(): AgentRouteInfo[] {
    return []
  }
  route(path: string): AgentRouteInfo {
    throw new E_AGENT_NOT_FOUND(path)
  }
  invoke(path: string): Promise<RunResult> {
    return Promise.reject(new E_AGENT_NOT_FOUND(path))
  }
  // eslint-disable-next-line require-yield
  async *stream(path: string): AsyncIterable<StreamEvent> {
    throw new E_AGENT_NOT_FOUND(path)
  }
  resume(path: string): Promise<RunResult> {
    return Promise.reject(new E_AGENT_NOT_FOUND(path))
  }
  getState(path: string): Promise<ThreadState> {
    return Promise.reject(new E_AGENT_NOT_FOUND(path))
  }
  getHistory(path: string): Promise<ThreadState[]> {
    return Promise.reject(new E_AGENT_NOT_FOUND(path))
  }
  graph(path: string): Promise<string> {
    return Promise.reject(new E_AGENT_NOT_FOUND(path))
  }
}
