import type { Llm } from './llm'
import { appLink } from '../support/app_link'
import { LlmManager } from './llm_manager'

/*
 * The process-wide link between code that has no container at hand (agents,
 * tools defined at module load) and the booted application's LlmManager. The
 * llm provider sets it at boot. Nothing connects or loads a provider SDK
 * until a model is called.
 */
const link = appLink<LlmManager>()
let fallback: LlmManager | undefined

/** Called by the llm provider at boot (and by tests) with the application's manager. */
export function setLlmManagerResolver(resolve: (() => LlmManager) | undefined): void {
  link.set(resolve)
}

/**
 * Unsets `resolve` if it is still the current resolver (an application
 * shutting down after another booted leaves that one's); true when it was.
 */
export function clearLlmManagerResolver(resolve: () => LlmManager): boolean {
  return link.clear(resolve)
}

/**
 * The application's LlmManager; without a booted application, an offline one
 * on the fake driver (unit tests, scripts), created once.
 *
 * @example
 * resolveLlmManager().fake().reply('scripted answer')
 */
export function resolveLlmManager(): LlmManager {
  const manager = link.get()
  if (manager) return manager
  fallback ??= LlmManager.offline()
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

/** The model of an agent a node runs for (`this.llm`, its working memory included), when `owner` is an agent that has one. */
export function ownerLlm(owner: unknown): Llm | undefined {
  const llm = (owner as { llm?: unknown } | undefined)?.llm
  return llm && typeof (llm as Llm).invoke === 'function' && typeof (llm as Llm).structured === 'function' ? (llm as Llm) : undefined
}
