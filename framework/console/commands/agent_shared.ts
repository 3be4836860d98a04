import { toPlainValues } from '../../agents/plain_values'
import type { AgentRouteInfo, InterruptInfo, RunResult, StreamEvent } from '../../contracts/agent_run'
import type { RequestContext } from '../../contracts/request_context'
import { E_INVALID_INPUT } from '../../errors'
import type { Output } from '../output'

/** Options shared by agent:run and agent:resume. */
export interface AgentRunCommandOptions {
  thread?: string
  stream?: boolean
  json?: boolean
}

/** Parses a JSON option, naming the option when it is not JSON. */
export function parseJsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new E_INVALID_INPUT(`${option} is not valid JSON: ${(error as Error).message}`)
  }
}

/** Runs from the terminal act as the local system principal, with a request id like HTTP runs. */
export function cliContext(): RequestContext {
  const id = `cli-${Date.now().toString(36)}`
  return Object.freeze({ requestId: id, traceId: id, principal: Object.freeze({ id: 'cli', type: 'system' as const, permissions: Object.freeze(['*']) }) })
}

/** The command that answers an interrupt of this thread. */
const resumeCommand = (path: string, threadId: string) => `langvel agent:resume ${path} --thread ${threadId} --value '<json>'`

/** Interrupts in the shape of the HTTP API's, with the command that resumes them instead of a URL. */
function presentInterrupts(path: string, threadId: string, interrupts: readonly InterruptInfo[]) {
  return interrupts.map((pending) => ({
    id: pending.id,
    value: toPlainValues(pending.value),
    ...(pending.node === undefined ? {} : { node: pending.node }),
    resume: { command: resumeCommand(path, threadId) },
  }))
}

/**
 * Prints a run's result. Text: the output as JSON on stdout, then the thread
 * and any pending interrupt with how to resume. `--json`: one document shaped
 * like the HTTP API's answer (`output`, `thread_id`, `interrupts`, `metadata`).
 */
export function printResult(output: Output, route: AgentRouteInfo, result: RunResult, options: AgentRunCommandOptions): void {
  if (options.json) {
    output.json({
      output: toPlainValues(result.output),
      thread_id: result.threadId,
      interrupts: presentInterrupts(route.path, result.threadId, result.interrupts),
      metadata: { agent: route.agent, path: route.path },
    })
  } else {
    output.json(toPlainValues(result.output))
  }
  printThread(output, route.path, result.threadId, result.interrupts)
}

/** The thread and each pending interrupt: status lines, so on stderr under `--json`. */
function printThread(output: Output, path: string, threadId: string, interrupts: readonly InterruptInfo[]): void {
  output.info(`thread ${threadId}`)
  for (const pending of interrupts) {
    output.warn(`interrupted${pending.node ? ` at ${pending.node}` : ''}: ${JSON.stringify(pending.value)}`)
  }
  if (interrupts.length > 0) output.info(`resume with: ${resumeCommand(path, threadId)}`)
}

/**
 * Prints stream events as they arrive. Text: one `<event> <data>` line each.
 * `--json`: NDJSON, one object per line, the events of the HTTP API's SSE
 * stream: `metadata` first, then each update, `interrupt` when the run
 * stopped at one, and `end` last. A run that fails writes no `end` line: the
 * error goes to stderr and the command exits 1.
 */
export async function printStream(output: Output, route: AgentRouteInfo, threadId: string, events: AsyncIterable<StreamEvent>, options: AgentRunCommandOptions): Promise<void> {
  const json = Boolean(options.json)
  if (json) output.jsonLine({ event: 'metadata', data: { agent: route.agent, path: route.path, thread_id: threadId, stream_mode: ['updates'] } })
  let interrupts: InterruptInfo[] = []
  for await (const item of events) {
    if (item.event === 'interrupt') {
      interrupts = item.data
      if (json) output.jsonLine({ event: 'interrupt', data: { thread_id: threadId, interrupts: presentInterrupts(route.path, threadId, interrupts) } })
      continue
    }
    const data = toPlainValues(item.data)
    // The node is named beside an update, as in the HTTP stream: `{ "<node>": <update> }`.
    const shaped = item.event === 'updates' && item.node !== undefined ? { [item.node]: data } : data
    if (json) output.jsonLine({ event: item.event, data: shaped })
    else output.line(`${output.paint('cyan', item.event)} ${JSON.stringify(shaped)}`)
  }
  if (json) output.jsonLine({ event: 'end', data: { thread_id: threadId, status: interrupts.length > 0 ? 'interrupted' : 'completed' } })
  printThread(output, route.path, threadId, interrupts)
}
