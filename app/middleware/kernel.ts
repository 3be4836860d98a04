import type { AppMiddleware } from '../../framework/http/middleware_provider'
import { maxInputMiddleware } from './max_input_middleware'

/**
 * The application's named middleware, added to the built-ins (`auth`, `can`,
 * `throttle`, `logging`, `validate`). Each declares its stage: `request`
 * (HTTP middleware, around the request, before its body is read) or `run`
 * (agent middleware, around every run: HTTP, the CLI, resumes). Routes and
 * agents refer to them by these names; an unknown name fails the boot.
 */
export const middleware: AppMiddleware = {
  max_input: { stage: 'run', create: maxInputMiddleware },
}
