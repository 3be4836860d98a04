import { MemoryBus } from '../../../framework/bus/memory_bus'
import { busConformance, eventually } from './bus_conformance'

describe('MemoryBus', () => {
  busConformance(async (options) => new MemoryBus(options))

  describe('topics it keeps', () => {
    const topicsOf = (bus: MemoryBus) => (bus as unknown as { topics: Map<string, unknown> }).topics

    it('keeps nothing for a topic published to with no subscriber, and forgets a topic once its last subscription ends', async () => {
      const bus = new MemoryBus({ maxQueue: 1 })
      for (let n = 0; n < 1000; n++) await bus.publish(`reply.${n}`, n)
      expect(topicsOf(bus).size).toBe(0)
      const seen: number[] = []
      const subscription = await bus.subscribe<number, void>('kept', (n) => void seen.push(n))
      await bus.publish('kept', 1)
      await eventually(() => expect(seen).toEqual([1]))
      expect(topicsOf(bus).size).toBe(1)
      await subscription.unsubscribe()
      expect(topicsOf(bus).size).toBe(0)
      await bus.close()
    })

    it('keeps a topic while it holds dead letters', async () => {
      const bus = new MemoryBus({ maxAttempts: 1 })
      const subscription = await bus.subscribe('failing', () => {
        throw new Error('no')
      })
      await bus.publish('failing', 1)
      await eventually(async () => expect(await bus.deadLetters('failing')).toHaveLength(1))
      await subscription.unsubscribe()
      expect(await bus.deadLetters('failing')).toHaveLength(1)
      await bus.close()
    })
  })

  it('raises no unhandled rejection when a request’s reply cannot be encoded', async () => {
    const rejections: unknown[] = []
    const record = (reason: unknown) => void rejections.push(reason)
    process.on('unhandledRejection', record)
    try {
      const bus = new MemoryBus()
      await bus.subscribe('big', () => 10n)
      await expect(bus.request('big', 1, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'E_BUS_HANDLER_FAILED' })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(rejections).toEqual([])
      await bus.close()
    } finally {
      process.off('unhandledRejection', record)
    }
  })
})
