/**
 * Reads a figure (RSS, a queue depth) every `everyMs` while a phase runs and
 * keeps the highest value seen. A reading that fails is counted, not thrown:
 * a sampler never ends a run. One reading at a time, so a slow one (a Redis
 * round trip under load) delays the next instead of piling up.
 *
 * @example
 * const rss = new PeakSampler(() => process.memoryUsage().rss, 50).start()
 * await flood()
 * const { peak } = await rss.stop()
 */
export class PeakSampler {
  private peakValue = Number.NEGATIVE_INFINITY
  private samples = 0
  private failures = 0
  private timer?: NodeJS.Timeout
  private running?: Promise<void>

  constructor(
    private readonly read: () => number | Promise<number>,
    private readonly everyMs: number,
  ) {}

  start(): this {
    this.timer = setInterval(() => {
      this.running ??= this.sample().finally(() => (this.running = undefined))
    }, this.everyMs)
    // A phase that throws before stop() must not keep the process alive.
    this.timer.unref()
    return this
  }

  /** Takes one reading now. */
  async sample(): Promise<void> {
    try {
      const value = await this.read()
      this.samples += 1
      if (value > this.peakValue) this.peakValue = value
    } catch {
      this.failures += 1
    }
  }

  /** Stops, after a last reading; `peak` is null when no reading succeeded. */
  async stop(): Promise<{ peak: number | null; samples: number; failures: number }> {
    clearInterval(this.timer)
    await this.running
    await this.sample()
    return { peak: this.samples > 0 ? this.peakValue : null, samples: this.samples, failures: this.failures }
  }
}
