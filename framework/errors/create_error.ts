import type { ErrorCode } from './codes'
import { Exception } from './exception'

type Extra = { help?: string; details?: unknown; cause?: unknown }

/**
 * Declares an error class with a fixed code and status. The message is built
 * from the constructor arguments so call sites stay short.
 *
 * @example
 * export const E_AGENT_NOT_FOUND = createError('E_AGENT_NOT_FOUND', 404, (path: string) => `No agent at "${path}"`)
 * throw new E_AGENT_NOT_FOUND('/support')
 */
export function createError<Args extends unknown[]>(
  code: ErrorCode,
  status: number,
  message: (...args: Args) => string,
  defaults: { help?: string } = {},
) {
  return class extends Exception {
    static readonly code: ErrorCode = code
    static readonly status: number = status

    constructor(...args: [...Args] | [...Args, Extra]) {
      const extra = (args.length > message.length ? args[args.length - 1] : {}) as Extra
      const messageArgs = args.slice(0, message.length) as unknown as Args
      super(message(...messageArgs), {
        code,
        status,
        help: extra.help ?? defaults.help,
        details: extra.details,
        cause: extra.cause,
      })
      this.name = code
    }
  }
}
