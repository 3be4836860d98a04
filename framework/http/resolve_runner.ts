import type { AgentRouteInfo, AgentRunner, RunResult, StreamEvent, ThreadState } from '../contracts/agent_run'
import { E_AGENT_NOT_FOUND } from '../errors'
import type { Application } from '../foundation/application'

/**
 * The AgentRunner `langvel serve` serves: the application's (`agents`, bound
 * by framework/agents from routes/agents.ts), or, when no agents layer is
 * bound, a runner with no routes (health, metrics and /agents still answer;
 * every agent path is 404).
 *
 * TODO(lead): confirm this wiring; the agents provider builds the runner (and
 * validates route and middleware names) on first `app.make('agents')`.
 *
 * @example
 * const runner = await resolveRunner(app)
 */
export async function resolveRunner(app: Application): Promise<AgentRunner> {
  if (app.bound('agents')) return app.make('agents')
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
