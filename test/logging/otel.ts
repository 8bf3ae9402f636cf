import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * Registers a real context manager and tracer provider (SDK 3), so spans
 * are recording and carry valid ids; returns the function that removes them.
 */
export function registerTracing(): () => void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new TracerProvider());
  return () => {
    trace.disable();
    context.disable();
  };
}

/** Lines written by a logger, parsed; the stream a real pino logger writes to. */
export function lineSink(): {
  stream: { write(chunk: string): void };
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    stream: {
      write(chunk: string) {
        for (const line of chunk.split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      },
    },
  };
}
