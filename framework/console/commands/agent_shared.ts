import { toPlainValues } from '../../agents/plain_values'
import type { RunResult, StreamEvent } from '../../contracts/agent_run'
import type { RequestContext } from '../../contracts/request_context'
import { E_INVALID_INPUT } from '../../errors'
import type { Output } from '../output'

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

/** Prints a run's result: JSON output on stdout, then the thread and any pending interrupt with how to resume. */
export function printResult(output: Output, path: string, result: RunResult): void {
  output.json(toPlainValues(result.output))
  output.info(`thread ${result.threadId}`)
  printInterrupts(output, path, result.threadId, result.interrupts)
}

function printInterrupts(output: Output, path: string, threadId: string, interrupts: RunResult['interrupts']): void {
  for (const pending of interrupts) {
    output.warn(`interrupted${pending.node ? ` at ${pending.node}` : ''}: ${JSON.stringify(pending.value)}`)
  }
  if (interrupts.length > 0) output.info(`resume with: langvel agent:resume ${path} --thread ${threadId} --value '<json>'`)
}

/** Prints stream events as they arrive, one line each; returns the interrupts the run stopped at. */
export async function printStream(output: Output, events: AsyncIterable<StreamEvent>): Promise<RunResult['interrupts']> {
  let interrupts: RunResult['interrupts'] = []
  for await (const item of events) {
    if (item.event === 'interrupt') {
      interrupts = item.data
      continue
    }
    output.line(`${output.paint('cyan', item.event)} ${JSON.stringify(toPlainValues(item.data))}`)
  }
  return interrupts
}

export { printInterrupts }
