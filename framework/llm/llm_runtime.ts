import type { Llm } from './llm'
import type { LlmManager } from './llm_manager'

/*
 * The process-wide link between code that has no container at hand (agents,
 * tools defined at module load) and the booted application's LlmManager. The
 * llm provider sets it at boot. Kept free of heavy imports: agents import it
 * on every start, whether or not they ever call a model.
 */
let resolver: (() => LlmManager) | undefined
let fallback: LlmManager | undefined
let allowPrivateHttp = false

/** Called by the llm provider at boot (and by tests) with the application's manager. */
export function setLlmManagerResolver(resolve: (() => LlmManager) | undefined): void {
  resolver = resolve
}

/** Unsets `resolve` if it is still the current resolver (an application shutting down after another booted leaves that one's). */
export function clearLlmManagerResolver(resolve: () => LlmManager): void {
  if (resolver === resolve) {
    resolver = undefined
    allowPrivateHttp = false
  }
}

/**
 * The application's LlmManager; without a booted application, an offline one
 * on the fake driver (unit tests, scripts), created once.
 *
 * @example
 * resolveLlmManager().fake().reply('scripted answer')
 */
export function resolveLlmManager(): LlmManager {
  if (resolver) return resolver()
  if (!fallback) {
    const { LlmManager: Manager } = require('./llm_manager') as typeof import('./llm_manager')
    fallback = Manager.offline()
  }
  return fallback
}

/**
 * The configured provider's Llm: what `this.llm` returns in an agent.
 *
 * @example
 * const { text } = await resolveLlm().invoke('Hello')
 */
export function resolveLlm(): Llm {
  return resolveLlmManager().llm()
}

/** HTTP_TOOL_ALLOW_PRIVATE, set at boot; read by httpTool on each request. */
export function setHttpToolsAllowPrivate(allow: boolean): void {
  allowPrivateHttp = allow
}

export function httpToolsAllowPrivate(): boolean {
  return allowPrivateHttp
}
