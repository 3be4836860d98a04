export { Metrics, getMetrics, recordNodeDuration, recordToolExecution, recordAgentRun } from './metrics'
export type { RunOutcome, ToolOutcome, MetricsOptions } from './metrics'
export { serveClusterMetrics, clusterMetricsSource } from './cluster_metrics'
