import { randomUUID } from 'node:crypto'
import type { CommandHandler } from '../command'
import { cliContext, parseJsonOption, printInterrupts, printResult, printStream } from './agent_shared'

/** `langvel agent:run /echo --input '{"query":"hi"}' [--thread ID] [--stream]` */
const agentRun: CommandHandler<{ input: string; thread?: string; stream?: boolean }> = async ({ app, args, options, output }) => {
  const [path] = args
  const input = parseJsonOption('--input', options.input)
  const runner = app.make('agents')
  runner.route(path)
  const context = cliContext()
  if (options.stream) {
    const threadId = options.thread ?? randomUUID()
    const interrupts = await printStream(output, runner.stream(path, input, { threadId, context, modes: ['updates'] }))
    output.info(`thread ${threadId}`)
    printInterrupts(output, path, threadId, interrupts)
    return
  }
  printResult(output, path, await runner.invoke(path, input, { threadId: options.thread, context }))
}

export default agentRun
