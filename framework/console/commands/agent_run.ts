import { randomUUID } from 'node:crypto'
import type { CommandHandler } from '../command'
import { cliContext, parseJsonOption, printResult, printStream, type AgentRunCommandOptions } from './agent_shared'

/** `langvel agent:run /echo --input '{"query":"hi"}' [--thread ID] [--stream] [--json]` */
const agentRun: CommandHandler<AgentRunCommandOptions & { input: string }> = async ({ app, args, options, output }) => {
  const [path] = args
  const input = parseJsonOption('--input', options.input)
  const runner = app.make('agents')
  const route = runner.route(path)
  const context = cliContext()
  if (options.stream) {
    const threadId = options.thread ?? randomUUID()
    await printStream(output, route, threadId, await runner.stream(path, input, { threadId, context, modes: ['updates'] }), options)
    return
  }
  printResult(output, route, await runner.invoke(path, input, { threadId: options.thread, context }), options)
}

export default agentRun
