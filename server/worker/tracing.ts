import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * OpenTelemetry through `@opentelemetry/api` only: with no SDK registered every call here is
 * a no-op (no trace context is injected, no span recorded), so the library never needs one.
 */

/** The trace context a job carries in `data.jobcast`, in W3C Trace Context form. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

// Looked up on each use: the global provider may be registered after this module loads.
const tracer = () => trace.getTracer('jobcast');

/** The active trace context as W3C headers, for `data.jobcast` at enqueue time. */
export function injectTraceContext(from: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  const out: TraceCarrier = {};
  if (typeof carrier.traceparent === 'string') out.traceparent = carrier.traceparent;
  if (typeof carrier.tracestate === 'string') out.tracestate = carrier.tracestate;
  return out;
}

/**
 * The context the job was enqueued in, rebuilt from its carrier. It starts from the root
 * context, not the active one: the worker's own context at pick-up time is unrelated.
 */
export function extractTraceContext(carrier: TraceCarrier): Context {
  const headers: Record<string, string> = {};
  if (carrier.traceparent) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate) headers.tracestate = carrier.tracestate;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** The trace id of `ctx`'s span when it is a real one (not the all-zero id of a no-op span). */
export function traceIdOf(ctx: Context): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * Runs `fn` inside a new span that is active for everything `fn` does; the span records the
 * exception and an error status when `fn` throws, and always ends.
 */
export async function inSpan<T>(
  name: string,
  options: { attributes: Attributes; kind?: SpanKind; parent?: Context },
  fn: (span: Span, ctx: Context) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, () => fn(span, ctx));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

export { SpanKind };
