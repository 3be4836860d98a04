import { Metrics } from '../../../framework/observability/metrics'

describe('Metrics', () => {
  it('exposes HTTP, agent, node, tool and concurrency figures in Prometheus text', async () => {
    const metrics = new Metrics({ defaultMetrics: false })
    metrics.observeHttpRequest('POST', '/agents/:path', 200, 0.02)
    metrics.observeHttpRequest('BREW', '/agents/:path', 404, 0.001)
    metrics.recordAgentRun('/echo', 'timeout', 1.5)
    metrics.recordNodeDuration('/echo', 'respond', 0.003)
    metrics.recordToolExecution('search', 'failure', 0.2)
    metrics.setConcurrency(3, 2)
    metrics.setLimits(10, 5)
    const text = await metrics.render()
    expect(text).toContain('langvel_http_requests_total{method="POST",route="/agents/:path",status="200"} 1')
    expect(text).toContain('langvel_http_requests_total{method="OTHER",route="/agents/:path",status="404"} 1')
    expect(text).toContain('langvel_agent_runs_total{agent="/echo",outcome="timeout"} 1')
    expect(text).toContain('langvel_node_duration_seconds_count{agent="/echo",node="respond"} 1')
    expect(text).toContain('langvel_tool_executions_total{tool="search",outcome="failure"} 1')
    expect(text).toContain('langvel_agent_runs_active 3')
    expect(text).toContain('langvel_agent_runs_queued 2')
    expect(text).toContain('langvel_agent_runs_concurrency_limit 10')
    expect(metrics.contentType).toContain('text/plain')
  })

  it('includes process metrics unless told not to', async () => {
    const text = await new Metrics().render()
    expect(text).toContain('process_cpu_user_seconds_total')
    expect(text).toContain('nodejs_eventloop_lag_seconds')
  })
})
