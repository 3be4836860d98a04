import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { needsToken, resolveHeaders, type BenchTarget } from '../targets'
import { startBaseline } from './baseline_server'
import { checkTarget, routeExists } from './check_target'
import { startLangvel, type StartedLangvel } from './langvel_server'
import type { ProcessGuard } from './process_guard'
import { deleteRedisKeys } from './redis_cleanup'
import type { ServerProcess } from './server_process'

/** A target ready to drive: its server and its resolved headers. */
export interface PreparedTarget {
  target: BenchTarget
  server: ServerProcess
  headers: Record<string, string>
}

export interface BenchServersOptions {
  root: string
  guard: ProcessGuard
  env: Record<string, string>
  /** Progress lines ("starting langvel serve..."). */
  log: (line: string) => void
  /** When set, every server runs with `node --cpu-prof` and writes its profile here on exit. */
  profileDir?: string
  /** Added to profile names (`echo-round2.cpuprofile`) when each round has servers of its own. */
  profileSuffix?: string
}

/**
 * One server process per target (the baseline, or `langvel serve`), started
 * one after the other in a scratch folder that is removed at the end, and
 * each target checked with one real request before any load.
 *
 * Why a process per target, even for two targets of the same server: both
 * servers keep every thread in their memory checkpointer, so a process
 * serving two targets carries twice the live heap of one serving one, and
 * every garbage collection costs it more. Sharing a process made /echo pay
 * for /secure/echo-bulk's threads (its RSS reached twice the baseline's) and
 * moved the echo / baseline ratio by several points between rounds.
 *
 * @example
 * const servers = await BenchServers.start(targets, { root, guard, env: {}, log })
 * const { prepared, notes } = await servers.prepare(targets)
 */
export class BenchServers {
  private constructor(
    private readonly servers: Map<string, ServerProcess>,
    private readonly langvel: StartedLangvel | undefined,
    readonly scratch: string,
  ) {}

  /** Langvel environment the run used (secrets masked); undefined when only the baseline ran. */
  get langvelSettings(): Record<string, string> | undefined {
    return this.langvel?.settings
  }

  static async start(targets: readonly BenchTarget[], options: BenchServersOptions): Promise<BenchServers> {
    const { guard, root, log } = options
    const scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-'))
    guard.defer(() => rmSync(scratch, { recursive: true, force: true }))
    const adopt = (child: Parameters<ProcessGuard['adopt']>[0]) => void guard.adopt(child)
    const servers = new Map<string, ServerProcess>()
    const nodeArgs = (name: string) =>
      options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${name}${options.profileSuffix ?? ''}.cpuprofile`] : []
    let langvel: StartedLangvel | undefined

    for (const target of targets) {
      if (servers.has(target.name)) continue
      if (target.server === 'baseline') {
        log(`starting the baseline server for ${target.name} (bench/baseline_server.js)`)
        servers.set(target.name, await startBaseline({ root, scratch, adopt, nodeArgs: nodeArgs(target.name) }))
        continue
      }
      log(`starting langvel serve for ${target.name} (APP_ENV=production, migrations applied first)`)
      // A project folder each (database, .env, logs); one Redis prefix for the run, so a token minted once is valid on all.
      const folder = join(scratch, target.name)
      mkdirSync(folder)
      const started = await startLangvel({ root, scratch: folder, env: options.env, adopt, nodeArgs: nodeArgs(target.name) })
      if (!langvel) {
        langvel = started
        const { REDIS_URL, REDIS_PREFIX } = started.settings
        // Deferred after the scratch removal, so it runs before it (cleanups run last-first) and after the servers stopped.
        guard.defer(async () => {
          const outcome = await deleteRedisKeys(REDIS_URL, REDIS_PREFIX)
          if ('error' in outcome) log(`could not delete the run's Redis keys (${REDIS_PREFIX}*): ${outcome.error}`)
        })
      }
      servers.set(target.name, started.server)
    }
    for (const [name, server] of servers) log(`${name}: ${server.url} (pid ${server.pid})`)
    return new BenchServers(servers, langvel, scratch)
  }

  /** Stops every server of this set (the guard would stop them at the end anyway). */
  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.stop()))
  }

  server(target: BenchTarget): ServerProcess {
    const server = this.servers.get(target.name)
    if (!server) throw new Error(`no server was started for ${target.name}`)
    return server
  }

  /**
   * Mints a token when a target needs one, checks each target with one
   * request, and leaves out optional targets the server does not route.
   */
  async prepare(targets: readonly BenchTarget[]): Promise<{ prepared: PreparedTarget[]; notes: string[] }> {
    const notes: string[] = []
    const routed: BenchTarget[] = []
    for (const target of targets) {
      const server = this.server(target)
      // Ask before minting a token: an unrouted optional target needs none.
      if (target.optional && !(await routeExists(server.url, target))) {
        notes.push(`${target.name} skipped: the server does not route ${target.method} ${target.path} (404)`)
        continue
      }
      routed.push(target)
    }
    const token = needsToken(routed) ? await this.mintToken() : undefined
    const prepared: PreparedTarget[] = []
    for (const target of routed) {
      const server = this.server(target)
      const headers = resolveHeaders(target, { token })
      const check = await checkTarget(server.url, target, headers)
      if (check.status === 'skipped') {
        notes.push(check.reason)
        continue
      }
      prepared.push({ target, server, headers })
    }
    return { prepared, notes }
  }

  private async mintToken(): Promise<string> {
    if (!this.langvel) throw new Error('a token is minted with langvel auth:token, but no langvel server was started')
    const token = await this.langvel.mintToken()
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`langvel auth:token printed something that is not a JWT: ${token.slice(0, 200)}`)
    return token
  }
}
