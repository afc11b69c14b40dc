import { Layer, Logger, References } from "effect"
import type { LogLevel } from "effect"

/**
 * The example's logs: on stderr, so that stdout holds the ready line first and nothing but what the example prints,
 * from `level` up (MC_LOG_LEVEL; `debug` adds the router's request lines and the details of a failed start).
 */
export const loggingLayer = (level: LogLevel.LogLevel) =>
  Layer.mergeAll(Layer.succeed(Logger.LogToStderr, true), Layer.succeed(References.MinimumLogLevel, level))
