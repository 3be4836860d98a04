import { Registry } from 'prom-client'
import { busMetrics } from '../../../framework/bus/bus_metrics'
import { MemoryBus } from '../../../framework/bus/memory_bus'
import { busConformance } from './bus_conformance'

describe('MemoryBus', () => {
  busConformance(async (options) => new MemoryBus({ ...options, metrics: busMetrics(new Registry()) }))
})
