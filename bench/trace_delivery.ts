import type { Output } from '../framework/console/output'
import type { OtlpStats } from './harness/otlp_receiver'
import type { TargetResult } from './load_bench'

/** What a traced target's OTLP receivers got over a run, against what its servers answered. */
export interface TraceDelivery extends OtlpStats {
  /** Responses the traced servers sent: each server's check request, every warm-up and measured response. */
  answered: number
  /** Requests that got no response (timeouts, socket errors): each may or may not have run, and been traced. */
  unanswered: number
}

/**
 * Adds one server's receiver counts to the run's, with the requests answered
 * outside the drives (`checks`: the request each server is checked with).
 *
 * @example
 * traces.set(name, addTraces(traces.get(name), await receiver.stats(), 1))
 */
export function addTraces(previous: TraceDelivery | undefined, stats: OtlpStats, checks: number): TraceDelivery {
  const spansByName = { ...previous?.spansByName }
  for (const [name, spans] of Object.entries(stats.spansByName)) spansByName[name] = (spansByName[name] ?? 0) + spans
  return {
    exports: (previous?.exports ?? 0) + stats.exports,
    spans: (previous?.spans ?? 0) + stats.spans,
    rootSpans: (previous?.rootSpans ?? 0) + stats.rootSpans,
    spansByName,
    bytes: (previous?.bytes ?? 0) + stats.bytes,
    refused: (previous?.refused ?? 0) + stats.refused,
    answered: (previous?.answered ?? 0) + checks,
    unanswered: previous?.unanswered ?? 0,
  }
}

/**
 * Whether every request a traced server answered arrived as a trace, and no
 * more than could have: a drive that stops leaves up to `connections`
 * requests in flight, and a request that timed out may still have run; the
 * server traces both.
 */
export function tracesComplete(traces: TraceDelivery, inFlightAtMost: number): boolean {
  return traces.refused === 0 && traces.rootSpans >= traces.answered && traces.rootSpans <= mostTraces(traces, inFlightAtMost)
}

function mostTraces(traces: TraceDelivery, inFlightAtMost: number): number {
  return traces.answered + traces.unanswered + inFlightAtMost
}

/**
 * One line per traced target: spans and traces received against the
 * responses its servers sent, and the spans by name.
 */
export function printTraces(targets: readonly TargetResult[], settings: { connections: number; rounds: number }, output: Output): void {
  for (const { name, traces } of targets) {
    if (!traces) continue
    const inFlight = settings.connections * settings.rounds
    const perTrace = traces.rootSpans > 0 ? (traces.spans / traces.rootSpans).toFixed(2) : '-'
    const verdict = tracesComplete(traces, inFlight)
      ? output.paint('green', 'every answered request traced')
      : output.paint('red', `traces missing or refused (expected ${traces.answered} to ${mostTraces(traces, inFlight)})`)
    output.line(
      `${name}: the OTLP receiver got ${traces.spans} spans in ${traces.exports} exports (${(traces.bytes / 1024 / 1024).toFixed(1)} MB): ${traces.rootSpans} traces of ${perTrace} spans; ` +
        `the server answered ${traces.answered} requests; ${traces.unanswered} got no answer and up to ${inFlight} were in flight when the drives stopped: ${verdict}`,
    )
    const names = Object.entries(traces.spansByName)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([span, count]) => `${span}: ${count}`)
      .join(', ')
    if (names) output.line(`  spans by name: ${names}`)
  }
}
