import { E_INVALID_INPUT } from '../../errors'
import type { CommandHandler } from '../command'
import { cliContext, parseJsonOption, printInterrupts, printResult, printStream } from './agent_shared'

/** `langvel agent:resume /approval --thread ID --value '{"approved":true}'` */
const agentResume: CommandHandler<{ thread?: string; value: string; stream?: boolean }> = async ({ app, args, options, output }) => {
  const [path] = args
  if (!options.thread) throw new E_INVALID_INPUT('--thread <id> is required: the thread to resume')
  const value = parseJsonOption('--value', options.value)
  const runner = app.make('agents')
  runner.route(path)
  const context = cliContext()
  if (options.stream && runner.resumeStream) {
    const interrupts = await printStream(output, runner.resumeStream(path, options.thread, value, { context, modes: ['updates'] }))
    output.info(`thread ${options.thread}`)
    printInterrupts(output, path, options.thread, interrupts)
    return
  }
  printResult(output, path, await runner.resume(path, options.thread, value, { context }))
}

export default agentResume
