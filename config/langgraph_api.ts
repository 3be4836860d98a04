import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

/**
 * A comma list of middleware names, none when unset or empty; `none` says
 * the same explicitly and cannot be listed with names.
 */
const middlewareList = env
  .list([])
  .refine((names) => names.length <= 1 || !names.includes('none'), 'none means no middleware and cannot be listed with other names')
  .transform((names) => (names[0] === 'none' ? [] : names))

/**
 * The LangGraph Platform protocol (assistants, threads, runs) served beside
 * the agent API, for `@langchain/langgraph-sdk` clients and the UIs built on
 * it. See docs/langgraph-api.md.
 */
export default defineConfig({
  env: {
    /** Serve the protocol on `langvel serve`. */
    LANGGRAPH_API_ENABLED: env.boolean(true),
    /** Request middleware in front of every protocol endpoint; runs also go through their route's own. */
    LANGGRAPH_API_MIDDLEWARE: middlewareList,
  },
  resolve: (e) => ({
    enabled: e.LANGGRAPH_API_ENABLED,
    middleware: e.LANGGRAPH_API_MIDDLEWARE,
  }),
})
