import { E_INVALID_INPUT } from '../../errors'
import type { CommandHandler } from '../command'
import { cliContext, parseJsonOption, printResult, printStream, type AgentRunCommandOptions } from './agent_shared'

/** `langvel agent:resume /approval --thread ID --value '{"approved":true}' [--stream] [--json]` */
const agentResume: CommandHandler<AgentRunCommandOptions & { value: string }> = async ({ app, args, options, output }) => {
  const [path] = args
  const threadId = options.thread
  if (!threadId) throw new E_INVALID_INPUT('--thread <id> is required: the thread to resume')
  const value = parseJsonOption('--value', options.value)
  const runner = app.make('agents')
  const route = runner.route(path)
  const context = cliContext()
  if (options.stream && runner.resumeStream) {
    await printStream(output, route, threadId, await runner.resumeStream(path, threadId, value, { context, modes: ['updates'] }), options)
    return
  }
  printResult(output, route, await runner.resume(path, threadId, value, { context }), options)
}

export default agentResume
