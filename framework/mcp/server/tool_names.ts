import { createHash } from 'node:crypto'
import type { AgentRouteInfo } from '../../contracts/agent_run'
import { E_DUPLICATE_ROUTE } from '../../errors'

/** The tool that continues a run stopped at an interrupt. */
export const RESUME_TOOL = 'resume'

/** What MCP clients accept as a tool name. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

const MAX_LENGTH = 64
const OUTSIDE_ALPHABET = /[^A-Za-z0-9_-]+/g

function baseName(route: AgentRouteInfo): string {
  const source = route.name ?? route.path.slice(1)
  return source.replace(OUTSIDE_ALPHABET, '_')
}

/** `_` and 8 hex characters of the path's SHA-256, after the base cut to fit. */
function suffixed(base: string, path: string): string {
  const suffix = `_${createHash('sha256').update(path).digest('hex').slice(0, 8)}`
  return `${base.slice(0, MAX_LENGTH - suffix.length)}${suffix}`
}

/**
 * The MCP tool name of each agent route, by route path:
 *
 * - the route's name, else its path without the leading slash, with every
 *   run of characters outside `A-Z a-z 0-9 _ -` replaced by `_`
 *   (`/support/ticket` -> `support_ticket`, `admin.reports` -> `admin_reports`);
 * - a name longer than 64 characters, or one that several routes (or the
 *   `resume` tool) would share, gets `_<8 hex of the path's SHA-256>`.
 *
 * A name depends on the routes alone, never on their order, so every worker
 * of `serve --workers` and every `mcp:serve` process names a route the same way.
 *
 * @example
 * agentToolNames(runner.routes()).get('/secure/echo') // 'secure-echo' (its route name)
 */
export function agentToolNames(routes: readonly AgentRouteInfo[]): Map<string, string> {
  const bases = new Map(routes.map((route) => [route.path, baseName(route)]))
  const uses = new Map<string, number>([[RESUME_TOOL, 1]])
  for (const base of bases.values()) uses.set(base, (uses.get(base) ?? 0) + 1)

  const names = new Map<string, string>()
  const taken = new Map<string, string>()
  for (const [path, base] of bases) {
    const name = base.length > MAX_LENGTH || (uses.get(base) ?? 0) > 1 ? suffixed(base, path) : base
    // Only a route whose own name looks like another's hashed name could get here.
    const holder = taken.get(name)
    if (holder !== undefined) throw new E_DUPLICATE_ROUTE(`MCP tool ${name}`, { details: { tool: name, paths: [holder, path] } })
    taken.set(name, path)
    names.set(path, name)
  }
  return names
}
