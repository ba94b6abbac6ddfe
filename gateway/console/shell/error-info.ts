// What the console logs about a failure it answers gracefully: name, message and code, no stack.
export function errorInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }) };
  }
  return { message: String(err) };
}
