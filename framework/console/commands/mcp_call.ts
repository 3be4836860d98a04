import { E_INVALID_INPUT } from '../../errors'
import type { CommandHandler } from '../command'

/** `--args '{"a": 1}'`: a JSON object, refused with the flag's name otherwise. */
function parseArgs(raw: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw new E_INVALID_INPUT(`--args is not valid JSON: ${(error as Error).message}`, { help: `Pass a JSON object, e.g. --args '{"text": "hello"}'` })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new E_INVALID_INPUT('--args must be a JSON object', { help: `e.g. --args '{"text": "hello"}'` })
  return value as Record<string, unknown>
}

/**
 * `langvel mcp:call <server> <tool> --args '<json>' [--json]`: calls one tool
 * and prints its result: the structured content as JSON when there is some,
 * the text otherwise. A refused call (bad arguments, a server error) is an
 * error with its code, and exit code 1.
 */
const mcpCall: CommandHandler<{ args: string; json?: boolean }> = async ({ app, args, options, output }) => {
  const [server, tool] = args
  const input = parseArgs(options.args ?? '{}')
  const mcp = app.make('mcp')
  const result = await mcp.call(server, tool, input)
  if (options.json) {
    output.json({ server, tool, structured_content: result.structuredContent ?? null, text: result.text, content: result.content })
    return
  }
  if (result.structuredContent) output.line(JSON.stringify(result.structuredContent, null, 2))
  else output.line(result.text)
}

export default mcpCall
