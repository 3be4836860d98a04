import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { needsToken, resolveHeaders, type BenchTarget } from '../targets'
import { startBaseline } from './baseline_server'
import type { BuiltProject } from './build_project'
import { checkTarget, routeExists } from './check_target'
import { benchEnvironment, maskSettings, startLangvel, type StartedLangvel } from './langvel_server'
import { OtlpReceiver, type OtlpStats } from './otlp_receiver'
import { createScratchDatabase, postgresReachable, type ScratchDatabase } from './postgres_database'
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
  /** The compiled project every server runs from. */
  build: BuiltProject
  guard: ProcessGuard
  env: Record<string, string>
  /** PostgreSQL server on which targets with `postgres: true` get a scratch database each. */
  postgresUrl: string
  /** Progress lines ("starting langvel serve..."). */
  log: (line: string) => void
  /** When set, every server runs with `node --cpu-prof` and writes its profile here on exit. */
  profileDir?: string
  /** Added to profile names (`echo-round2.cpuprofile`) when each round has servers of its own. */
  profileSuffix?: string
}

/** Scratch database names are unique on the PostgreSQL server: this process's pid and a sequence number. */
let databaseSequence = 0

/**
 * One server process per target (the baseline, or `langvel serve` from the
 * compiled build), started together in a scratch folder that is removed at
 * the end, and each target checked with one real request before
 * any load. A target whose server needs PostgreSQL gets a database of its
 * own, dropped when its server stops; when PostgreSQL is unreachable the
 * target is skipped with a note.
 *
 * Why a process per target, even for two targets of the same server: the
 * memory checkpointer keeps every thread, so a process serving two targets
 * carries twice the live heap of one serving one, and every garbage
 * collection costs it more: one target would pay for the other's threads.
 *
 * @example
 * const servers = await BenchServers.start(targets, { root, build, guard, env: {}, postgresUrl, log })
 * const { prepared, notes } = await servers.prepare(targets)
 */
export class BenchServers {
  private constructor(
    private readonly servers: Map<string, ServerProcess>,
    private readonly langvel: StartedLangvel | undefined,
    private readonly baseSettings: Record<string, string> | undefined,
    private readonly targetSettings: Map<string, Record<string, string>>,
    private readonly unavailable: Map<string, string>,
    private readonly databases: ScratchDatabase[],
    private readonly receivers: Map<string, OtlpReceiver>,
    readonly scratch: string,
  ) {}

  /** What each traced target's OTLP receiver got, read once its server has stopped (its last spans flushed); set by `stop()`. */
  readonly traces = new Map<string, OtlpStats>()

  /** The Langvel environment shared by every target (secrets masked); undefined when only the baseline ran. */
  get langvelSettings(): Record<string, string> | undefined {
    return this.baseSettings
  }

  /** What a target's server ran with on top of the shared environment (its own settings, its DATABASE_URL). */
  settingsOf(target: BenchTarget): Record<string, string> | undefined {
    return this.targetSettings.get(target.name)
  }

  static async start(targets: readonly BenchTarget[], options: BenchServersOptions): Promise<BenchServers> {
    const { guard, root, log, build } = options
    const scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-'))
    guard.defer(() => rmSync(scratch, { recursive: true, force: true }))
    const adopt = (child: Parameters<ProcessGuard['adopt']>[0]) => void guard.adopt(child)
    const servers = new Map<string, ServerProcess>()
    const targetSettings = new Map<string, Record<string, string>>()
    const unavailable = new Map<string, string>()
    const databases: ScratchDatabase[] = []
    const receivers = new Map<string, OtlpReceiver>()
    const nodeArgs = (name: string) =>
      options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${name}${options.profileSuffix ?? ''}.cpuprofile`] : []
    let postgres: Awaited<ReturnType<typeof postgresReachable>> | undefined

    // Services first, one target after the other: a database each, or the reason the target cannot run.
    const envs = new Map<string, Record<string, string>>()
    for (const target of targets) {
      if (target.server === 'baseline' || envs.has(target.name) || unavailable.has(target.name)) continue
      const env = { ...options.env, ...target.env }
      if (target.postgres) {
        postgres ??= await postgresReachable(options.postgresUrl)
        if (!postgres.ok) {
          unavailable.set(target.name, `${target.name} skipped: PostgreSQL at ${maskSettings({ url: options.postgresUrl }).url} is not reachable (${postgres.reason}); see --postgres`)
          continue
        }
        const database = await createScratchDatabase(options.postgresUrl, `langvel_bench_${process.pid}_${++databaseSequence}`)
        databases.push(database)
        // Dropped when this set stops; the guard drops it too if the run ends another way (dropping twice is harmless).
        guard.defer(() => database.drop())
        env.DATABASE_URL = database.url
      }
      if (target.otlp) {
        // A receiver per traced target, so every span it counts is that target's.
        const receiver = await OtlpReceiver.start({ root, scratch, name: target.name, adopt })
        receivers.set(target.name, receiver)
        env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
      }
      envs.set(target.name, env)
      const own = maskSettings({
        ...target.env,
        ...(target.postgres ? { DATABASE_URL: env.DATABASE_URL } : {}),
        ...(target.otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
      })
      if (Object.keys(own).length > 0) targetSettings.set(target.name, own)
    }

    // Then the servers, all at once: nothing is measured while they boot, and a round starts sooner.
    const unique = targets.filter((target, index) => targets.findIndex((other) => other.name === target.name) === index && !unavailable.has(target.name))
    const started = await Promise.all(
      unique.map(async (target): Promise<{ server: ServerProcess; langvel?: StartedLangvel }> => {
        if (target.server === 'baseline') {
          log(`starting the baseline server for ${target.name} (bench/baseline_server.js on the compiled echo agent)`)
          return { server: await startBaseline({ root, codeRoot: build.codeRoot, scratch, adopt, nodeArgs: nodeArgs(target.name) }) }
        }
        log(`starting langvel serve for ${target.name} (compiled, APP_ENV=production, migrations applied first)`)
        // A project folder each (database, .env, logs); one Redis prefix for the run, so a token minted once is valid on all.
        const folder = join(scratch, target.name)
        mkdirSync(folder)
        const langvel = await startLangvel({ cli: build.cli, scratch: folder, env: envs.get(target.name) ?? {}, adopt, nodeArgs: nodeArgs(target.name) })
        return { server: langvel.server, langvel }
      }),
    )
    unique.forEach((target, index) => servers.set(target.name, started[index].server))
    const langvel = started.find((entry) => entry.langvel)?.langvel
    if (langvel) {
      const { REDIS_URL, REDIS_PREFIX } = langvel.settings
      // Deferred after the scratch removal, so it runs before it (cleanups run last-first) and after the servers stopped.
      guard.defer(async () => {
        const outcome = await deleteRedisKeys(REDIS_URL, REDIS_PREFIX)
        if ('error' in outcome) log(`could not delete the run's Redis keys (${REDIS_PREFIX}*): ${outcome.error}`)
      })
    }
    for (const [name, server] of servers) log(`${name}: ${server.url} (pid ${server.pid})`)
    const baseSettings = langvel ? maskSettings(benchEnvironment(join(scratch, '<target>'), options.env)) : undefined
    return new BenchServers(servers, langvel, baseSettings, targetSettings, unavailable, databases, receivers, scratch)
  }

  /**
   * Stops every server of this set, then reads and stops the OTLP receivers
   * (a stopping server flushes its last spans first) and drops the scratch
   * databases (the guard would stop and drop them at the end anyway).
   */
  async stop(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.stop()))
    for (const [name, receiver] of this.receivers) {
      this.traces.set(name, await receiver.stats())
      await receiver.stop()
      this.receivers.delete(name)
    }
    await Promise.all(this.databases.map((database) => database.drop()))
  }

  server(target: BenchTarget): ServerProcess {
    const server = this.servers.get(target.name)
    if (!server) throw new Error(`no server was started for ${target.name}`)
    return server
  }

  /**
   * Mints a token when a target needs one, checks each target with one
   * request, and leaves out optional targets the server does not route and
   * targets whose server could not start for want of a service.
   */
  async prepare(targets: readonly BenchTarget[]): Promise<{ prepared: PreparedTarget[]; notes: string[] }> {
    const notes: string[] = []
    const routed: BenchTarget[] = []
    for (const target of targets) {
      const reason = this.unavailable.get(target.name)
      if (reason) {
        notes.push(reason)
        continue
      }
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
