import { Tracer } from "effect"

/** An in-memory tracer for tests: every span started through it, in start order, with its attributes and parent. */
export interface SpanRecorder {
  readonly tracer: Tracer.Tracer
  readonly spans: () => ReadonlyArray<Tracer.Span>
  readonly clear: () => void
}

/** A fresh recorder. Run the code under test with `Effect.withTracer(recorder.tracer)`; nothing is exported. */
export const makeSpanRecorder = (): SpanRecorder => {
  const started: Array<Tracer.Span> = []
  return {
    tracer: Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        started.push(span)
        return span
      }
    }),
    spans: () => [...started],
    clear: () => {
      started.length = 0
    }
  }
}
