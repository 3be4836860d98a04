import type { RequestContext } from '../contracts/request_context'
import { E_RUNTIME } from '../errors'
import { appLink } from '../support/app_link'
import type { MemoryManager } from './memory_manager'
import type { PrincipalMemory } from './principal_memory'

/*
 * The process-wide link between agents (no container at hand) and the booted
 * application's MemoryManager. The memory provider sets it at boot.
 */
const link = appLink<MemoryManager>()

/** Called by the memory provider at boot (and by tests) with the application's manager. */
export function setMemoryManagerResolver(resolve: (() => MemoryManager) | undefined): void {
  link.set(resolve)
}

/** Unsets `resolve` if it is still the current resolver; true when it was. */
export function clearMemoryManagerResolver(resolve: () => MemoryManager): boolean {
  return link.clear(resolve)
}

/** The booted application's MemoryManager; E_RUNTIME before boot. */
export function resolveMemoryManager(): MemoryManager {
  const manager = link.get()
  if (!manager) throw new E_RUNTIME('Long-term memory is used before the application booted (no memory provider registered)')
  return manager
}

/**
 * The memory of the principal of the run in progress: the request context
 * travels in LangGraph's run config, which it keeps for the node that runs.
 * Outside a node (no run config) this is E_RUNTIME: which principal's memory
 * would it be?
 *
 * @example
 * const memory = currentMemory()   // inside a node
 */
export function currentMemory(): PrincipalMemory {
  const manager = resolveMemoryManager()
  return manager.forContext(runContext())
}

function runContext(): RequestContext | undefined {
  const { getConfig } = require('@langchain/langgraph') as typeof import('@langchain/langgraph')
  let config: ReturnType<typeof getConfig> | undefined
  try {
    config = getConfig()
  } catch {
    config = undefined
  }
  if (!config) throw new E_RUNTIME("this.memory is the memory of a run's principal: use it inside a node, or app.make('memory').forOwner(owner) elsewhere")
  return config.context as unknown as RequestContext | undefined
}
