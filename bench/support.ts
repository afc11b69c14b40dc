// What every bench row shares: the row shape, timing and summary statistics.

/** One line of the results table: our figure, the reference's, and whether the goal is met. */
export interface Row {
  readonly name: string
  readonly ours: number
  readonly reference: number
  readonly unit: string
  readonly ratio: number
  readonly goal: string
  readonly meets: boolean
  readonly note?: string
}

export const percentile = (values: ReadonlyArray<number>, fraction: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN
}

export const median = (values: ReadonlyArray<number>): number => percentile(values, 0.5)

/** Wall time of one call, in milliseconds. */
export const time = async (f: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await f()
  return performance.now() - started
}

export const round = (value: number): number => Math.round(value * 1000) / 1000

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
